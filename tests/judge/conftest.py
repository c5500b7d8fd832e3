"""Judge fixtures: a trained judge (session-wide), a running Judge service, Wyoming client helpers."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.wake import Detect

from wakesmith.audio.io import read_audio, to_pcm16
from wakesmith.judge.core import JudgeCore
from wakesmith.judge.service import JudgeService
from wakesmith.judge.settings import JudgeSettings, parse_settings

sys.path.insert(0, str(Path(__file__).parent))
from model_fixture import JudgeFixture

CHUNK_MS = 20
REPLY_TIMEOUT_S = 15.0
VERDICTS = ("detection", "not-detected", "error")


@pytest.fixture(scope="session")
def positive(judge_fixture: JudgeFixture) -> np.ndarray:
    return read_audio(judge_fixture.positive)


@pytest.fixture(scope="session")
def negative(judge_fixture: JudgeFixture) -> np.ndarray:
    return read_audio(judge_fixture.negative)


class RunningJudge:
    """A :class:`JudgeService` on free loopback ports, run by its own event loop in a thread."""

    def __init__(self, settings: JudgeSettings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.service = JudgeService(settings)
        asyncio.run_coroutine_threadsafe(self.service.start(), self.loop).result(30)

    @property
    def core(self) -> JudgeCore:
        return self.service.core

    @property
    def port(self) -> int:
        return self.service.wyoming_port

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.service.http_port}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.service.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def judge_settings(model: Path, **extra: Any) -> JudgeSettings:
    """Settings for a test Judge on free loopback ports."""
    base: dict[str, Any] = {
        "models": [{"path": str(model), "name": "hey_katya"}],
        "uri": "tcp://127.0.0.1:0",
        "http_host": "127.0.0.1",
        "http_port": 0,
    }
    return parse_settings({**base, **extra})


@pytest.fixture(scope="session")
def judge(judge_fixture: JudgeFixture, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJudge]:
    """One Judge serving the fixture model twice (``hey_katya`` and ``strict_katya``), capturing rejects."""
    capture = tmp_path_factory.mktemp("captures")
    settings = judge_settings(
        judge_fixture.model,
        models=[
            {"path": str(judge_fixture.model), "name": "hey_katya", "languages": ["en", "de"]},
            {"path": str(judge_fixture.model), "name": "strict_katya", "threshold": 0.999999},
        ],
        capture={"folder": str(capture), "keep_accepted": True},
    )
    running = RunningJudge(settings)
    yield running
    running.stop()


@dataclass
class StreamSpec:
    """How a test client sends a clip."""

    rate: int = 16000
    width: int = 2
    channels: int = 1
    names: list[str] | None = None
    context: dict[str, Any] | None = None


def pcm_for(audio: np.ndarray, spec: StreamSpec) -> bytes:
    """16 kHz float audio → PCM in the spec's rate / width / channels (test-side conversion)."""
    if spec.rate != 16000:
        import soxr

        audio = soxr.resample(audio, 16000, spec.rate).astype(np.float32)
    samples = np.frombuffer(to_pcm16(audio), dtype="<i2")
    if spec.width == 4:
        samples = samples.astype("<i4") << 16
    return np.repeat(samples[:, None], spec.channels, axis=1).tobytes()


async def stream_clip(port: int, audio: np.ndarray, spec: StreamSpec | None = None) -> list[Event]:
    """Send detect + a whole clip in chunks + audio-stop; return the events up to the first verdict."""
    spec = spec or StreamSpec()
    pcm = pcm_for(audio, spec)
    step = spec.rate * spec.width * spec.channels * CHUNK_MS // 1000
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Detect(names=spec.names, context=spec.context).event())
        await client.write_event(AudioStart(spec.rate, spec.width, spec.channels).event())
        for i, start in enumerate(range(0, len(pcm), step)):
            chunk = AudioChunk(
                spec.rate, spec.width, spec.channels, pcm[start : start + step], timestamp=i * CHUNK_MS
            )
            await client.write_event(chunk.event())
        await client.write_event(AudioStop().event())
        return await read_until_verdict(client)


async def read_until_verdict(client: AsyncTcpClient) -> list[Event]:
    """Events until a detection / not-detected / error (or the connection closes)."""
    events: list[Event] = []
    while True:
        event = await asyncio.wait_for(client.read_event(), REPLY_TIMEOUT_S)
        if event is None:
            return events
        events.append(event)
        if event.type in VERDICTS:
            return events
