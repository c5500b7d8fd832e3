"""The gate's half of the trigger protocol: one trigger buffer to the Judge, one verdict back.

Exactly what the ESPHome gate sends, over the ``wyoming`` library's own client:
``detect {names, context: {"trigger": {satellite, wake_word, sentry_score, listening_s}}}``,
``audio-start``, ``audio-chunk``…, ``audio-stop``; the Judge answers ``detection`` (accept) or
``not-detected`` (reject), both with ``context.verdict``. Each trigger gets its own connection, so a
Judge that broke one exchange cannot spoil the next.

Whatever goes wrong becomes a verdict of its own kind, never an exception: ``timeout`` (no verdict
within the timeout, connection included) and ``error`` (unreachable, an ``error`` event, the
connection closed before the verdict, a reply that is not Wyoming). The satellite's policy decides
whether such a trigger wakes it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.wake import Detect, Detection, NotDetected

from wakesmith.audio.io import to_pcm16
from wakesmith.config import SAMPLE_RATE

SAMPLE_WIDTH = 2
CHANNELS = 1
CHUNK_SAMPLES = 1600
"""Samples per ``audio-chunk`` (100 ms)."""
MS_PER_S = 1000.0


class VerdictKind(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    TIMEOUT = "timeout"
    ERROR = "error"


@dataclass(frozen=True)
class JudgeReply:
    """The Judge's answer to one trigger, as the gate saw it."""

    kind: VerdictKind
    score: float | None = None
    """The Judge's score (``context.verdict.confidence``) when it gave one."""
    round_trip_ms: float = 0.0
    """From opening the connection to the verdict (or to giving up)."""
    detail: str = ""


@dataclass(frozen=True)
class TriggerInfo:
    """What the gate tells the Judge about a trigger (the ``detect`` context)."""

    satellite: str
    wake_word: str
    sentry_score: float
    listening_s: float

    def context(self) -> dict[str, Any]:
        return {
            "trigger": {
                "satellite": self.satellite,
                "wake_word": self.wake_word,
                "sentry_score": round(self.sentry_score, 4),
                "listening_s": round(self.listening_s, 3),
            }
        }


def trigger_events(buffer: np.ndarray, info: TriggerInfo, names: list[str] | None) -> list[Event]:
    """The events the gate sends for one trigger buffer, in order."""
    pcm = to_pcm16(buffer)
    step = CHUNK_SAMPLES * SAMPLE_WIDTH
    events = [
        Detect(names=names, context=info.context()).event(),
        AudioStart(SAMPLE_RATE, SAMPLE_WIDTH, CHANNELS, timestamp=0).event(),
    ]
    for start in range(0, len(pcm), step):
        ms = round(start / SAMPLE_WIDTH / SAMPLE_RATE * MS_PER_S)
        events.append(
            AudioChunk(SAMPLE_RATE, SAMPLE_WIDTH, CHANNELS, pcm[start : start + step], timestamp=ms).event()
        )
    events.append(AudioStop(timestamp=round(len(buffer) / SAMPLE_RATE * MS_PER_S)).event())
    return events


def _score(event: Event) -> float | None:
    verdict = (event.data or {}).get("context", {}) or {}
    value = verdict.get("verdict", {}).get("confidence") if isinstance(verdict, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read_verdict(event: Event) -> JudgeReply | None:
    """The verdict an event carries (None for events that are not one, e.g. ``info``)."""
    if Detection.is_type(event.type):
        return JudgeReply(VerdictKind.ACCEPT, _score(event))
    if NotDetected.is_type(event.type):
        return JudgeReply(VerdictKind.REJECT, _score(event))
    if Error.is_type(event.type):
        err = Error.from_event(event)
        return JudgeReply(VerdictKind.ERROR, detail=f"the Judge refused the trigger: {err.text} ({err.code})")
    return None


CLOSED = "the Judge closed the connection before its verdict"


class _GateError(Exception):
    """An exchange that cannot end in a verdict; its message is the verdict's detail."""


async def _exchange(host: str, port: int, events: list[Event]) -> JudgeReply:
    client = AsyncTcpClient(host, port)
    try:
        await client.connect()
    except OSError as exc:  # refused, no route, unknown host
        raise _GateError(f"the Judge at {host}:{port} is unreachable ({exc})") from None
    try:
        for event in events:
            await client.write_event(event)
        while True:
            try:
                reply = await client.read_event()
            except (KeyError, TypeError, AttributeError) as exc:  # JSON, but not a Wyoming event
                raise _GateError(f"malformed reply from the Judge ({type(exc).__name__}: {exc})") from None
            if reply is None:
                # wyoming's reader answers None both at EOF and for a line that is not JSON
                reader = client._reader
                malformed = reader is not None and not reader.at_eof()
                raise _GateError(
                    "malformed reply from the Judge (not a Wyoming event)" if malformed else CLOSED
                )
            verdict = read_verdict(reply)
            if verdict is not None:
                return verdict
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        raise _GateError(f"{CLOSED} ({type(exc).__name__})") from None
    finally:
        await client.disconnect()


async def ask_judge(
    host: str,
    port: int,
    buffer: np.ndarray,
    info: TriggerInfo,
    *,
    names: list[str] | None = None,
    timeout_s: float,
) -> JudgeReply:
    """Send one trigger buffer to the Judge at ``host:port``; its verdict, a timeout or an error."""
    events = trigger_events(buffer, info, names)
    started = time.perf_counter()
    try:
        reply = await asyncio.wait_for(_exchange(host, port, events), timeout_s)
    except TimeoutError:
        reply = JudgeReply(VerdictKind.TIMEOUT, detail=f"no verdict within {timeout_s:g} s")
    except _GateError as exc:
        reply = JudgeReply(VerdictKind.ERROR, detail=str(exc))
    elapsed = (time.perf_counter() - started) * MS_PER_S
    return JudgeReply(reply.kind, reply.score, elapsed, reply.detail)
