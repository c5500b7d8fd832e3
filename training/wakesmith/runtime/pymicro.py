"""Run an exported ESPHome model the way ESPHome does, through ``pymicro-wakeword``: a :class:`Scorer`.

``pymicro-wakeword`` is the TFLite runtime and TFLite-Micro front end of Home Assistant's voice stack,
quantizing features and dequantizing the uint8 output exactly as micro_wake_word does. wakesmith uses
it to prove an export loads and detects, to compare it with torch, and to calibrate the cutoff on the
INT8 file itself. It brings its own front end, so it is a scorer (audio in, one probability per step
out, on the same time grid as :class:`~wakesmith.runtime.scorers.StreamingScorer`), not a backend;
:class:`~wakesmith.runtime.tflite.TfliteBackend` runs the same file behind the backend interface.
Probabilities are read per inference (a sliding window of 1); the manifest's window is applied by the
detector, as on the device.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from wakesmith.config import SAMPLE_RATE, DetectorConfig
from wakesmith.errors import ArtifactError, ToolMissingError
from wakesmith.features import as_pcm16, create_frontend
from wakesmith.metadata import ModelMetadata
from wakesmith.runtime.tflite import read_tflite_metadata

REFRACTORY_INFERENCES = 100
"""ESPHome's MIN_SLICES_BEFORE_DETECTION: inferences ignored after a detection (and at start)."""
INFERENCE_S = 0.03
"""One micro_wake_word inference per 3 feature steps of 10 ms."""


def esphome_detector(sliding_window_size: int, threshold: float | None = None) -> DetectorConfig:
    """micro_wake_word's detection rule as a wakesmith detector: the mean of the last
    ``sliding_window_size`` probabilities reaching the cutoff, then 100 inferences (3 s) ignored.
    The exporter calibrates with it, the evaluation and the virtual satellite detect with it."""
    rule = DetectorConfig(
        smoothing_window=sliding_window_size, hysteresis=0.0, cooldown_s=REFRACTORY_INFERENCES * INFERENCE_S
    )
    return rule if threshold is None else rule.model_copy(update={"threshold": threshold})


class MicroWakeWordScorer:
    """Per-inference probabilities of an ESPHome ``.tflite`` from 16 kHz audio, as a fresh stream."""

    def __init__(self, tflite_path: Path | str, wake_word: str = "wake word") -> None:
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures
            from pymicro_wakeword.microwakeword import _MODULE_LIB_DIR
        except ImportError:
            raise ToolMissingError(
                "Running ESPHome models on the host needs pymicro-wakeword: pip install 'wakesmith[edge]'."
            ) from None
        lib = next(iter(Path(_MODULE_LIB_DIR).glob("*tensorflowlite_c.*")))
        metadata = read_tflite_metadata(Path(tflite_path).read_bytes())
        if metadata is None or not metadata.streaming or metadata.features.name != "micro":
            raise ArtifactError(f"{tflite_path} is not a wakesmith ESPHome (streaming micro) model.")
        self.metadata: ModelMetadata = metadata
        self.tflite_path, self.wake_word = Path(tflite_path), wake_word
        self._frontend = create_frontend(metadata.features)
        self._features_cls = MicroWakeWordFeatures
        self.model = MicroWakeWord(
            Path(tflite_path).stem,
            wake_word=wake_word,
            tflite_model=tflite_path,
            probability_cutoff=1.0,
            sliding_window_size=1,
            trained_languages=[],
            libtensorflowlite_c_path=lib,
        )
        self.features = MicroWakeWordFeatures()
        self.seconds_in_model = 0.0
        """Wall time spent in the front end and the interpreter (for CPU-per-hour figures)."""

    @property
    def step_seconds(self) -> float:
        return self.metadata.stride * self._frontend.hop_samples / SAMPLE_RATE

    @property
    def first_end_s(self) -> float:
        last_frame_start = (self.metadata.stride - 1) * self._frontend.hop_samples
        return (last_frame_start + self._frontend.window_samples) / SAMPLE_RATE

    def reset(self) -> None:
        """Start a new stream (pymicro-wakeword reloads the interpreter to clear its variables)."""
        self.model.reset()
        self.features = self._features_cls()

    def push(self, audio: np.ndarray) -> np.ndarray:
        """Probabilities of the inferences that ``audio`` completes (one per 3 feature frames)."""
        started = time.perf_counter()
        out = []
        for frame in self.features.process_streaming(as_pcm16(audio).tobytes()):
            prob = self.model.process_streaming_prob(frame)
            # pymicro-wakeword returns 0.0 (not None) while it gathers the stride's frames
            if not self.model._features:
                out.append(prob)
        self.seconds_in_model += time.perf_counter() - started
        return np.asarray(out, dtype=np.float32)

    def score(self, audio: np.ndarray) -> np.ndarray:
        """Probabilities of a whole clip as a fresh stream."""
        self.reset()
        return self.push(audio)
