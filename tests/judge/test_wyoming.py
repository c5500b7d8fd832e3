"""The Wyoming service with a real trained judge: describe, continuous detection, trigger verdicts."""

from __future__ import annotations

import asyncio

import numpy as np
from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info
from wyoming.wake import Detection, NotDetected

from conftest import RunningJudge, StreamSpec, read_until_verdict, stream_clip

TRIGGER = {"trigger": {"satellite": "kitchen", "sentry_score": 0.91, "listening_s": 7200}}


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_describe_lists_every_model_with_languages(judge: RunningJudge) -> None:
    async def describe() -> Info:
        async with AsyncTcpClient("127.0.0.1", judge.port) as client:
            await client.write_event(Describe().event())
            event = await asyncio.wait_for(client.read_event(), 5)
            assert event is not None
            return Info.from_event(event)

    info = _run(describe())
    models = {m.name: m for program in info.wake for m in program.models}
    assert set(models) == {"hey_katya", "strict_katya"}
    assert models["hey_katya"].languages == ["en", "de"]
    assert models["hey_katya"].phrase == "hey katya"
    assert all(m.installed for m in models.values())


def test_positive_stream_is_detected_and_negative_is_not(
    judge: RunningJudge, positive: np.ndarray, negative: np.ndarray
) -> None:
    pos = _run(stream_clip(judge.port, positive, StreamSpec(names=["hey_katya"])))
    assert pos[-1].type == "detection", pos
    detection = Detection.from_event(pos[-1])
    assert detection.name == "hey_katya"
    assert detection.timestamp is not None and 0 < detection.timestamp <= len(positive) / 16 + 20
    neg = _run(stream_clip(judge.port, negative, StreamSpec(names=["hey_katya"])))
    assert [e.type for e in neg] == ["not-detected"]


def test_names_select_models(judge: RunningJudge, positive: np.ndarray) -> None:
    # strict_katya is the same network with an unreachable threshold: only the other one may fire.
    events = _run(stream_clip(judge.port, positive))
    assert [Detection.from_event(e).name for e in events] == ["hey_katya"]
    strict = _run(stream_clip(judge.port, positive, StreamSpec(names=["strict_katya"])))
    assert [e.type for e in strict] == ["not-detected"]


def test_unknown_model_name_is_an_error_event(judge: RunningJudge, positive: np.ndarray) -> None:
    events = _run(stream_clip(judge.port, positive, StreamSpec(names=["hey_katja"])))
    assert events[0].type == "error"
    assert "Did you mean 'hey_katya'" in events[0].data["text"]


def test_other_formats_are_converted(judge: RunningJudge, positive: np.ndarray, negative: np.ndarray) -> None:
    spec = StreamSpec(rate=48000, width=4, channels=2, names=["hey_katya"])
    assert _run(stream_clip(judge.port, positive, spec))[-1].type == "detection"
    assert _run(stream_clip(judge.port, negative, spec))[-1].type == "not-detected"


def test_trigger_buffers_get_verdicts_counted_and_captured(
    judge: RunningJudge, positive: np.ndarray, negative: np.ndarray
) -> None:
    before = judge.core.telemetry.stats.get("kitchen")
    counts = (before.accepts, before.rejects) if before else (0, 0)
    rejected_before = len(judge.core.capture.captures("rejected")) if judge.core.capture else 0

    accept = _run(stream_clip(judge.port, positive, StreamSpec(context=TRIGGER)))
    assert accept[-1].type == "detection"
    verdict = Detection.from_event(accept[-1]).context["verdict"]  # type: ignore[index]
    assert verdict["prediction"] is True and verdict["label"] == "wake_word"
    assert verdict["confidence"] >= judge.core.models.get("hey_katya").threshold

    reject = _run(stream_clip(judge.port, negative, StreamSpec(context=TRIGGER)))
    assert reject[-1].type == "not-detected"
    assert NotDetected.from_event(reject[-1]).context["verdict"]["prediction"] is False  # type: ignore[index]

    stats = judge.core.telemetry.stats["kitchen"]
    assert (stats.accepts, stats.rejects) == (counts[0] + 1, counts[1] + 1)
    assert stats.listening_s == 7200
    assert judge.core.capture is not None
    assert len(judge.core.capture.captures("rejected")) == rejected_before + 1


def test_many_streams_at_once_all_get_their_verdict(
    judge: RunningJudge, positive: np.ndarray, negative: np.ndarray
) -> None:
    async def many() -> list[str]:
        clips = [positive, negative] * 4
        results = await asyncio.gather(
            *(stream_clip(judge.port, c, StreamSpec(names=["hey_katya"])) for c in clips)
        )
        return [r[-1].type for r in results]

    assert _run(many()) == ["detection", "not-detected"] * 4


def test_connection_serves_several_streams(judge: RunningJudge, positive: np.ndarray) -> None:
    from wyoming.audio import AudioChunk, AudioStart, AudioStop
    from wyoming.wake import Detect

    from conftest import pcm_for

    async def twice() -> list[str]:
        pcm = pcm_for(positive, StreamSpec())
        seen = []
        async with AsyncTcpClient("127.0.0.1", judge.port) as client:
            for _ in range(2):
                await client.write_event(Detect(names=["hey_katya"]).event())
                await client.write_event(AudioStart(16000, 2, 1).event())
                await client.write_event(AudioChunk(16000, 2, 1, pcm).event())
                await client.write_event(AudioStop().event())
                seen += [e.type for e in await read_until_verdict(client)]
        return seen

    assert _run(twice()) == ["detection", "detection"]
