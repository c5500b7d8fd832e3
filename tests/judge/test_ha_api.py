"""The ``/ha`` endpoints the Home Assistant integration uses, against a real Judge process on loopback.

One Judge process (with capture and a token) serves the module; each test leaves it as it found it
where it can (presets go back to ``default``). MQTT discovery off is checked on a real mosquitto.
"""

from __future__ import annotations

import io
import json
import queue
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf
from judge_process import JudgeProcess
from model_fixture import JudgeFixture
from test_mqtt import Broker, Subscriber

from wakesmith.judge.settings import MqttSettings
from wakesmith.judge.telemetry import Telemetry

TOKEN = "ha-test-token-0123456789"
WAIT_S = 10.0
SATELLITE = "kitchen"


def _wav(audio: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, audio, 16000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


class Events:
    """The ``/ha/events`` stream, read by a thread into a queue of decoded events."""

    def __init__(self, judge: JudgeProcess) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._client = httpx.Client(headers=judge.auth, timeout=httpx.Timeout(5, read=None))
        self._cm = self._client.stream("GET", f"{judge.http}/ha/events")
        self.response = self._cm.__enter__()
        assert self.response.status_code == 200
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self.next("hello")["version"]

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines():
                if line.startswith("data: "):
                    self.events.put(json.loads(line[len("data: ") :]))
        except httpx.HTTPError:
            pass

    def next(self, kind: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if event["type"] == kind:
                return event
        raise AssertionError(f"no {kind} event within {WAIT_S} s")

    def close(self) -> None:
        self._client.close()


@pytest.fixture(scope="module")
def judge(judge_fixture: JudgeFixture, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JudgeProcess]:
    folder = tmp_path_factory.mktemp("ha_judge")
    model = folder / "model.onnx"
    shutil.copy(judge_fixture.model, model)  # installs must never touch the shared fixture
    settings = {
        "models": [{"path": str(model), "name": "hey_katya"}],
        "http_token": TOKEN,
        "capture": {"folder": str(folder / "captures")},
    }
    process = JudgeProcess(folder, settings)
    yield process
    process.stop()


@pytest.fixture
def client(judge: JudgeProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=judge.http, headers=judge.auth, timeout=WAIT_S) as c:
        yield c


def _verify(client: httpx.Client, audio: np.ndarray, satellite: str = SATELLITE) -> dict[str, Any]:
    r = client.post("/verify", files={"audio": ("t.wav", _wav(audio))}, data={"satellite": satellite})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _satellite(client: httpx.Client, sat: str = SATELLITE) -> dict[str, Any]:
    rows = client.get("/ha/satellites").json()["satellites"]
    return next(row for row in rows if row["id"] == sat)


def test_ha_paths_need_the_token(judge: JudgeProcess) -> None:
    for path in ("/ha/info", "/ha/satellites", "/ha/events"):
        assert httpx.get(f"{judge.http}{path}").status_code == 401


def test_verdicts_are_pushed_counted_and_reportable(
    judge: JudgeProcess, client: httpx.Client, positive: np.ndarray, negative: np.ndarray
) -> None:
    events = Events(judge)
    try:
        assert _verify(client, positive)["prediction"] is True
        accepted = events.next("verdict")
        assert accepted["satellite"] == SATELLITE and accepted["accepted"] is True
        assert _verify(client, negative)["prediction"] is False
        rejected = events.next("verdict")
        row = _satellite(client)
        assert row["last_verdict"]["id"] == rejected["id"]
        before = row["false_alarms"]
        hard_before = client.get("/ha/info").json()["hard_negatives"]

        # the satellite's last ACCEPTED verdict is the one reported, and its clip becomes a hard negative
        r = client.post("/ha/false_alarms", json={"satellite": SATELLITE})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["verdict"]["id"] == accepted["id"] and body["false_alarms"] == before + 1
        assert body["captured"].endswith(".wav")
        assert events.next("false_alarm")["id"] == accepted["id"]
        sidecar = judge.log.parent / "captures" / "rejected" / body["captured"].replace(".wav", ".json")
        meta = json.loads(sidecar.read_text())
        assert meta["reported_false_alarm"] is True and meta["verdict_id"] == accepted["id"]
        assert client.get("/ha/info").json()["hard_negatives"] == hard_before + 1
        assert _satellite(client)["false_alarms"] == before + 1

        # twice, a rejection, unknown ids and satellites: refused with a reason
        again = client.post("/ha/false_alarms", json={"verdict_id": accepted["id"]})
        assert again.status_code == 409 and "already" in again.json()["detail"]
        assert client.post("/ha/false_alarms", json={"verdict_id": rejected["id"]}).status_code == 409
        assert client.post("/ha/false_alarms", json={"verdict_id": "0" * 16}).status_code == 404
        unknown = client.post("/ha/false_alarms", json={"satellite": "attic"})
        assert unknown.status_code == 404 and "Unknown satellite" in unknown.json()["detail"]
        assert client.post("/ha/false_alarms", json={}).status_code == 422
    finally:
        events.close()


def test_a_satellite_preset_changes_its_verdicts(
    client: httpx.Client, positive: np.ndarray, judge_fixture: JudgeFixture
) -> None:
    _verify(client, positive, "hall")
    strict = client.put("/ha/satellites/hall/preset", json={"preset": "strict"})
    assert strict.status_code == 200, strict.text
    try:
        assert _satellite(client, "hall")["preset"] == "strict"
        # the fixture's positive scores between the default and the strict threshold
        assert _verify(client, positive, "hall")["prediction"] is False
        assert _verify(client, positive, SATELLITE)["prediction"] is True  # other satellites unchanged
    finally:
        client.put("/ha/satellites/hall/preset", json={"preset": "default"})
    assert _verify(client, positive, "hall")["prediction"] is True
    assert client.put("/ha/satellites/hall/preset", json={"preset": "loose"}).status_code == 422
    assert client.put("/ha/satellites/attic/preset", json={"preset": "strict"}).status_code == 404


def test_model_install_swaps_or_keeps_the_old_one(
    judge: JudgeProcess,
    client: httpx.Client,
    positive: np.ndarray,
    judge_fixture: JudgeFixture,
    tmp_path: Path,
) -> None:
    served = client.get("/ha/info").json()["models"][0]
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not an onnx file" * 64)
    r = client.post("/ha/models/hey_katya/install", json={"path": str(corrupt)})
    assert r.status_code == 422 and "keeps serving" in r.json()["detail"]
    assert client.get("/ha/info").json()["models"][0]["path"] == served["path"]
    assert _verify(client, positive)["prediction"] is True  # still judged by the old model

    assert client.post("/ha/models/nope/install", json={"path": str(corrupt)}).status_code == 404
    wrong = client.post("/ha/models/hey_katya/install", json={"path": str(tmp_path / "x.txt")})
    assert wrong.status_code == 422

    new = tmp_path / "new.onnx"
    shutil.copy(judge_fixture.model, new)
    events = Events(judge)
    try:
        r = client.post("/ha/models/hey_katya/install", json={"path": str(new)})
        assert r.status_code == 200, r.text
        assert r.json()["models"][0]["path"] == str(new)
        assert events.next("model_installed")["path"] == str(new)
    finally:
        events.close()
    assert _verify(client, positive)["prediction"] is True
    client.post("/ha/models/hey_katya/install", json={"path": served["path"]})


def test_an_event_stream_outlives_the_header_deadline_and_stop_is_prompt(
    judge_fixture: JudgeFixture, tmp_path: Path, positive: np.ndarray
) -> None:
    settings = {"models": [{"path": str(judge_fixture.model)}], "limits": {"header_timeout_s": 1.0}}
    judge = JudgeProcess(tmp_path, settings)
    events = Events(judge)
    try:
        time.sleep(2.5)  # past header_timeout_s: a streaming response is not a trickling request
        with httpx.Client(base_url=judge.http, timeout=WAIT_S) as client:
            _verify(client, positive)
        assert events.next("verdict")["accepted"] is True
        start = time.monotonic()
        judge.stop()
        assert time.monotonic() - start < 8
        assert judge.proc.returncode is not None
    finally:
        events.close()


def test_mqtt_discovery_can_be_switched_off(tmp_path: Path) -> None:
    broker = Broker(tmp_path)
    broker.start()
    sub = Subscriber(broker.port, ["#"])
    settings = MqttSettings(host="127.0.0.1", port=broker.port, discovery=False, reconnect_max_s=1)
    telemetry = Telemetry(settings, client_id="judge-no-discovery")
    try:
        telemetry.start()
        deadline = time.monotonic() + WAIT_S
        while not telemetry.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        telemetry.record(SATELLITE, accepted=True, score=0.9, model="m")
        sub.wait_for(lambda m: m[0] == "wakesmith/kitchen/state", "state")
        assert not [m for m in sub.messages if m[0].startswith("homeassistant/")]
    finally:
        telemetry.stop()
        sub.close()
        broker.stop()
