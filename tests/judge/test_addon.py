"""The add-on's start (``wakesmith judge-addon``): options → settings, the Supervisor's broker, the
generated token, discovery of ``wyoming`` and ``wakesmith``, and installs that survive a restart.

The Supervisor is :class:`FakeSupervisor` (its HTTP API on loopback: no Supervisor runs here); the
broker is a real mosquitto; the Judge is a real process started the way ``/run.sh`` starts it.
"""

from __future__ import annotations

import json
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fake_supervisor import FakeSupervisor
from judge_process import AddonJudge, addon_options, write_options
from model_fixture import JudgeFixture
from test_mqtt import Broker

from wakesmith.errors import ConfigError
from wakesmith.judge.addon import (
    AddonOptions,
    Supervisor,
    discovery_configs,
    ensure_token,
    load_options,
    to_settings,
)
from wakesmith.judge.state import INSTALLED_FILE, apply_installed

SUPERVISOR_TOKEN = "supervisor-token-abc"
WAIT_S = 20.0
MODEL = Path("/share/wakesmith/models/judge.onnx")


def test_unknown_or_wrong_options_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"option mqtt\.hots.*Configuration tab"):
        load_options(
            write_options(tmp_path / "o.json", addon_options(MODEL, mqtt={"hots": "x"})), AddonOptions
        )
    with pytest.raises(ConfigError, match=r"option threads"):
        load_options(write_options(tmp_path / "o.json", addon_options(MODEL, threads=0)), AddonOptions)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not JSON"):
        load_options(tmp_path / "bad.json", AddonOptions)
    with pytest.raises(ConfigError, match="Cannot read"):
        load_options(tmp_path / "missing.json", AddonOptions)


def test_the_token_is_generated_once_private_and_kept(tmp_path: Path) -> None:
    options = AddonOptions.model_validate(addon_options(tmp_path / "m.onnx"))
    first = to_settings(options, data_folder=tmp_path)
    token_file = tmp_path / "http_token"
    assert len(first.http_token) >= 32 and token_file.read_text().strip() == first.http_token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert to_settings(options, data_folder=tmp_path).http_token == first.http_token  # a restart
    assert ensure_token(tmp_path) == first.http_token

    mine = options.model_copy(update={"http_token": "my-own-token"})
    assert to_settings(mine, data_folder=tmp_path).http_token == "my-own-token"
    off = options.model_copy(update={"http_token_required": False})
    assert to_settings(off, data_folder=tmp_path / "other").http_token == ""
    assert not (tmp_path / "other" / "http_token").exists()


def test_settings_from_options_and_the_supervisors_broker(tmp_path: Path) -> None:
    options = AddonOptions.model_validate(
        addon_options(
            tmp_path / "m.onnx", satellites=["kitchen"], capture={"folder": "/share/c", "quota_mb": 5}
        )
    )
    broker = {"host": "core-mosquitto", "port": 1884, "username": "addons", "password": "pw", "ssl": False}
    settings = to_settings(options, data_folder=tmp_path, mqtt_service=broker)
    assert (settings.mqtt.host, settings.mqtt.port, settings.mqtt.username) == (
        "core-mosquitto",
        1884,
        "addons",
    )
    assert settings.wyoming_address == ("0.0.0.0", 10400) and settings.http_port == 10401
    assert settings.state_folder == tmp_path and settings.satellites == ["kitchen"]
    assert settings.capture.folder == Path("/share/c") and settings.capture.quota_mb == 5
    assert settings.http_token_required

    own = options.model_copy(update={"mqtt": options.mqtt.model_copy(update={"host": "10.0.0.2"})})
    assert to_settings(own, data_folder=tmp_path, mqtt_service=broker).mqtt.host == "10.0.0.2"

    configs = discovery_configs(settings, "abc123-wakesmith-judge")
    assert configs["wyoming"] == {"uri": "tcp://abc123-wakesmith-judge:10400"}
    # exactly what the integration's hassio step reads (custom_components/wakesmith/config_flow.py)
    assert configs["wakesmith"] == {
        "host": "abc123-wakesmith-judge",
        "port": 10400,
        "http_port": 10401,
        "token": settings.http_token,
    }


