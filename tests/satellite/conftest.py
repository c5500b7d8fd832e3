"""Satellite fixtures: fake Judges for the gate's failure modes and, for the end-to-end test, the
session's calibrated sentry exported for ESPHome, the judge fixture, a real mosquitto and a real Judge
process on loopback (helpers in ``satellite_support.py``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wakesmith.home import Home

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE))
sys.path.append(str(HERE.parent / "judge"))
from model_fixture import JudgeFixture  # noqa: E402
from satellite_support import Broker, FakeJudge, Handler, JudgeProcess  # noqa: E402


@pytest.fixture
def fake_judge() -> Iterator[Callable[[Handler], FakeJudge]]:
    made: list[FakeJudge] = []

    def make(handler: Handler) -> FakeJudge:
        made.append(FakeJudge(handler))
        return made[-1]

    yield make
    for judge in made:
        judge.stop()


# ----------------------------------------------------------------------------- end to end


@pytest.fixture(scope="session")
def sentry_manifest(calibrated_sentry, sentry_home: Home) -> Path:  # type: ignore[no-untyped-def]
    """The session's calibrated sentry as ``wakesmith export sentry --format esphome`` writes it (the
    edge tests' export of the same artifact when they ran first in this session)."""
    pytest.importorskip("tensorflow", reason="the ESPHome export needs the edge extra")
    from wakesmith import api

    written = calibrated_sentry.path / "exports" / "esphome" / "hey_katya.json"
    if written.is_file():
        return written
    return api.export(calibrated_sentry.path, "esphome", home=sentry_home)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path)
    yield b
    b.stop()


@pytest.fixture
def judge_process(judge_fixture: JudgeFixture, broker: Broker, tmp_path: Path) -> Iterator[JudgeProcess]:
    """A real Judge on the judge fixture's model as ``api.evaluate`` calibrated it (no hand-set threshold)."""
    judge = JudgeProcess(judge_fixture.calibrated, tmp_path, broker.port)
    yield judge
    judge.stop()
