"""Run an exported ESPHome model the way ESPHome does, through ``pymicro-wakeword``.

``pymicro-wakeword`` is the TFLite runtime and TFLite-Micro front end of Home Assistant's voice stack,
quantizing features and dequantizing the uint8 output exactly as micro_wake_word does. wakesmith uses
it to prove an export loads and detects, to compare it with torch, and to calibrate the cutoff on the
INT8 file itself. Probabilities are read per inference (a sliding window of 1); the manifest's window
is applied by the detector, as on the device.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import ToolMissingError
from wakesmith.features import as_pcm16

BLOCK_SECONDS = 60.0
"""Long recordings are read and pushed in blocks of this length."""


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

    def score_file(self, path: Path | str) -> np.ndarray:
        """Probabilities of a whole recording (16 kHz WAV) as one fresh stream, read in blocks."""
        self.reset()
        blocks: Iterable[np.ndarray] = sf.blocks(
            str(path), blocksize=int(BLOCK_SECONDS * SAMPLE_RATE), dtype="float32"
        )
        parts = [self.push(b) for b in blocks]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def torch_step_probabilities(
    model: Any, frontend: Callable[[np.ndarray], np.ndarray], audio: np.ndarray
) -> np.ndarray:
    """The float torch streaming model's probability per step on ``audio``, aligned with
    :meth:`MicroWakeWordScorer.score` (whole strides from the first frame, a fresh stream): what an
    INT8 file is compared with."""
    import torch

    feats = frontend(audio)
    feats = feats[: len(feats) - len(feats) % model.stride]
    with torch.no_grad():
        logits, _ = model.forward_stream(torch.from_numpy(feats)[None], model.initial_state(1))
    return torch.sigmoid(logits)[0].numpy()
