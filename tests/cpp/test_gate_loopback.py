"""The gate's core against a REAL Judge process over loopback TCP.

``gate_loopback`` (built from the component's own C++) plays a stream into the ring and sends each
trigger's buffer to ``wakesmith judge`` serving the small trained judge fixture. The stream is the
fixture's positive and negative clip (the ones the fixture judge is built to separate, at the
threshold the fixture file carries) with 2.5 s of silence between them, triggered where each clip's
post-roll ends with the clip. The expected verdicts are not written here: ``judge_expectations.py``
cuts each buffer with ``wakesmith.runtime.cascade.trigger_buffer`` and asks the same model, so the
test proves the C++ gate sends exactly the cascade's buffer and reads the Judge's verdict right.
"""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path
from typing import Any

import pytest
from cpp_support import JudgeProcess, Programs, free_port

pytestmark = pytest.mark.cpp

RATE = 16000
GAP_S = 2.5
"""Silence between the clips: longer than a buffer, so no trigger hears the other clip."""
RUN_TIMEOUT_S = 120
SCORE_TOLERANCE = 1e-4
"""The Judge and judge_expectations.py score the same samples with the same model."""


def _pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2), path
        return w.readframes(w.getnframes())


def _write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)


@pytest.fixture(scope="module")
def stream(judge_fixture: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    """positive + silence + negative as one WAV, and the two trigger samples."""
    positive, negative = _pcm(Path(judge_fixture["positive"])), _pcm(Path(judge_fixture["negative"]))
    pcm = positive + bytes(2 * int(GAP_S * RATE)) + negative
    path = tmp_path_factory.mktemp("stream") / "stream.wav"
    _write_wav(path, pcm)
    post = RATE // 4
    return path, [len(positive) // 2 - post, len(pcm) // 2 - post]


def _gate(programs: Programs, port: int, wav: Path, ats: list[int], *extra: str) -> list[dict[str, Any]]:
    cmd = [str(programs.loopback), "--port", str(port), "--wav", str(wav), "--satellite", "loopback-test"]
    cmd += [arg for at in ats for arg in ("--at", str(at))]
    result = subprocess.run([*cmd, *extra], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def expected(
    judge_python: str, judge_fixture: dict[str, str], stream: tuple[Path, list[int]]
) -> dict[str, Any]:
    wav, ats = stream
    script = Path(__file__).with_name("judge_expectations.py")
    cmd = [judge_python, str(script), judge_fixture["model"], str(wav)]
    result = subprocess.run([*cmd, *map(str, ats)], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    predictions = [v["prediction"] for v in out["verdicts"]]
    assert predictions == [True, False], f"the fixture judge does not separate these buffers: {out}"
    return out


def test_the_gate_cuts_the_cascade_buffer_by_default(
    programs: Programs, judge: JudgeProcess, stream: tuple[Path, list[int]], expected: dict[str, Any]
) -> None:
    header, *_ = _gate(programs, judge.port, stream[0], stream[1][:1])
    assert header["pre_roll_ms"] == round(expected["pre_roll_s"] * 1000)
    assert header["post_roll_ms"] == round(expected["post_roll_s"] * 1000)


@pytest.mark.parametrize(
    ("mode", "actions"), [("confirm", ["wake", "none"]), ("optimistic", ["none", "cancel"])]
)
def test_the_real_judge_accepts_the_positive_and_rejects_the_negative(
    programs: Programs,
    judge: JudgeProcess,
    stream: tuple[Path, list[int]],
    expected: dict[str, Any],
    mode: str,
    actions: list[str],
) -> None:
    wav, ats = stream
    _, *outcomes = _gate(programs, judge.port, wav, ats, "--mode", mode, "--sentry-score", "0.75")
    assert [o["result"] for o in outcomes] == ["accepted", "rejected"], outcomes
    assert [o["action"] for o in outcomes] == actions
    for outcome, want in zip(outcomes, expected["verdicts"], strict=True):
        assert outcome["end"] - outcome["start"] == want["samples"]
        assert abs(outcome["score"] - want["confidence"]) < SCORE_TOLERANCE, (outcome, want)
    assert "accepted by the Judge (score" in outcomes[0]["line"]
    assert "rejected by the Judge (score" in outcomes[1]["line"]


def test_the_judge_heard_the_trigger_context_and_exactly_the_buffer(
    programs: Programs, judge: JudgeProcess, stream: tuple[Path, list[int]], expected: dict[str, Any]
) -> None:
    wav, ats = stream
    before = set((judge.captures / "rejected").glob("*.json"))
    _gate(programs, judge.port, wav, ats[1:], "--sentry-score", "0.75")
    new = sorted(set((judge.captures / "rejected").glob("*.json")) - before)
    assert len(new) == 1, f"the Judge kept {len(new)} rejected triggers: {judge.log.read_text()[-2000:]}"
    sidecar = json.loads(new[0].read_text())
    assert sidecar["satellite"] == "loopback-test"
    assert sidecar["sentry_score"] == pytest.approx(0.75)
    # the audio the Judge kept is the stream's samples [at - pre_roll, at + post_roll), bit for bit
    start = ats[1] - round(expected["pre_roll_s"] * RATE)
    end = ats[1] + round(expected["post_roll_s"] * RATE)
    assert _pcm(new[0].with_suffix(".wav")) == _pcm(wav)[2 * start : 2 * end]


def test_a_model_the_judge_does_not_serve_is_an_error_with_its_message(
    programs: Programs, judge: JudgeProcess, stream: tuple[Path, list[int]]
) -> None:
    _, outcome = _gate(programs, judge.port, stream[0], stream[1][:1], "--model", "hey_katja")
    assert outcome["result"] == "error" and outcome["score"] is None
    assert "the Judge refused the trigger: Unknown wake model 'hey_katja'" in outcome["line"]
    assert outcome["action"] == "wake"  # error_policy accept (the default) in confirm mode


def test_an_unreachable_judge_is_an_error_within_the_timeout(
    programs: Programs, stream: tuple[Path, list[int]]
) -> None:
    _, outcome = _gate(programs, free_port(), stream[0], stream[1][:1], "--timeout-ms", "500")
    assert outcome["result"] == "error"
    assert "Judge unreachable" in outcome["line"]
    assert outcome["latency_ms"] < 500
