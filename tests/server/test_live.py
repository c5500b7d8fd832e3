"""``/api/live``: microphone-sized PCM frames through the shipped cascade, over a real WebSocket.

Models: a tone sentry and a tiny judge trained on the code-made tone dataset
(``tests/jobs/tiny_data.py``), both current. The expected messages come from the runtime itself on
the same audio as one stream (the sentry's scores and detector, ``trigger_buffer`` + the Judge
model): the route must report what the models really do, at their own thresholds, whatever the
frame size.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from studio_client import AUTH, TOKEN
from tiny_data import DATASET, FAST, make_dataset, tone

from wakesmith import api
from wakesmith.artifact import read_current, resolve_artifact
from wakesmith.home import Home
from wakesmith.runtime.cascade import trigger_buffer, trigger_samples
from wakesmith.runtime.scorers import WindowScorer
from wakesmith.server.app import create_app
from wakesmith.server.routes.live import MAX_FRAME_SAMPLES, load_judge, load_sentry
from wakesmith.server.settings import ServerSettings

pytestmark = pytest.mark.slow
SR = 16_000
FRAME = 1024
"""Samples per frame: what a browser's ScriptProcessor delivers, on no step boundary."""


SENTRY = ["train.epochs=4", "train.samples_per_epoch=256", "train.checkpoint_every_n_steps=1000"]
"""Enough training for the tone sentry to fire on this stream (the plain two steps never do); it
fires on noise too at its uncalibrated 0.5 cutoff, so the test says nothing of its quality."""


@pytest.fixture(scope="module")
def live_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The tiny tone dataset with a sentry and a judge trained on it, both current (no ESPHome export)."""
    home = make_dataset(Home.resolve(tmp_path_factory.mktemp("live") / "home").ensure())
    data = [f"dataset={DATASET}"]
    api.bless(api.train("tiny", overrides=data + SENTRY, home=home).artifact.path, home=home)
    fast = [f"{k}={v}" for k, v in FAST.items()]
    api.bless(api.train("judge", overrides=data + fast, home=home).artifact.path, home=home)
    return home


@pytest.fixture(scope="module")
def int8_home(live_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """:func:`live_home` with the sentry's ESPHome INT8 export beside it (as `wakesmith export` writes it)."""
    pytest.importorskip("tensorflow", reason="the ESPHome export needs the edge extra")
    pytest.importorskip("pymicro_wakeword", reason="the INT8 sentry runs in pymicro-wakeword")
    root = tmp_path_factory.mktemp("live_int8") / "home"
    shutil.copytree(live_home.root, root)
    home = Home.resolve(root).ensure()
    # the tone dataset has no confusables to calibrate on: the export keeps the float model's cutoff
    api.export(resolve_artifact("sentry", home).path, "esphome", calibrate=False, home=home)
    return home


def _client(home: Home, tmp_path: Path) -> TestClient:
    settings = ServerSettings.model_validate({"home": home.root, "share_folder": tmp_path / "share"})
    return TestClient(create_app(settings, token=TOKEN), headers=AUTH)


@pytest.fixture
def live_client(live_home: Home, tmp_path: Path) -> Iterator[TestClient]:
    with _client(live_home, tmp_path) as client:
        yield client


def _stream(audio: np.ndarray) -> np.ndarray:
    """A positive tone burst between silences, as int16 PCM."""
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16)


def _positive() -> np.ndarray:
    """Three tone positives, each after more than the sentry's cooldown (3 s) of silence."""
    quiet = np.zeros(SR * 3, np.float32)
    return _stream(np.concatenate([quiet, tone(800, 7), quiet, tone(800, 8), quiet, tone(800, 9), quiet]))


def _talk(client: TestClient, url: str, pcm: np.ndarray, frame: int, steps: int) -> list[dict[str, Any]]:
    """Send ``pcm`` in frames; the messages until ``steps`` sentry steps came back (a frame's
    detections and verdicts come before its steps)."""
    messages = []
    with client.websocket_connect(url) as ws:
        messages.append(ws.receive_json())
        for start in range(0, len(pcm), frame):
            ws.send_bytes(pcm[start : start + frame].tobytes())
        seen = 0
        while seen < steps:
            messages.append(ws.receive_json())
            seen += len(messages[-1].get("steps", []))
    return messages


def _expected(home: Home, pcm: np.ndarray) -> tuple[np.ndarray, list[int], list[tuple[float, bool]]]:
    """What the runtime gives on ``pcm`` as one stream: scores, trigger samples, Judge verdicts."""
    sentry = load_sentry("current", home)
    scores = sentry.scorer.score(pcm)
    ats = trigger_samples(scores, sentry.scorer, sentry.detector.cfg)
    judge = load_judge("current", home)
    assert judge is not None
    audio = pcm.astype(np.float32) / 32768.0
    verdicts = [judge.verify(trigger_buffer(audio, at)) for at in ats]
    return scores, ats, [(v.confidence, v.prediction) for v in verdicts]


