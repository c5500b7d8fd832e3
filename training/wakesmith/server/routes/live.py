"""``/api/live`` (WebSocket): the studio's live test — microphone audio through the shipped cascade.

Query: ``model`` (a sentry model id, or ``current``) and ``judge`` (a judge model id, ``current`` —
the default, nothing when no judge is current — or ``none``). The client sends binary frames of
16 kHz mono int16 little-endian PCM, each a whole number of samples and at most
:data:`MAX_FRAME_SAMPLES`. The server answers JSON messages:

- ``{"info": {...}}`` first: the sentry (id, runtime, cutoff, step) and the Judge (id, trigger
  threshold) it runs, and ``note`` when the float ONNX stands in for an INT8 export;
- ``{"steps": [{"t": s, "sentry": p}, ...]}`` per frame: each sentry step the frame completed
  (``t`` the stream time at the step's end, ``p`` its probability);
- ``{"judge_steps": [{"t": s, "judge": p}, ...]}`` per frame, when a Judge runs: the Judge's own
  continuous score, each window the frame completed (every ``judge_hop_ms``, as the Judge scores a
  continuous Wyoming stream), beside the sentry's;
- ``{"t": s, "detection": "sentry", "score": m}`` when the sentry fires at its shipped cutoff
  (``m`` the smoothed score that fired);
- ``{"t": s, "judge": p, "accepted": bool, "threshold": x}`` once the trigger's post-roll has arrived:
  the Judge's score on the gate's buffer (:func:`~wakesmith.runtime.cascade.trigger_buffer`) and the
  cascade's decision (sent only when a Judge runs);
- ``{"error": "..."}`` before the server closes the socket (unknown model, no current sentry, a
  frame that is not int16 PCM).

The sentry runs as a satellite runs it: the ESPHome INT8 export in pymicro-wakeword with ESPHome's
detection rule (:class:`~wakesmith.satellite.sentry.SentryStream`), or — when the model has no ESPHome
export or pymicro-wakeword is missing — its float ONNX through the streaming runtime at its calibrated
default threshold. Model loading and scoring run in worker threads, off the event loop.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from wakesmith.artifact import Artifact, read_current, resolve_model_id
from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import ToolMissingError, WakesmithError
from wakesmith.home import Home
from wakesmith.judge.engine import JudgeModel
from wakesmith.judge.settings import ModelSettings
from wakesmith.runtime import OnnxBackend, StreamingScorer, WindowScorer
from wakesmith.runtime.cascade import POST_ROLL_S, PRE_ROLL_S
from wakesmith.runtime.detector import Detector
from wakesmith.runtime.scorers import Scorer
from wakesmith.satellite.ring import RingBuffer
from wakesmith.satellite.sentry import SentryStream, device_rule, read_shipped
from wakesmith.server.deps import WsStudioDep

router = APIRouter(tags=["live"])

MAX_FRAME_SAMPLES = SAMPLE_RATE
"""The longest frame the live test takes (1 s); a browser sends a few tens of milliseconds."""
PCM_BYTES = 2
WS_UNSUPPORTED_DATA = 1003
WS_POLICY_VIOLATION = 1008
ESPHOME_FOLDERS = (Path("exports") / "esphome", Path("esphome"))
"""Where an artifact keeps its ESPHome export (``wakesmith export``'s default, the cascade's)."""


class LiveError(WakesmithError):
    """A live test that cannot start or go on; the message is sent to the client."""


@dataclass
class LiveSentry:
    """The sentry's scorer and its detector at the shipped cutoff."""

    model_id: str
    scorer: Scorer
    detector: Detector
    runtime: str
    note: str = ""


def _artifact(ref: str, role: str, home: Home) -> Artifact:
    art = resolve_model_id(role if ref == "current" else ref, home)
    if art.metadata.role != role:
        raise LiveError(f"Model {art.model_id!r} is a {art.metadata.role}, not a {role}; choose a {role}.")
    return art


def _esphome_manifest(art: Artifact) -> Path | None:
    for folder in ESPHOME_FOLDERS:
        if sorted((art.path / folder).glob("*.json")):
            return art.path / folder
    return None


def load_sentry(ref: str, home: Home) -> LiveSentry:
    """The sentry as shipped: its ESPHome INT8 export in pymicro-wakeword, else its float ONNX."""
    art = _artifact(ref, "sentry", home)
    folder = _esphome_manifest(art)
    why = "it has no ESPHome export (export it with `wakesmith export sentry --format esphome`)"
    if folder is not None:
        try:
            shipped = read_shipped(folder)
            stream = SentryStream(shipped, device_rule(shipped))
            return LiveSentry(art.model_id, stream.scorer, stream.detector, "int8")
        except ToolMissingError as exc:
            why = str(exc)
    meta = art.metadata
    scorer = StreamingScorer(OnnxBackend.load(art.onnx_path))
    rule = meta.detector.model_copy(update={"threshold": meta.threshold("default")})
    detector = Detector(rule, scorer.step_seconds, scorer.first_end_s)
    note = f"The float ONNX sentry runs instead of the INT8 file: {why}."
    return LiveSentry(art.model_id, scorer, detector, "onnx", note)


