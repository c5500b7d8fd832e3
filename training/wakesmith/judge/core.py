"""The Judge's shared state: models, inference threads, metrics, telemetry and capture.

Both front doors (Wyoming and HTTP) call :meth:`JudgeCore.judge_trigger`, so a verdict is counted,
published and captured the same way whichever way the trigger arrived.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from wakesmith.audio.io import decode_audio
from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import WakesmithError
from wakesmith.judge.capture import BYTES_PER_MB, CaptureFolder
from wakesmith.judge.engine import JudgeModel, ModelSet, Verdict
from wakesmith.judge.names import check_satellite_name, for_log
from wakesmith.judge.protocol import MAX_CHANNELS, MAX_RATE, MIN_RATE
from wakesmith.judge.settings import JudgeSettings, ModelSettings
from wakesmith.judge.state import apply_installed
from wakesmith.judge.telemetry import Telemetry

log = logging.getLogger(__name__)
T = TypeVar("T")
VerdictHook = Callable[["Trigger", JudgeModel, Verdict], Verdict]
"""Decides again on a trigger's verdict before it is counted (the HA API's per-satellite presets)."""
VerdictObserver = Callable[["Trigger", JudgeModel, Verdict, np.ndarray], None]
"""Told of every counted trigger verdict with its audio (the HA API's verdict log and push channel)."""

LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
DEFAULT_SATELLITE = "unknown"


class TriggerError(WakesmithError):
    """A trigger context that cannot be used (wrong types, non-finite numbers, a bad satellite name)."""


class SatelliteRefusedError(WakesmithError):
    """A satellite that is not on the Judge's allow-list (``satellites``)."""


@dataclass(frozen=True)
class Trigger:
    """Who forwarded a buffer, and what the sentry thought of it (validated: build with :meth:`create`)."""

    satellite: str = DEFAULT_SATELLITE
    sentry_score: float | None = None
    listening_s: float | None = None

    @classmethod
    def create(
        cls, satellite: Any, sentry_score: Any = None, listening_s: Any = None, *, max_name_chars: int
    ) -> Trigger:
        """A checked trigger: a printable name of bounded length, finite numbers; else TriggerError."""
        if satellite is None or satellite == "":
            satellite = DEFAULT_SATELLITE
        if not isinstance(satellite, str):
            raise TriggerError(f"The trigger's satellite must be a string, got {type(satellite).__name__}.")
        problem = check_satellite_name(satellite, max_name_chars)
        if problem:
            raise TriggerError(problem)
        listening = _finite(listening_s, "listening_s")
        if listening is not None and listening < 0:
            raise TriggerError(f"listening_s must be 0 or more seconds, got {listening}.")
        return cls(satellite, _finite(sentry_score, "sentry_score"), listening)

    @classmethod
    def from_context(cls, value: Any, *, max_name_chars: int) -> Trigger | None:
        """The trigger marking in a Wyoming ``detect`` context (``{"trigger": {...}}``), if any."""
        if not isinstance(value, dict) or "trigger" not in value:
            return None
        data = value["trigger"]
        if not isinstance(data, dict):
            raise TriggerError(f"context.trigger must be an object, got {type(data).__name__}.")
        return cls.create(
            data.get("satellite"),
            data.get("sentry_score"),
            data.get("listening_s"),
            max_name_chars=max_name_chars,
        )


def _finite(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TriggerError(f"{key} must be a number, got {for_log(repr(value), 40)}.")
    number = float(value)  # an int beyond float range raises OverflowError: caught by the handlers
    if not math.isfinite(number):
        raise TriggerError(f"{key} must be a finite number, got {number}.")
    return number


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
        served: list[ModelSettings] | None = None,
    ) -> None:
        self.settings = settings
        self.models = models
        self.served = list(served if served is not None else settings.models)
        """Per configured model, the settings of the file it serves (a recorded install replaces one)."""
        self.metrics = Metrics()
        self.telemetry = telemetry or Telemetry(settings.mqtt, max_satellites=settings.limits.max_satellites)
        self.capture = capture
        self.pool = ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="judge")
        # Uploads decode on a thread of their own: a heavy file neither blocks the event loop nor
        # occupies the inference threads that other satellites' verdicts wait for.
        self.decode_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judge-decode")
        self.allowed = frozenset(settings.satellites)
        self.verdict_hooks: list[VerdictHook] = []
        self.verdict_observers: list[VerdictObserver] = []

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
        served = apply_installed(settings).models
        return cls(settings, ModelSet.load(served, threads=1), capture=capture, served=served)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run CPU work on the inference threads, keeping the event loop free for other streams."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def decode(self, data: bytes, name: str) -> np.ndarray:
        """Decode an uploaded file off the event loop, within the rate, channel, duration and size caps."""
        limits = self.settings.limits

        def work() -> np.ndarray:
            return decode_audio(
                data,
                max_seconds=limits.max_verify_seconds,
                name=name,
                min_rate=MIN_RATE,
                max_rate=MAX_RATE,
                max_channels=MAX_CHANNELS,
                max_decoded_bytes=limits.max_decoded_bytes,
            )

        return await asyncio.get_running_loop().run_in_executor(self.decode_pool, work)

    def trigger(self, satellite: Any, sentry_score: Any = None, listening_s: Any = None) -> Trigger:
        """A validated trigger from an allowed satellite (TriggerError, SatelliteRefusedError)."""
        trigger = Trigger.create(
            satellite, sentry_score, listening_s, max_name_chars=self.settings.limits.max_name_chars
        )
        self.admit(trigger)
        return trigger

    def admit(self, trigger: Trigger) -> None:
        """Refuse a satellite that is not on the allow-list (when there is one)."""
        if self.allowed and trigger.satellite not in self.allowed:
            raise SatelliteRefusedError(
                f"Satellite {for_log(trigger.satellite)!r} is not on this Judge's satellites list; "
                "add it to the `satellites` setting."
            )

    def count_detection(self, client: str, model: str, score: float) -> None:
        """Count a continuous-mode detection for ``client`` (telemetry failures are logged, not raised)."""
        self.metrics.detections.labels(model).inc()
        if self.allowed and client not in self.allowed:
            return
        try:
            self.telemetry.record_detection(client, model=model, score=score)
        except Exception as exc:
            log.error("could not record a detection for %s: %s", for_log(client), for_log(exc, 200))

    def judge_trigger(self, audio: np.ndarray, model_name: str | None, trigger: Trigger) -> Verdict:
        """Verify a trigger buffer, then count, publish and capture the verdict (runs on a worker)."""
        model = self.models.get(model_name)
        verdict = model.verify(audio)
        for hook in self.verdict_hooks:
            verdict = hook(trigger, model, verdict)
        self.metrics.verify_seconds.observe(verdict.latency_ms / 1000)
        self.metrics.verdicts.labels(model.name, verdict.label).inc()
        self.metrics.audio_seconds.inc(len(audio) / SAMPLE_RATE)
        # Neither a broker hiccup nor a full disk (nor any bug there) may cost the satellite its verdict.
        try:
            self.telemetry.record(
                trigger.satellite,
                accepted=verdict.prediction,
                score=verdict.confidence,
                model=model.name,
                sentry_score=trigger.sentry_score,
                listening_s=trigger.listening_s,
            )
        except Exception as exc:
            self.metrics.errors.labels("telemetry").inc()
            log.error(
                "could not publish the verdict for %s: %s", for_log(trigger.satellite), for_log(exc, 200)
            )
        if self.capture is not None:
            try:
                self.capture.save(
                    audio,
                    accepted=verdict.prediction,
                    meta={
                        "satellite": trigger.satellite,
                        "model": model.name,
                        "score": verdict.confidence,
                        "threshold": model.trigger_threshold,
                        "sentry_score": trigger.sentry_score,
                    },
                )
            except Exception as exc:
                self.metrics.errors.labels("capture").inc()
                log.error(
                    "could not capture the trigger of %s: %s", for_log(trigger.satellite), for_log(exc, 200)
                )
        for observer in self.verdict_observers:
            try:
                observer(trigger, model, verdict, audio)
            except Exception as exc:
                self.metrics.errors.labels("observer").inc()
                log.error("a verdict observer failed: %s", for_log(exc, 200))
        log.info(
            "trigger from %s: %s (%.3f, %s, %.1f ms)",
            for_log(trigger.satellite),
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
        self.decode_pool.shutdown(wait=False, cancel_futures=True)
