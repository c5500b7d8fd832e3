"""The satellite's loop: every trigger gets the evaluation's buffer and a verdict, whatever the Judge does.

The sentry here is a stand-in that fires at chosen samples (the real INT8 sentry is the end-to-end
test's); the Judge is a fake on loopback answering accept, reject, nothing, then closing mid-verdict.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from satellite_support import FakeJudge, Handler, free_port
from wyoming.event import async_read_event, async_write_event
from wyoming.wake import Detection as WyomingDetection
from wyoming.wake import NotDetected

from wakesmith.audio.io import from_pcm16, write_wav
from wakesmith.config import SAMPLE_RATE, validate
from wakesmith.runtime.cascade import trigger_buffer
from wakesmith.runtime.detector import Detection
from wakesmith.satellite import SatelliteConfig, VerdictKind, device_rule, read_shipped
from wakesmith.satellite.run import Satellite, run_satellite

EXAMPLE = Path(__file__).resolve().parents[2] / "esphome" / "satellites" / "models" / "hey_katya.json"
FIRES_AT = [SAMPLE_RATE, 4 * SAMPLE_RATE + 123, 8 * SAMPLE_RATE, 12 * SAMPLE_RATE, 16 * SAMPLE_RATE - 800]
"""The last trigger is inside the stream's final post-roll: its buffer is shorter, as on a device."""
Make = Callable[[Handler], FakeJudge]


class FiringSentry:
    """Fires at :data:`FIRES_AT` (stream samples), with a sentry score of 0.9."""

    def __init__(self) -> None:
        self.total = 0

    def push(self, audio: np.ndarray) -> list[tuple[int, Detection]]:
        start, self.total = self.total, self.total + len(audio)
        return [(s, Detection(0, s / SAMPLE_RATE, 0.9)) for s in FIRES_AT if start < s <= self.total]


def _wav(tmp_path: Path) -> tuple[Path, np.ndarray]:
    audio = (0.1 * np.random.default_rng(1).standard_normal(16 * SAMPLE_RATE)).astype(np.float32)
    path = write_wav(tmp_path / "room.wav", audio)
    return path, from_pcm16(path.read_bytes()[44:])


def _run(cfg: SatelliteConfig):  # type: ignore[no-untyped-def]
    shipped = read_shipped(cfg.model)
    satellite = Satellite(cfg, shipped, device_rule(shipped), None)
    satellite.sentry = FiringSentry()  # type: ignore[assignment]
    from wakesmith.satellite.sources import wav_blocks

    assert cfg.wav is not None
    return asyncio.run(satellite.run(wav_blocks(cfg.wav, satellite.block)))


def test_every_trigger_gets_its_buffer_and_a_verdict_while_the_judge_misbehaves(
    fake_judge: Make, tmp_path: Path
) -> None:
    wav, audio = _wav(tmp_path)
    received: list[np.ndarray] = []
    script = iter(["accept", "silent", "reject", "close", "accept"])

    async def judge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pcm = b""
        while (event := await async_read_event(reader)) is not None and event.type != "audio-stop":
            pcm += event.payload or b"" if event.type == "audio-chunk" else b""
        received.append(from_pcm16(pcm))
        action = next(script)
        if action == "accept":
            await async_write_event(
                WyomingDetection(name="x", context={"verdict": {"confidence": 0.9}}).event(), writer
            )
        elif action == "reject":
            await async_write_event(NotDetected(context={"verdict": {"confidence": 0.1}}).event(), writer)
        elif action == "silent":
            await reader.read()  # until the satellite gives up and hangs up
        writer.close()

    port = fake_judge(judge).port
    cfg = validate(
        SatelliteConfig,
        {
            "model": EXAMPLE,
            "wav": wav,
            "judge": f"tcp://127.0.0.1:{port}",
            "timeout_s": 0.5,
            "on_timeout": "accept",
        },
    )
    report = _run(cfg)
    kinds = [v.kind for v in report.verdicts]
    assert kinds == [
        VerdictKind.ACCEPT,
        VerdictKind.TIMEOUT,
        VerdictKind.REJECT,
        VerdictKind.ERROR,
        VerdictKind.ACCEPT,
    ]
    assert [v.wakes for v in report.verdicts] == [
        True,
        True,
        False,
        False,
        True,
    ]  # on_timeout accept, on_error reject
    assert [v.sample for v in report.verdicts] == FIRES_AT
    for at, got in zip(FIRES_AT, received, strict=True):
        np.testing.assert_array_equal(
            got, trigger_buffer(audio, at)
        )  # the evaluation's buffer, sample for sample
    assert [report.verdicts[i].buffer_samples for i in (0, 1, -1)] == [20000, 36000, 32800]
    assert report.audio_s == pytest.approx(16.0)


def test_an_unreachable_judge_costs_each_trigger_an_error_and_the_satellite_listens_on(
    tmp_path: Path,
) -> None:
    wav, _ = _wav(tmp_path)
    cfg = validate(SatelliteConfig, {"model": EXAMPLE, "wav": wav, "judge": f"tcp://127.0.0.1:{free_port()}"})
    report = _run(cfg)
    assert [v.kind for v in report.verdicts] == [VerdictKind.ERROR] * len(FIRES_AT)
    assert report.wakes == 0 and all("unreachable" in v.detail for v in report.verdicts)


def test_the_real_sentry_runs_over_a_file_through_the_api(tmp_path: Path) -> None:
    """The example INT8 sentry at its shipped cutoff over room noise: no trigger, the whole file heard."""
    from wakesmith import api

    wav, _ = _wav(tmp_path)
    cfg = validate(SatelliteConfig, {"model": EXAMPLE, "wav": wav, "judge": f"tcp://127.0.0.1:{free_port()}"})
    report = api.satellite(cfg)
    assert report.verdicts == [] and report.audio_s == pytest.approx(16.0) and report.sentry_cpu_s > 0
    assert report.model.cutoff == read_shipped(EXAMPLE).cutoff


def test_the_microphone_without_sounddevice_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from wakesmith.errors import ToolMissingError

    monkeypatch.setitem(sys.modules, "sounddevice", None)
    cfg = validate(SatelliteConfig, {"model": EXAMPLE, "mic": True, "seconds": 1})
    with pytest.raises(ToolMissingError, match="pip install sounddevice"):
        run_satellite(cfg, read_shipped(EXAMPLE), device_rule(read_shipped(EXAMPLE)))
