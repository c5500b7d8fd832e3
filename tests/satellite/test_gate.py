"""The gate's protocol and its failure modes, against fake Judges on loopback.

Each failure is a verdict of its own kind (never an exception) so the satellite keeps listening:
unreachable → ``error``; silent → ``timeout``; closing mid-verdict → ``error``; a reply that is not
Wyoming → ``error`` ("malformed"); an ``error`` event → ``error`` with the Judge's text.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import numpy as np
import pytest
from satellite_support import FakeJudge, Handler, free_port
from wyoming.event import Event, async_read_event, async_write_event
from wyoming.wake import Detection, NotDetected

from wakesmith.audio.io import from_pcm16
from wakesmith.config import SAMPLE_RATE
from wakesmith.satellite.gate import CHUNK_SAMPLES, TriggerInfo, VerdictKind, ask_judge

INFO = TriggerInfo(satellite="kitchen", wake_word="hey katya", sentry_score=0.97, listening_s=12.5)
BUFFER = np.random.default_rng(0).uniform(-0.5, 0.5, round(2.25 * SAMPLE_RATE)).astype(np.float32)
Make = Callable[[Handler], FakeJudge]


async def _read_trigger(reader: asyncio.StreamReader) -> list[Event]:
    events = []
    while (event := await async_read_event(reader)) is not None:
        events.append(event)
        if event.type == "audio-stop":
            break
    return events


def _ask(port: int, timeout_s: float = 2.0):  # type: ignore[no-untyped-def]
    return asyncio.run(ask_judge("127.0.0.1", port, BUFFER, INFO, names=["hey_katya"], timeout_s=timeout_s))


def test_the_gate_sends_detect_with_the_trigger_context_then_the_buffer(fake_judge: Make) -> None:
    seen: list[Event] = []

    async def judge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.extend(await _read_trigger(reader))
        context = {"verdict": {"confidence": 0.8125, "prediction": True}}
        await async_write_event(Detection(name="hey_katya", context=context).event(), writer)
        writer.close()

    reply = _ask(fake_judge(judge).port)
    assert reply.kind == VerdictKind.ACCEPT and reply.score == 0.8125 and reply.round_trip_ms > 0
    assert [e.type for e in seen[:2]] == ["detect", "audio-start"] and seen[-1].type == "audio-stop"
    assert seen[0].data["names"] == ["hey_katya"]
    assert seen[0].data["context"] == {
        "trigger": {
            "satellite": "kitchen",
            "wake_word": "hey katya",
            "sentry_score": 0.97,
            "listening_s": 12.5,
        }
    }
    assert {k: seen[1].data[k] for k in ("rate", "width", "channels")} == {
        "rate": 16000,
        "width": 2,
        "channels": 1,
    }
    chunks = [e for e in seen if e.type == "audio-chunk"]
    assert all(len(c.payload or b"") <= 2 * CHUNK_SAMPLES for c in chunks)
    sent = from_pcm16(b"".join(c.payload or b"" for c in chunks))
    np.testing.assert_allclose(sent, BUFFER, atol=1 / 32768)


def test_not_detected_is_a_reject_with_the_judges_score(fake_judge: Make) -> None:
    async def judge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_trigger(reader)
        await async_write_event(Event("info", {}), writer)  # events that are not verdicts are skipped
        await async_write_event(NotDetected(context={"verdict": {"confidence": 0.02}}).event(), writer)

    reply = _ask(fake_judge(judge).port)
    assert (reply.kind, reply.score) == (VerdictKind.REJECT, 0.02)


def test_an_unreachable_judge_is_an_error() -> None:
    reply = _ask(free_port())  # nothing listens there
    assert reply.kind == VerdictKind.ERROR and "unreachable" in reply.detail


def test_a_silent_judge_is_a_timeout(fake_judge: Make) -> None:
    async def judge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_trigger(reader)
        await reader.read()  # until the gate gives up and hangs up

    reply = _ask(fake_judge(judge).port, timeout_s=0.3)
    assert reply.kind == VerdictKind.TIMEOUT and "0.3 s" in reply.detail
    assert 250 < reply.round_trip_ms < 2000


def test_a_judge_that_closes_mid_verdict_is_an_error(fake_judge: Make) -> None:
    async def judge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_trigger(reader)
        header = {"type": "detection", "data_length": 400, "version": "1.5.3"}
        writer.write(json.dumps(header).encode() + b"\n" + b'{"name": "hey')  # cut inside the data
        await writer.drain()
        writer.close()

    reply = _ask(fake_judge(judge).port)
    assert reply.kind == VerdictKind.ERROR and "closed the connection before its verdict" in reply.detail


@pytest.mark.parametrize(
    "line",
    [b"this is not json\n", b'{"no_type": 1}\n', b"[1, 2, 3]\n"],
    ids=["text", "no-type", "not-object"],
)
def test_a_malformed_reply_is_an_error(fake_judge: Make, line: bytes) -> None:
    async def judge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_trigger(reader)
        writer.write(line)
        await writer.drain()
        await reader.read()

    reply = _ask(fake_judge(judge).port)
    assert reply.kind == VerdictKind.ERROR and "malformed reply" in reply.detail


def test_an_error_event_is_an_error_with_the_judges_text(fake_judge: Make) -> None:
    async def judge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_trigger(reader)
        await async_write_event(Event("error", {"text": "Unknown wake model", "code": "ConfigError"}), writer)

    reply = _ask(fake_judge(judge).port)
    assert reply.kind == VerdictKind.ERROR and "Unknown wake model" in reply.detail