def _check(home: Home, client: TestClient, frame: int, runtime: str) -> None:
    pcm = _positive()
    scores, ats, verdicts = _expected(home, pcm)
    messages = _talk(client, "/api/live?model=current&judge=current", pcm, frame, len(scores))

    info = messages[0]["info"]
    current = read_current(home)
    assert info["sentry"]["id"] == current["sentry"] and info["judge"]["id"] == current["judge"]
    assert info["sentry"]["runtime"] == runtime
    assert ("float ONNX" in info["note"]) == (runtime == "onnx")
    assert info["judge"]["threshold"] == resolve_artifact("judge", home).metadata.trigger_threshold()

    steps = [s for m in messages if "steps" in m for s in m["steps"]]
    assert len(steps) == len(scores) > 0
    np.testing.assert_allclose([s["sentry"] for s in steps], scores, atol=1e-5)
    assert all(b["t"] > a["t"] for a, b in itertools.pairwise(steps))

    # the trained sentry fires on this stream (the runtime on the whole stream says where)
    assert ats
    detections = [m for m in messages if m.get("detection") == "sentry"]
    assert [round(d["t"] * SR) for d in detections] == pytest.approx(ats, abs=SR * 0.002)
    judged = [m for m in messages if "judge" in m]
    assert [(m["judge"], m["accepted"]) for m in judged] == [
        (pytest.approx(c, abs=1e-4), a) for c, a in verdicts
    ]
    for d, j in zip(detections, judged, strict=True):  # each trigger is listed, then its verdict
        assert j["t"] == d["t"] and messages.index(j) > messages.index(d)

    # the Judge's continuous score: its windows over the same stream, as the Judge scores one
    judge = load_judge("current", home)
    assert judge is not None
    stream = WindowScorer(judge.backend)
    continuous = stream.score(pcm)
    judge_steps = [s for m in messages if "judge_steps" in m for s in m["judge_steps"]]
    # _talk stops at the last sentry step: the last frame's Judge windows may still be in flight
    assert 0 < len(judge_steps) <= len(continuous)
    assert len(continuous) - len(judge_steps) <= frame // stream.hop_samples + 1
    np.testing.assert_allclose([s["judge"] for s in judge_steps], continuous[: len(judge_steps)], atol=1e-5)
    assert [s["t"] for s in judge_steps] == pytest.approx(
        [stream.first_end_s + i * stream.step_seconds for i in range(len(judge_steps))], abs=1e-3
    )


@pytest.mark.parametrize("frame", [FRAME, 160])
def test_the_float_sentry_streams_its_scores_detections_and_verdicts(
    live_client: TestClient, live_home: Home, frame: int
) -> None:
    _check(live_home, live_client, frame, "onnx")


def test_the_int8_export_runs_in_pymicro_wakeword(int8_home: Home, tmp_path: Path) -> None:
    with _client(int8_home, tmp_path) as client:
        _check(int8_home, client, FRAME, "int8")


def test_a_sentry_that_fires_is_reported_at_its_own_threshold(
    live_client: TestClient, live_home: Home
) -> None:
    """Whether the tiny sentry fires here is its own doing; a detection reaches its threshold."""
    pcm = _positive()
    messages = _talk(live_client, "/api/live?judge=none", pcm, FRAME, len(_expected(live_home, pcm)[0]))
    info = messages[0]["info"]
    assert info["judge"] is None
    for d in (m for m in messages if "detection" in m):
        assert d["score"] >= info["sentry"]["threshold"] - 1e-4
    assert not any("judge" in m or "judge_steps" in m for m in messages[1:])


def test_refusals_say_what_to_do(
    live_client: TestClient, live_home: Home, home: Home, tmp_path: Path
) -> None:
    with live_client.websocket_connect("/api/live?model=nope") as ws:
        assert "No model 'nope'" in ws.receive_json()["error"]
    judge_id = read_current(live_home)["judge"]
    with live_client.websocket_connect(f"/api/live?model={judge_id}") as ws:
        assert "not a sentry" in ws.receive_json()["error"]
    with live_client.websocket_connect("/api/live") as ws:
        assert "info" in ws.receive_json()
        ws.send_bytes(b"\x00\x01\x02")
        assert "not 16 kHz mono int16 PCM" in ws.receive_json()["error"]
    with live_client.websocket_connect("/api/live") as ws:
        ws.receive_json()
        ws.send_bytes(bytes(2 * (MAX_FRAME_SAMPLES + 1)))
        assert "1 to 16000 samples" in ws.receive_json()["error"]
    with live_client.websocket_connect("/api/live") as ws:
        ws.receive_json()
        ws.send_text("hello")
        assert "binary frames" in ws.receive_json()["error"]

    with _client(home, tmp_path) as client, client.websocket_connect("/api/live") as ws:
        assert "No current sentry" in ws.receive_json()["error"]


def test_the_live_socket_needs_the_token(live_home: Home, tmp_path: Path) -> None:
    settings = ServerSettings.model_validate({"home": live_home.root, "share_folder": tmp_path / "share"})
    with TestClient(create_app(settings, token=TOKEN)) as client:  # no Authorization header
        with pytest.raises(WebSocketDisconnect), client.websocket_connect("/api/live"):
            pass
        with client.websocket_connect(f"/api/live?token={TOKEN}") as ws:
            assert ws.receive_json()["info"]["sentry"]["runtime"] == "onnx"
