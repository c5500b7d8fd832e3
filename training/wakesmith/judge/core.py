"""The Judge's shared state: models, inference threads, metrics, telemetry and capture.

Both front doors (Wyoming and HTTP) call :meth:`JudgeCore.judge_trigger`, so a verdict is counted,
published and captured the same way whichever way the trigger arrived.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from wakesmith.config import SAMPLE_RATE
from wakesmith.judge.capture import BYTES_PER_MB, CaptureFolder
from wakesmith.judge.engine import ModelSet, Verdict
from wakesmith.judge.settings import JudgeSettings
from wakesmith.judge.telemetry import Telemetry

log = logging.getLogger(__name__)
T = TypeVar("T")

LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
DEFAULT_SATELLITE = "unknown"


@dataclass(frozen=True)
class Trigger:
    """Who forwarded a buffer, and what the sentry thought of it."""

    satellite: str = DEFAULT_SATELLITE
    sentry_score: float | None = None
    listening_s: float | None = None

    @classmethod
    def from_context(cls, value: Any) -> Trigger | None:
        """The trigger marking in a Wyoming ``detect`` context (``{"trigger": {...}}``), if any."""
        if not isinstance(value, dict) or not isinstance(value.get("trigger"), dict):
            return None
        data = value["trigger"]
        return cls(
            satellite=str(data.get("satellite") or DEFAULT_SATELLITE),
            sentry_score=_number(data.get("sentry_score")),
            listening_s=_number(data.get("listening_s")),
        )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class Metrics:
    """Prometheus metrics of one Judge (its own registry, so several Judges can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.verdicts = Counter(
            "wakesmith_judge_verdicts", "Trigger verdicts", ["model", "result"], registry=r
        )
        self.verify_seconds = Histogram(
            "wakesmith_judge_verify_seconds",
            "Time to score one trigger buffer",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.detections = Counter("wakesmith_judge_detections", "Stream detections", ["model"], registry=r)
        self.streams = Gauge("wakesmith_judge_active_streams", "Open Wyoming connections", registry=r)
        self.audio_seconds = Counter("wakesmith_judge_audio_seconds", "Audio processed", registry=r)
        self.errors = Counter("wakesmith_judge_errors", "Refused requests", ["kind"], registry=r)


class JudgeCore:
    """Everything a connection or HTTP request needs; build it with :meth:`from_settings`."""

    def __init__(
        self,
        settings: JudgeSettings,
        models: ModelSet,
        *,
        telemetry: Telemetry | None = None,
        capture: CaptureFolder | None = None,
    ) -> None:
        self.settings = settings
        self.models = models
        self.metrics = Metrics()
        self.telemetry = telemetry or Telemetry(settings.mqtt)
        self.capture = capture
        self.pool = ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="judge")

    @classmethod
    def from_settings(cls, settings: JudgeSettings) -> JudgeCore:
        """Load the models (onnxruntime, one thread each) and set up capture and telemetry."""
        capture = None
        if settings.capture.folder is not None:
            capture = CaptureFolder(
                settings.capture.folder,
                quota_bytes=int(settings.capture.quota_mb * BYTES_PER_MB),
                keep_accepted=settings.capture.keep_accepted,
            )
        return cls(settings, ModelSet.load(settings.models, threads=1), capture=capture)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run CPU work on the inference threads, keeping the event loop free for other streams."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    def judge_trigger(self, audio: np.ndarray, model_name: str | None, trigger: Trigger) -> Verdict:
        """Verify a trigger buffer, then count, publish and capture the verdict (runs on a worker)."""
        model = self.models.get(model_name)
        verdict = model.verify(audio)
        self.metrics.verify_seconds.observe(verdict.latency_ms / 1000)
        self.metrics.verdicts.labels(model.name, verdict.label).inc()
        self.metrics.audio_seconds.inc(len(audio) / SAMPLE_RATE)
        try:
            self.telemetry.record(
                trigger.satellite,
                accepted=verdict.prediction,
                score=verdict.confidence,
                model=model.name,
                sentry_score=trigger.sentry_score,
                listening_s=trigger.listening_s,
            )
            if self.capture is not None:
                self.capture.save(
                    audio,
                    accepted=verdict.prediction,
                    meta={
                        "satellite": trigger.satellite,
                        "model": model.name,
                        "score": verdict.confidence,
                        "threshold": model.threshold,
                        "sentry_score": trigger.sentry_score,
                    },
                )
        except OSError as exc:  # a full disk or a broker hiccup must not cost the satellite its verdict
            log.error("could not record the verdict for %s: %s", trigger.satellite, exc)
        log.info(
            "trigger from %s: %s (%.3f, %s, %.1f ms)",
            trigger.satellite,
            verdict.label,
            verdict.confidence,
            model.name,
            verdict.latency_ms,
        )
        return verdict

    def close(self) -> None:
        """Stop telemetry and the inference threads."""
        self.telemetry.stop()
        self.pool.shutdown(wait=False, cancel_futures=True)