def load_judge(ref: str, home: Home) -> JudgeModel | None:
    """The Judge for the sentry's triggers (None: ``none``, or ``current`` with no current judge)."""
    if ref == "none" or (ref == "current" and "judge" not in read_current(home)):
        return None
    art = _artifact(ref, "judge", home)
    return JudgeModel(ModelSettings(path=art.onnx_path, name=art.model_id))


class LiveSession:
    """One live test: audio in, the messages of the module docstring out (one stream, in order)."""

    def __init__(self, sentry: LiveSentry, judge: JudgeModel | None) -> None:
        self.sentry = sentry
        self.judge = judge
        self.ring = RingBuffer.for_rolls(PRE_ROLL_S, POST_ROLL_S, MAX_FRAME_SAMPLES)
        self._post = round(POST_ROLL_S * SAMPLE_RATE)
        self._steps = 0
        self._waiting: list[tuple[int, float]] = []
        """Triggers (sample, time) whose post-roll has not arrived yet."""
        self._judge_stream = None if judge is None else WindowScorer(judge.backend)
        self._judge_steps = 0

    def info(self) -> dict[str, Any]:
        s = self.sentry
        return {
            "sample_rate": SAMPLE_RATE,
            "max_frame_samples": MAX_FRAME_SAMPLES,
            "sentry": {
                "id": s.model_id,
                "runtime": s.runtime,
                "threshold": s.detector.cfg.threshold,
                "step_s": s.scorer.step_seconds,
            },
            "judge": None
            if self.judge is None
            else {"id": self.judge.name, "threshold": self.judge.trigger_threshold},
            "note": s.note,
        }

    def push(self, pcm: np.ndarray) -> list[dict[str, Any]]:
        """The messages one frame of int16 PCM completes (detections and verdicts, then the sentry's
        steps, then the Judge's)."""
        self.ring.write(pcm.astype(np.float32) / 32768.0)
        scores = self.sentry.scorer.push(pcm)
        scorer = self.sentry.scorer
        steps = [
            {"t": round(scorer.first_end_s + (self._steps + i) * scorer.step_seconds, 3), "sentry": float(p)}
            for i, p in enumerate(scores.tolist())
        ]
        self._steps += len(scores)
        out: list[dict[str, Any]] = []
        for d in self.sentry.detector.push(scores):
            t = round(d.time_s, 3)
            out.append({"t": t, "detection": "sentry", "score": round(d.score, 4)})
            if self.judge is not None:
                self._waiting.append((round(d.time_s * SAMPLE_RATE), t))
        while self._waiting and self._waiting[0][0] + self._post <= self.ring.total:
            sample, t = self._waiting.pop(0)
            assert self.judge is not None
            verdict = self.judge.verify(self.ring.cut(sample, PRE_ROLL_S, POST_ROLL_S))
            out.append(
                {
                    "t": t,
                    "judge": round(verdict.confidence, 4),
                    "accepted": verdict.prediction,
                    "threshold": self.judge.trigger_threshold,
                }
            )
        if steps:
            out.append({"steps": steps})
        if self._judge_stream is not None:
            js = self._judge_stream
            judged = js.push(pcm).tolist()
            if judged:
                first = self._judge_steps
                out.append(
                    {
                        "judge_steps": [
                            {"t": round(js.first_end_s + (first + i) * js.step_seconds, 3), "judge": float(p)}
                            for i, p in enumerate(judged)
                        ]
                    }
                )
                self._judge_steps += len(judged)
        return out


def frame_pcm(data: bytes) -> np.ndarray:
    """A binary frame as int16 samples, or a LiveError that says what to send."""
    if not data or len(data) % PCM_BYTES or len(data) > MAX_FRAME_SAMPLES * PCM_BYTES:
        raise LiveError(
            f"A frame of {len(data)} bytes is not 16 kHz mono int16 PCM: send an even number of bytes, "
            f"1 to {MAX_FRAME_SAMPLES} samples a frame."
        )
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def _open(home: Home, model: str, judge: str) -> LiveSession:
    return LiveSession(load_sentry(model, home), load_judge(judge, home))


@router.websocket("/api/live")
async def live(
    websocket: WebSocket, studio: WsStudioDep, model: str = "current", judge: str = "current"
) -> None:
    await websocket.accept()
    try:
        session = await run_in_threadpool(_open, studio.home, model, judge)
    except WakesmithError as exc:
        await _close(websocket, str(exc), WS_POLICY_VIOLATION)
        return
    await websocket.send_json({"info": session.info()})
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:
                raise LiveError("Send audio as binary frames of 16 kHz mono int16 PCM, not text.")
            for out in await run_in_threadpool(session.push, frame_pcm(data)):
                await websocket.send_json(out)
    except LiveError as exc:
        await _close(websocket, str(exc), WS_UNSUPPORTED_DATA)
    except (WebSocketDisconnect, OSError):  # the client went away
        pass


async def _close(websocket: WebSocket, error: str, code: int) -> None:
    with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):
        await websocket.send_json({"error": error})
        await websocket.close(code, error[:120])
