"""The Judge's models: load once, verify trigger buffers, and run continuous detection per stream.

Backends (onnxruntime sessions) are shared by every connection: ``InferenceSession.run`` is safe to
call from several threads. Scorers and detectors hold per-stream state, so each stream gets its own.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wakesmith.errors import ConfigError
from wakesmith.judge.names import LOG_CHARS, for_log
from wakesmith.judge.settings import ModelSettings
from wakesmith.registry import did_you_mean
from wakesmith.runtime import OnnxBackend, WindowScorer
from wakesmith.runtime.detector import Detection, Detector

log = logging.getLogger(__name__)

MAX_NAMES = 16
"""Default cap on ``detect.names`` (the settings' ``limits.max_names``)."""
ACCEPT = "wake_word"
REJECT = "not_wake_word"


@dataclass(frozen=True)
class Verdict:
    """The Judge's answer for one trigger buffer."""

    prediction: bool
    confidence: float
    label: str
    model: str
    latency_ms: float


class JudgeModel:
    """One loaded judge model: its name, languages, threshold and shared backend."""

    def __init__(self, settings: ModelSettings, *, threads: int = 1) -> None:
        self.backend = OnnxBackend.load(settings.path, threads=threads)
        self.metadata = self.backend.metadata
        if self.metadata.streaming:
            raise ConfigError(
                f"{settings.path} is a streaming (sentry) model; the Judge serves judge (window) models."
            )
        self.name = settings.name or self.metadata.model_id or Path(settings.path).stem
        self.languages = list(settings.languages)
        self.threshold = (
            settings.threshold if settings.threshold is not None else self.metadata.threshold(settings.preset)
        )
        self.trigger_threshold = (
            settings.threshold
            if settings.threshold is not None
            else self.metadata.trigger_threshold(settings.preset)
        )
        """For sentry triggers: the preset calibrated on the cascade, when the model has one."""
        self.detector_cfg = self.metadata.detector.model_copy(update={"threshold": self.threshold})
        # One scorer for buffer verification: score_buffer keeps no state between calls.
        self._verifier = WindowScorer(self.backend)

    @property
    def phrase(self) -> str:
        return self.metadata.phrase

    def verify(self, audio: np.ndarray) -> Verdict:
        """Score a trigger buffer (float32 16 kHz mono) and decide."""
        start = time.perf_counter()
        score = self._verifier.score_buffer(audio)
        accepted = score >= self.trigger_threshold
        return Verdict(
            prediction=accepted,
            confidence=score,
            label=ACCEPT if accepted else REJECT,
            model=self.name,
            latency_ms=(time.perf_counter() - start) * 1000,
        )

    def stream(self) -> ModelStream:
        """Fresh per-connection state for continuous detection."""
        return ModelStream(self)


class ModelStream:
    """Continuous detection of one model over one audio stream."""

    def __init__(self, model: JudgeModel) -> None:
        self.model = model
        self.scorer = WindowScorer(model.backend)
        self.detector = Detector(model.detector_cfg, self.scorer.step_seconds, self.scorer.first_end_s)

    def push(self, audio: np.ndarray) -> list[Detection]:
        """Consume float32 16 kHz audio; return the detections it completes."""
        return self.detector.push(self.scorer.push(audio))


class ModelSet:
    """The models a Judge serves, by name."""

    def __init__(self, models: list[JudgeModel]) -> None:
        if not models:
            raise ConfigError("The Judge needs at least one model: pass --model PATH.onnx.")
        self.models: dict[str, JudgeModel] = {}
        for model in models:
            if model.name in self.models:
                raise ConfigError(f"Two models are named {model.name!r}; give each a distinct name.")
            self.models[model.name] = model

    @classmethod
    def load(cls, settings: list[ModelSettings], *, threads: int = 1) -> ModelSet:
        """Load every model of the settings (onnxruntime only)."""
        models = [JudgeModel(s, threads=threads) for s in settings]
        for m in models:
            log.info("loaded judge model %s (threshold %.3f) from its ONNX file", m.name, m.threshold)
        return cls(models)

    @property
    def default(self) -> JudgeModel:
        return next(iter(self.models.values()))

    def select(self, names: object, *, max_names: int = MAX_NAMES) -> list[JudgeModel]:
        """The models a ``detect`` asked for, once each (all when ``names`` is empty).

        ``names`` comes from a client: anything but a list of at most ``max_names`` served model names
        is a ConfigError (duplicates are folded, so a model never runs twice on one stream).
        """
        if names is None or names == []:
            return list(self.models.values())
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(
                f"detect names must be a list of wake model names, got {for_log(repr(names), 60)}."
            )
        if len(names) > max_names:
            raise ConfigError(f"detect asks for {len(names)} wake models; at most {max_names} per stream.")
        unique = list(dict.fromkeys(names))
        unknown = [n for n in unique if n not in self.models]
        if unknown:
            known = list(self.models)
            raise ConfigError(
                f"Unknown wake model {for_log(unknown[0])!r}.{did_you_mean(unknown[0][:LOG_CHARS], known)} "
                f"This Judge serves: {', '.join(known)}."
            )
        return [self.models[n] for n in unique]

    def get(self, name: str | None) -> JudgeModel:
        """One model by name (the first one when ``name`` is empty)."""
        return self.select([name])[0] if name else self.default
