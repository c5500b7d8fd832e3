"""MQTT telemetry against a real mosquitto on loopback: discovery, state, events, reconnection."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from model_fixture import JudgeFixture
from paho.mqtt.enums import CallbackAPIVersion

from conftest import RunningJudge, judge_settings
from wakesmith.judge.settings import MqttSettings
from wakesmith.judge.telemetry import SatelliteStats, Telemetry

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
from loopback import free_port

WAIT_S = 10.0


class Broker:
    """A private mosquitto on a free loopback port."""

    def __init__(self, folder: Path) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            pytest.fail("mosquitto is not installed: run scripts/system-deps.sh")
        self.exe = exe
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


class Subscriber:
    """Collects (topic, payload, retain) from the broker."""

    def __init__(self, port: int, topics: list[str]) -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-sub-{time.monotonic_ns()}")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        for t in topics:
            self.client.subscribe(t, qos=1)
        self.client.loop_start()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, msg.payload.decode(), bool(msg.retain)))

    def wait_for(self, predicate, what: str) -> tuple[str, str, bool]:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self._lock:
                for m in self.messages:
                    if predicate(m):
                        return m
            time.sleep(0.05)
        raise AssertionError(f"no MQTT message {what}; got {[m[0] for m in self.messages]}")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _telemetry(port: int) -> Telemetry:
    t = Telemetry(MqttSettings(host="127.0.0.1", port=port, reconnect_max_s=1), client_id=f"judge-{port}")
    t.start()
    deadline = time.monotonic() + WAIT_S
    while not t.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert t.connected
    return t


def test_discovery_is_retained_state_is_published_events_are_not_retained(broker: Broker) -> None:
    early = Subscriber(broker.port, ["wakesmith/#"])
    telemetry = _telemetry(broker.port)
    try:
        telemetry.record("kitchen", accepted=False, score=0.2, model="hey_katya", sentry_score=0.9)
        telemetry.record("kitchen", accepted=True, score=0.95, model="hey_katya", sentry_score=0.97)
        event = early.wait_for(lambda m: m[0] == "wakesmith/kitchen/verdict", "verdict event")
        assert event[2] is False and json.loads(event[1])["accepted"] is False
        # A subscriber arriving later sees the retained discovery and state, not the events.
        time.sleep(0.3)
        late = Subscriber(broker.port, ["homeassistant/#", "wakesmith/#"])
        _, payload, retained = late.wait_for(
            lambda m: m[0] == "homeassistant/sensor/wakesmith_kitchen/false_accepts_per_hour/config",
            "discovery",
        )
        config = json.loads(payload)
        assert retained and config["state_topic"] == "wakesmith/kitchen/state"
        assert (
            config["unit_of_measurement"] == "FA/h"
            and config["unique_id"] == "wakesmith_kitchen_false_accepts_per_hour"
        )
        assert config["availability_topic"] == "wakesmith/judge/availability"
        _, state, retained = late.wait_for(lambda m: m[0] == "wakesmith/kitchen/state", "state")
        assert retained
        assert json.loads(state) | {"false_accepts_per_hour": None} == {
            "triggers": 2,
            "accepts": 1,
            "rejects": 1,
            "detections": 0,
            "false_accepts_per_hour": None,
            "false_accepts_per_listening_hour": None,
            "last_score": 0.95,
            "model": "hey_katya",
        }
        assert json.loads(state)["false_accepts_per_hour"] == pytest.approx(1.0)
        late.wait_for(lambda m: m[0] == "wakesmith/judge/availability" and m[1] == "online", "online")
        time.sleep(0.3)
        assert not any(m[0].endswith("/verdict") for m in late.messages)
        late.close()
    finally:
        telemetry.stop()
        early.close()


def test_counts_survive_a_broker_restart(broker: Broker) -> None:
    telemetry = _telemetry(broker.port)
    try:
        telemetry.record("hall", accepted=False, score=0.1, model="m")
        telemetry.record("hall", accepted=True, score=0.9, model="m")
        broker.stop()
        deadline = time.monotonic() + WAIT_S
        while telemetry.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not telemetry.connected
        telemetry.record("hall", accepted=False, score=0.3, model="m")  # counted while the broker is away
        broker.start()
        sub = Subscriber(broker.port, ["wakesmith/#", "homeassistant/#"])
        _, state, _ = sub.wait_for(lambda m: m[0] == "wakesmith/hall/state", "state after reconnect")
        assert json.loads(state)["triggers"] == 3 and json.loads(state)["rejects"] == 2
        sub.wait_for(lambda m: m[0].startswith("homeassistant/sensor/wakesmith_hall/"), "discovery again")
        sub.close()
    finally:
        telemetry.stop()


def test_stop_says_offline(broker: Broker) -> None:
    telemetry = _telemetry(broker.port)
    telemetry.stop()
    sub = Subscriber(broker.port, ["wakesmith/judge/availability"])
    _, payload, retained = sub.wait_for(lambda m: True, "availability")
    assert payload == "offline" and retained
    sub.close()


def test_false_accept_rates() -> None:
    stats = SatelliteStats("s", started=0.0)
    for t in (100.0, 200.0, 300.0):
        stats.record(False, 0.2, "m", listening_s=None, now=t)
    assert stats.fa_per_hour(now=1800.0) == pytest.approx(3.0)  # less than an hour observed: per one hour
    assert stats.fa_per_hour(now=7200.0) == pytest.approx(1.5)
    assert stats.fa_per_hour(now=250.0 + 24 * 3600) == pytest.approx(1 / 24)  # two left the window
    stats.record(True, 0.9, "m", listening_s=1800.0, now=400.0)
    assert stats.state(now=400.0)["false_accepts_per_listening_hour"] == pytest.approx(6.0)


def test_a_running_judge_publishes_its_verdicts(broker: Broker, judge_fixture: JudgeFixture) -> None:
    sub = Subscriber(broker.port, ["wakesmith/#", "homeassistant/#"])
    running = RunningJudge(
        judge_settings(judge_fixture.model, mqtt={"host": "127.0.0.1", "port": broker.port})
    )
    try:
        wav = judge_fixture.negative.read_bytes()
        form = {"satellite": "porch", "sentry_score": "0.7"}
        deadline = time.monotonic() + WAIT_S
        while not httpx.get(f"{running.http}/health").json()["mqtt"] and time.monotonic() < deadline:
            time.sleep(0.05)
        r = httpx.post(f"{running.http}/verify", files={"audio": ("n.wav", wav)}, data=form)
        assert r.status_code == 200 and r.json()["prediction"] is False
        _, state, _ = sub.wait_for(lambda m: m[0] == "wakesmith/porch/state", "state")
        assert json.loads(state)["rejects"] == 1 and json.loads(state)["model"] == "hey_katya"
        _, event, retained = sub.wait_for(lambda m: m[0] == "wakesmith/porch/verdict", "verdict")
        assert not retained and json.loads(event)["sentry_score"] == 0.7
        sub.wait_for(lambda m: m[0] == "homeassistant/sensor/wakesmith_porch/rejects/config", "discovery")
    finally:
        running.stop()
        sub.close()
