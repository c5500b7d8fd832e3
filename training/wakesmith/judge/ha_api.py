"""What the Home Assistant integration asks the Judge, under ``/ha`` on its HTTP port.

- ``GET /ha/info`` — version, models (presets, thresholds), whether capture is on, hard negatives kept;
- ``GET /ha/satellites`` — every satellite's counters, reported false alarms, preset, last verdict;
- ``GET /ha/events`` — a Server-Sent Events stream: one ``data: {json}`` line per verdict, reported
  false alarm or model install, a comment every :data:`KEEPALIVE_S` so dead peers are noticed;
- ``POST /ha/false_alarms`` — mark a satellite's last accepted verdict (or a verdict id) as a false
  accept: its audio goes into the hard-negative capture and the satellite's count goes up;
- ``PUT /ha/satellites/{id}/preset`` — the threshold preset for one satellite's triggers;
- ``POST /ha/models/{name}/install`` — load another ``.onnx`` for a served model name; the swap happens
  only once the new file has loaded and scored a buffer, so a corrupt file leaves the old one served.

The bearer token (:class:`wakesmith.judge.http_guard.RequestGuard`) guards these paths like every
other. Verdicts and presets are kept in memory (the integration re-sends presets when it connects); an
installed model is recorded in the settings' ``state_folder`` (:mod:`wakesmith.judge.state`) and is
served again after a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from wakesmith import __version__
from wakesmith.config import SAMPLE_RATE
from wakesmith.judge.capture import REJECTED
from wakesmith.judge.core import JudgeCore, Trigger
from wakesmith.judge.engine import ACCEPT, REJECT, JudgeModel, Verdict
from wakesmith.judge.names import for_log, satellite_id
from wakesmith.judge.settings import ModelSettings
from wakesmith.judge.state import record_install

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0
"""Seconds between SSE comments on a quiet stream."""
MAX_SUBSCRIBERS = 8
QUEUE_EVENTS = 256
"""Events buffered for a slow subscriber; beyond that its stream is closed (it reconnects and re-reads)."""
KEPT_VERDICTS = 256
"""Verdicts remembered for ``/ha/false_alarms`` by id."""
KEPT_AUDIO = 16
"""Accepted verdicts whose audio is kept, so a reported false alarm can become a hard negative."""
SMOKE_TEST_S = 1.0
"""Silence a newly loaded model must score (finite, 0–1) before it replaces the served one."""
HTTP_NOT_FOUND = 404
HTTP_CONFLICT = 409
HTTP_UNPROCESSABLE = 422
HTTP_UNAVAILABLE = 503
HTTP_INSUFFICIENT_STORAGE = 507


@dataclass
class VerdictRecord:
    """One trigger verdict as the integration sees it."""

    id: str
    satellite: str
    satellite_id: str
    accepted: bool
    score: float
    model: str
    time: float
    audio: np.ndarray | None = None
    reported: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "satellite": self.satellite,
            "satellite_id": self.satellite_id,
            "accepted": self.accepted,
            "score": round(self.score, 4),
            "model": self.model,
            "time": round(self.time, 3),
            "reported_false_alarm": self.reported,
        }


class FalseAlarmCreate(BaseModel):
    """Which verdict was a false accept: a verdict id, else the satellite's last accepted one."""

    model_config = ConfigDict(extra="forbid")
    satellite: str | None = Field(default=None, max_length=200)
    """The satellite's id (as ``/ha/satellites`` lists it)."""
    verdict_id: str | None = Field(default=None, max_length=64)


class PresetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    preset: str = Field(max_length=64)


class ModelInstall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: Path
    """An exported judge ``.onnx`` on the Judge's file system."""