def test_the_supervisor_client_speaks_its_envelope() -> None:
    fake = FakeSupervisor(SUPERVISOR_TOKEN, mqtt={"host": "core-mosquitto", "port": 1883})
    try:
        client = Supervisor(SUPERVISOR_TOKEN, fake.url)
        assert client.mqtt_service() == {"host": "core-mosquitto", "port": 1883}
        client.announce("wakesmith", {"host": "h"})
        assert fake.discovered("wakesmith") == {"host": "h"}
        with pytest.raises(Exception, match="401"):
            Supervisor("wrong", fake.url).announce("wyoming", {})
        assert Supervisor("wrong", fake.url).mqtt_service() is None  # logged, telemetry off
        fake.mqtt = None
        assert client.mqtt_service() is None
    finally:
        fake.close()


@pytest.fixture
def supervisor() -> Iterator[FakeSupervisor]:
    fake = FakeSupervisor(SUPERVISOR_TOKEN)
    yield fake
    fake.close()


def test_the_addon_starts_announces_both_services_and_uses_the_mosquitto_addon(
    judge_fixture: JudgeFixture, supervisor: FakeSupervisor, tmp_path: Path
) -> None:
    broker = Broker(tmp_path)
    broker.start()
    supervisor.mqtt = {"host": "127.0.0.1", "port": broker.port, "username": "", "password": ""}
    judge = AddonJudge(tmp_path / "addon", addon_options(judge_fixture.model), supervisor)
    try:
        wakesmith = supervisor.discovered("wakesmith")
        assert supervisor.discovered("wyoming") == {"uri": f"tcp://127.0.0.1:{judge.port}"}
        assert wakesmith == {"host": "127.0.0.1", "port": judge.port, "http_port": judge.http_port,
                             "token": judge.token}  # fmt: skip
        auth = {"Authorization": f"Bearer {wakesmith['token']}"}
        assert httpx.get(f"{judge.http}/ha/info", headers=auth, timeout=10).status_code == 200
        assert httpx.get(f"{judge.http}/ha/info", timeout=10).status_code == 401
        deadline = time.monotonic() + WAIT_S
        while httpx.get(f"{judge.http}/health", timeout=5).json()["mqtt"] is not True:
            assert time.monotonic() < deadline, judge.log.read_text()[-2000:]  # the broker never acked
            time.sleep(0.1)
        assert supervisor.refused == 0
    finally:
        judge.stop()
        broker.stop()


def test_a_bad_option_stops_the_addon_with_the_option_named(
    judge_fixture: JudgeFixture, supervisor: FakeSupervisor, tmp_path: Path
) -> None:
    with pytest.raises(AssertionError, match=r"option capture\.quota_mb"):
        AddonJudge(tmp_path, addon_options(judge_fixture.model, capture={"quota_mb": -1}), supervisor)


def test_an_installed_model_survives_a_restart_and_a_vanished_one_falls_back(
    judge_fixture: JudgeFixture, supervisor: FakeSupervisor, tmp_path: Path
) -> None:
    configured = tmp_path / "judge.onnx"
    shutil.copy(judge_fixture.model, configured)
    new = tmp_path / "new.onnx"
    shutil.copy(judge_fixture.model, new)
    options = addon_options(configured)
    options["models"][0]["name"] = "hey_katya"

    judge = AddonJudge(tmp_path / "addon", options, supervisor)
    try:
        with httpx.Client(base_url=judge.http, headers=judge.auth, timeout=30) as client:
            r = client.post("/ha/models/hey_katya/install", json={"path": str(new)})
            assert r.status_code == 200, r.text
    finally:
        judge.stop()
    record = json.loads((judge.data / INSTALLED_FILE).read_text())
    assert record["installed"] == {str(configured): {"path": str(new), "name": "hey_katya"}}

    judge = AddonJudge(tmp_path / "addon", options, supervisor)
    try:
        info = httpx.get(f"{judge.http}/ha/info", headers=judge.auth, timeout=10).json()
        assert [(m["name"], m["path"]) for m in info["models"]] == [("hey_katya", str(new))]
    finally:
        judge.stop()

    new.unlink()
    judge = AddonJudge(tmp_path / "addon", options, supervisor)
    try:
        info = httpx.get(f"{judge.http}/ha/info", headers=judge.auth, timeout=10).json()
        assert info["models"][0]["path"] == str(configured)
        assert "is gone; loading the configured file" in judge.log.read_text()
    finally:
        judge.stop()


def test_a_corrupt_record_is_ignored(tmp_path: Path) -> None:
    options = AddonOptions.model_validate(addon_options(tmp_path / "m.onnx", http_token_required=False))
    settings = to_settings(options, data_folder=tmp_path)
    (tmp_path / INSTALLED_FILE).write_text("{half a file")
    assert apply_installed(settings).models == settings.models
