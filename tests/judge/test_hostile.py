"""Hostile input: each is refused with an error event or HTTP 4xx, logged, and other streams keep working."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import numpy as np
import pytest
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.wake import Detect

from conftest import RunningJudge, StreamSpec, read_until_verdict, stream_clip
from wakesmith.audio.io import to_pcm16, wav_bytes

RELEASE_TIMEOUT_S = 10.0
"""How long a dropped connection may take to be released on a busy machine."""


async def _raw(port: int, data: bytes) -> list[Event]:
    """Send raw bytes, then read what the server answers until it closes or goes quiet."""
    async with AsyncTcpClient("127.0.0.1", port) as client:
        assert client._writer is not None
        client._writer.write(data)
        await client._writer.drain()
        try:
            return await read_until_verdict(client)
        except TimeoutError:
            return []


def _header(kind: str, data: dict[str, object] | None = None, payload_length: int = 0) -> bytes:
    header: dict[str, object] = {"type": kind, "data": data or {}}
    if payload_length:
        header["payload_length"] = payload_length
    return json.dumps(header).encode() + b"\n"


def _still_works(judge: RunningJudge, positive: np.ndarray) -> None:
    events = asyncio.run(stream_clip(judge.port, positive, StreamSpec(names=["hey_katya"])))
    assert events[-1].type == "detection"


@pytest.mark.parametrize(
    ("rate", "width", "channels", "message"),
    [(1000, 2, 1, "Sample rate 1000"), (16000, 3, 1, "Sample width 3"), (16000, 2, 6, "6 channels")],
)
def test_unsupported_audio_start_is_refused_and_the_connection_goes_on(
    judge: RunningJudge,
    positive: np.ndarray,
    rate: int,
    width: int,
    channels: int,
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def go() -> tuple[list[Event], list[Event]]:
        pcm = to_pcm16(positive)
        async with AsyncTcpClient("127.0.0.1", judge.port) as client:
            await client.write_event(AudioStart(rate, width, channels).event())
            refused = await read_until_verdict(client)
            # The same connection then streams a good clip.
            await client.write_event(Detect(names=["hey_katya"]).event())
            await client.write_event(AudioStart(16000, 2, 1).event())
            await client.write_event(AudioChunk(16000, 2, 1, pcm).event())
            await client.write_event(AudioStop().event())
            return refused, await read_until_verdict(client)

    with caplog.at_level(logging.WARNING, logger="wakesmith.judge"):
        refused, after = asyncio.run(go())
    assert refused[0].type == "error" and message in refused[0].data["text"]
    assert any(message in r.getMessage() for r in caplog.records)
    assert after[-1].type == "detection"


def test_malformed_json_header(judge: RunningJudge, positive: np.ndarray) -> None:
    events = asyncio.run(_raw(judge.port, b'{"type": "audio-start", "data": {\n'))
    assert events[0].type == "error" and "Malformed event header" in events[0].data["text"]
    _still_works(judge, positive)


def test_payload_longer_than_declared(judge: RunningJudge, positive: np.ndarray) -> None:
    fmt = {"rate": 16000, "width": 2, "channels": 1}
    # 64 bytes follow a chunk declared as 4: the rest runs into where the next header should be.
    chunk = _header("audio-chunk", fmt, payload_length=4) + b"\x00" * 64
    data = _header("audio-start", fmt) + chunk + _header("audio-stop")
    events = asyncio.run(_raw(judge.port, data))
    assert events[-1].type == "error" and "Malformed" in events[-1].data["text"]
    _still_works(judge, positive)


def test_declared_payload_over_the_limit(judge: RunningJudge, positive: np.ndarray) -> None:
    fmt = {"rate": 16000, "width": 2, "channels": 1}
    events = asyncio.run(_raw(judge.port, _header("audio-chunk", fmt, payload_length=10**10)))
    assert events[-1].type == "error" and "over this server's limit" in events[-1].data["text"]
    _still_works(judge, positive)


def test_chunk_cut_mid_frame_is_refused(judge: RunningJudge, positive: np.ndarray) -> None:
    fmt = {"rate": 16000, "width": 2, "channels": 1}
    data = _header("audio-start", fmt) + _header("audio-chunk", fmt, payload_length=3) + b"\x00" * 3
    events = asyncio.run(_raw(judge.port, data))
    assert events[-1].type == "error" and "whole frames" in events[-1].data["text"]
    _still_works(judge, positive)


def test_client_disconnecting_mid_stream(judge: RunningJudge, positive: np.ndarray) -> None:
    async def drop() -> None:
        pcm = to_pcm16(positive)
        async with AsyncTcpClient("127.0.0.1", judge.port) as client:
            await client.write_event(AudioStart(16000, 2, 1).event())
            await client.write_event(AudioChunk(16000, 2, 1, pcm[: len(pcm) // 2]).event())
            assert client._writer is not None
            client._writer.write(
                _header("audio-chunk", {"rate": 16000, "width": 2, "channels": 1}, 5000)[:-5]
            )
            await client._writer.drain()

    streams_before = judge.core.metrics.streams._value.get()
    asyncio.run(drop())
    _still_works(judge, positive)
    # The dropped connection is released once its handler sees the end of the stream, which on a
    # busy machine may come after the next client's verdict: wait for it, within a bound.
    deadline = time.monotonic() + RELEASE_TIMEOUT_S
    while judge.core.metrics.streams._value.get() != streams_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert judge.core.metrics.streams._value.get() == streams_before


def _wav(audio: np.ndarray) -> bytes:
    return wav_bytes(to_pcm16(audio), sample_rate=16000)


def test_verify_refuses_a_non_wav_upload(judge: RunningJudge, positive: np.ndarray) -> None:
    r = httpx.post(f"{judge.http}/verify", files={"audio": ("x.wav", b"<html>not audio</html>", "audio/wav")})
    assert r.status_code == 422, r.text
    assert "x.wav" in r.json()["detail"]
    ok = httpx.post(f"{judge.http}/verify", files={"audio": ("p.wav", _wav(positive), "audio/wav")})
    assert ok.status_code == 200 and ok.json()["prediction"] is True


def test_verify_refuses_an_upload_over_the_limit(judge: RunningJudge) -> None:
    limit = judge.core.settings.limits.max_upload_bytes
    r = httpx.post(f"{judge.http}/verify", files={"audio": ("big.wav", b"\x00" * (limit + 1), "audio/wav")})
    assert r.status_code == 413
    assert str(limit) in r.json()["detail"]


def test_verify_refuses_audio_longer_than_a_trigger(judge: RunningJudge) -> None:
    seconds = judge.core.settings.limits.max_verify_seconds + 1
    silence = np.zeros(int(seconds * 16000), dtype=np.float32)
    r = httpx.post(f"{judge.http}/verify", files={"audio": ("long.wav", _wav(silence), "audio/wav")})
    assert r.status_code in (413, 422)


def test_audio_before_audio_start_is_an_error(judge: RunningJudge, positive: np.ndarray) -> None:
    fmt = {"rate": 16000, "width": 2, "channels": 1}
    events = asyncio.run(_raw(judge.port, _header("audio-chunk", fmt, payload_length=2) + b"\x00\x00"))
    assert events[-1].type == "error" and "before audio-start" in events[-1].data["text"]
    _still_works(judge, positive)