class HaState:
    """The verdict log, false-alarm counts, presets and push subscribers (thread-safe)."""

    def __init__(self, core: JudgeCore) -> None:
        self.core = core
        self._lock = threading.Lock()
        self.verdicts: OrderedDict[str, VerdictRecord] = OrderedDict()
        self.last: dict[str, str] = {}
        """Satellite id → its last verdict id."""
        self.last_accepted: dict[str, str] = {}
        self.false_alarms: dict[str, int] = {}
        self.presets: dict[str, str] = {}
        self.model_settings: dict[str, ModelSettings] = {
            model.name: settings
            for model, settings in zip(core.models.models.values(), core.served, strict=True)
        }
        """Served name → the settings of the file it serves now."""
        self.configured: dict[str, Path] = {
            model.name: settings.path
            for model, settings in zip(core.models.models.values(), core.settings.models, strict=True)
        }
        """Served name → the file the settings name (the key of a recorded install)."""
        self._subscribers: dict[asyncio.Queue[dict[str, Any] | None], asyncio.AbstractEventLoop] = {}

    # -- hooks on the core (worker threads) ------------------------------------------------------
    def decide(self, trigger: Trigger, model: JudgeModel, verdict: Verdict) -> Verdict:
        """Apply the satellite's preset (a fixed ``threshold`` in the model's settings wins)."""
        preset = self.presets.get(satellite_id(trigger.satellite))
        settings = self.model_settings.get(model.name)
        if preset is None or (settings is not None and settings.threshold is not None):
            return verdict
        accepted = verdict.confidence >= model.metadata.trigger_threshold(preset)
        return replace(verdict, prediction=accepted, label=ACCEPT if accepted else REJECT)

    def observe(self, trigger: Trigger, model: JudgeModel, verdict: Verdict, audio: np.ndarray) -> None:
        sat = satellite_id(trigger.satellite)
        record = VerdictRecord(
            id=secrets.token_hex(8),
            satellite=trigger.satellite,
            satellite_id=sat,
            accepted=verdict.prediction,
            score=verdict.confidence,
            model=model.name,
            time=time.time(),
            audio=audio.copy() if verdict.prediction else None,
        )
        with self._lock:
            self.verdicts[record.id] = record
            self.last[sat] = record.id
            if record.accepted:
                self.last_accepted[sat] = record.id
            while len(self.verdicts) > KEPT_VERDICTS:
                self.verdicts.popitem(last=False)
            with_audio = [r for r in self.verdicts.values() if r.audio is not None]
            for old in with_audio[:-KEPT_AUDIO]:
                old.audio = None
        self.publish({"type": "verdict", **record.public()})

    # -- push channel ----------------------------------------------------------------------------
    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        if len(self._subscribers) >= MAX_SUBSCRIBERS:
            raise HTTPException(HTTP_UNAVAILABLE, f"At most {MAX_SUBSCRIBERS} event streams at once.")
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_EVENTS)
        self._subscribers[queue] = asyncio.get_running_loop()
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._subscribers.pop(queue, None)

    def publish(self, event: dict[str, Any]) -> None:
        """Queue an event for every subscriber (from any thread)."""
        for queue, loop in list(self._subscribers.items()):
            loop.call_soon_threadsafe(_offer, queue, event)

    # -- reads -----------------------------------------------------------------------------------
    def hard_negatives(self) -> int | None:
        capture = self.core.capture
        return None if capture is None else len(capture.captures(REJECTED))

    def satellites(self) -> list[dict[str, Any]]:
        rows = []
        with self._lock:
            for sat, (name, state) in self.core.telemetry.snapshot().items():
                last = self.verdicts.get(self.last.get(sat, ""))
                rows.append(
                    {
                        "id": sat,
                        "name": name,
                        **state,
                        "false_alarms": self.false_alarms.get(sat, 0),
                        "preset": self.presets.get(sat),
                        "last_verdict": last.public() if last else None,
                    }
                )
        return rows

    def known(self, sat: str) -> bool:
        return sat in self.core.telemetry.stats

    # -- actions ---------------------------------------------------------------------------------
    def report(self, request: FalseAlarmCreate) -> VerdictRecord:
        """Mark a verdict as a false accept (HTTPException when there is none to mark)."""
        with self._lock:
            if request.verdict_id:
                record = self.verdicts.get(request.verdict_id)
                if record is None:
                    raise HTTPException(
                        HTTP_NOT_FOUND,
                        f"No verdict {for_log(request.verdict_id, 64)!r}: the Judge remembers the last "
                        f"{KEPT_VERDICTS} verdicts since it started.",
                    )
            elif request.satellite:
                if not self.known(request.satellite):
                    raise HTTPException(HTTP_NOT_FOUND, _unknown(request.satellite))
                record_id = self.last_accepted.get(request.satellite)
                record = self.verdicts.get(record_id or "")
                if record is None:
                    raise HTTPException(
                        HTTP_NOT_FOUND, f"Satellite {request.satellite!r} has no accepted verdict to report."
                    )
            else:
                raise HTTPException(HTTP_UNPROCESSABLE, "Name a satellite or a verdict_id.")
            if not record.accepted:
                raise HTTPException(
                    HTTP_CONFLICT, "That verdict was a rejection: it is a hard negative already."
                )
            if record.reported:
                raise HTTPException(HTTP_CONFLICT, "That verdict was reported as a false alarm already.")
            record.reported = True
            self.false_alarms[record.satellite_id] = self.false_alarms.get(record.satellite_id, 0) + 1
            return record


def _offer(queue: asyncio.Queue[dict[str, Any] | None], event: dict[str, Any]) -> None:
    try:
        queue.put_nowait(event)
    except asyncio.QueueFull:
        # A subscriber this far behind gets its stream closed; it reconnects and reads the state anew.
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)


def _unknown(sat: str) -> str:
    return (
        f"Unknown satellite {for_log(sat)!r}: a satellite is known once its first trigger has reached "
        "this Judge (GET /ha/satellites lists them)."
    )


def _load_checked(settings: ModelSettings) -> JudgeModel:
    """Load a judge model and make it score a buffer; any failure means it is not installed."""
    model = JudgeModel(settings, threads=1)
    score = model.verify(np.zeros(int(SMOKE_TEST_S * SAMPLE_RATE), np.float32)).confidence
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"the model scores silence {score!r}, not a probability")
    return model


def _sse(event: dict[str, Any]) -> str:
    return f"data: {json.dumps(event, allow_nan=False)}\n\n"


def create_ha_router(core: JudgeCore) -> APIRouter:
    """The ``/ha`` routes, with their hooks installed on ``core``."""
    state = HaState(core)
    core.verdict_hooks.append(state.decide)
    core.verdict_observers.append(state.observe)
    router = APIRouter(prefix="/ha")

    def info() -> dict[str, Any]:
        return {
            "version": __version__,
            "models": [
                {
                    "name": m.name,
                    "phrase": m.phrase,
                    "model_id": m.metadata.model_id,
                    "threshold": round(m.trigger_threshold, 4),
                    "presets": [t.name for t in m.metadata.thresholds],
                    "languages": m.languages,
                    "path": str(state.model_settings[m.name].path),
                }
                for m in core.models.models.values()
            ],
            "capture": core.capture is not None,
            "hard_negatives": state.hard_negatives(),
            "mqtt_discovery": bool(core.settings.mqtt.host) and core.settings.mqtt.discovery,
        }

    @router.get("/info")
    async def get_info() -> dict[str, Any]:
        """The Judge, its models and its capture."""
        return info()

    @router.get("/satellites")
    async def get_satellites() -> dict[str, Any]:
        """Every satellite's counters (``false_accepts_per_hour`` over the last 24 h)."""
        return {"satellites": state.satellites(), "hard_negatives": state.hard_negatives()}

    @router.get("/events")
    async def events() -> StreamingResponse:
        """Server-Sent Events: verdicts, reported false alarms, model installs."""
        queue = state.subscribe()

        async def stream() -> AsyncIterator[str]:
            try:
                yield _sse({"type": "hello", "version": __version__})
                while True:
                    try:
                        event = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                    except TimeoutError:
                        yield ": keepalive\n\n"
                        continue
                    if event is None:
                        return
                    yield _sse(event)
            finally:
                state.unsubscribe(queue)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    @router.post("/false_alarms")
    async def report_false_alarm(request: Annotated[FalseAlarmCreate, Body()]) -> dict[str, Any]:
        """Count a false accept and keep its audio as a hard negative (when capture is on)."""
        record = state.report(request)
        captured = None
        audio, record.audio = record.audio, None
        capture = core.capture
        if capture is not None and audio is not None:
            meta = {
                "satellite": record.satellite,
                "model": record.model,
                "score": record.score,
                "reported_false_alarm": True,
                "verdict_id": record.id,
            }
            path = await core.run(partial(capture.save, audio, accepted=False, meta=meta))
            captured = path.name if path is not None else None
        count = state.false_alarms[record.satellite_id]
        log.info("false alarm reported for %s (verdict %s)", for_log(record.satellite), record.id)
        state.publish({"type": "false_alarm", **record.public(), "false_alarms": count})
        return {"verdict": record.public(), "false_alarms": count, "captured": captured}

    @router.put("/satellites/{sat}/preset")
    async def set_preset(sat: str, update: Annotated[PresetUpdate, Body()]) -> dict[str, Any]:
        """Judge this satellite's triggers at another calibrated preset."""
        presets = {t.name for m in core.models.models.values() for t in m.metadata.thresholds}
        presets |= {"default"}
        if update.preset not in presets:
            raise HTTPException(
                HTTP_UNPROCESSABLE, f"Unknown preset {for_log(update.preset)!r}; one of {sorted(presets)}."
            )
        if not state.known(sat):
            raise HTTPException(HTTP_NOT_FOUND, _unknown(sat))
        state.presets[sat] = update.preset
        return {"satellite": sat, "preset": update.preset}

    @router.post("/models/{name}/install")
    async def install_model(name: str, body: Annotated[ModelInstall, Body()]) -> dict[str, Any]:
        """Serve another file under a model's name, swapped in only once it has loaded and scored."""
        old = state.model_settings.get(name)
        if old is None:
            raise HTTPException(
                HTTP_NOT_FOUND, f"No model named {for_log(name)!r}; served: {list(core.models.models)}."
            )
        if body.path.suffix != ".onnx" or not body.path.is_file():
            raise HTTPException(
                HTTP_UNPROCESSABLE, f"{for_log(body.path, 200)} is not an .onnx file on the Judge's disk."
            )
        candidate = old.model_copy(update={"path": body.path, "name": name})
        try:
            model = await core.run(_load_checked, candidate)
        except Exception as exc:
            core.metrics.errors.labels("model_install").inc()
            log.warning("model install of %s refused: %s", for_log(body.path, 200), for_log(exc, 200))
            raise HTTPException(
                HTTP_UNPROCESSABLE,
                f"The new model did not load ({for_log(exc, 200)}); {name!r} keeps serving {old.path}.",
            ) from None
        try:
            await core.run(record_install, core.settings, state.configured[name], candidate)
        except OSError as exc:
            raise HTTPException(
                HTTP_INSUFFICIENT_STORAGE,
                f"Could not record the install in {core.settings.state_folder} ({exc.strerror}); "
                f"{name!r} keeps serving {old.path}.",
            ) from None
        core.models.models[name] = model  # one assignment: a verdict sees the old model or the new one
        state.model_settings[name] = candidate
        log.info("model %s now served from %s", name, for_log(body.path, 200))
        state.publish({"type": "model_installed", "model": name, "path": str(body.path)})
        return info()

    return router
