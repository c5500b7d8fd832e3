"""Judge settings: defaults in the class, unknown keys refused, add-on options.json read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wakesmith.errors import ConfigError
from wakesmith.judge.service import parse_tcp_uri
from wakesmith.judge.settings import JudgeSettings, load_settings, parse_settings


def test_defaults_and_minimal_settings() -> None:
    s = parse_settings({"models": [{"path": "m.onnx"}]})
    assert s.uri == "tcp://0.0.0.0:10400" and s.http_port == 10401
    assert s.models[0].preset == "default" and s.models[0].languages == ["en"]
    assert s.mqtt.host == "" and s.capture.folder is None


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"models": [{"path": "m.onnx"}], "mqtt": {"hots": "x"}}, "mqtt.hots"),
        ({"models": []}, "models"),
        ({"models": [{"path": "m.onnx", "threshold": 2}]}, "models.0.threshold"),
    ],
)
def test_bad_settings_name_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_settings(data)


def test_load_options_json(tmp_path: Path) -> None:
    path = tmp_path / "options.json"
    path.write_text(
        json.dumps({"models": [{"path": "/share/m.onnx", "name": "x"}], "capture": {"quota_mb": 5}})
    )
    s = load_settings(path)
    assert isinstance(s, JudgeSettings) and s.capture.quota_mb == 5
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid json"):
        load_settings(path)


def test_tcp_uri() -> None:
    assert parse_tcp_uri("tcp://127.0.0.1:10400") == ("127.0.0.1", 10400)
    with pytest.raises(ConfigError, match="tcp://"):
        parse_tcp_uri("unix:///tmp/x")


def test_http_binds_to_the_wyoming_host_unless_told_otherwise() -> None:
    s = parse_settings({"models": [{"path": "m.onnx"}], "uri": "tcp://127.0.0.1:10400"})
    assert s.http_bind_host == "127.0.0.1"
    assert parse_settings({"models": [{"path": "m.onnx"}]}).http_bind_host == "0.0.0.0"
    own = parse_settings({"models": [{"path": "m.onnx"}], "uri": "tcp://127.0.0.1:1", "http_host": "::1"})
    assert own.http_bind_host == "::1"
    with pytest.raises(ConfigError, match="tcp://"):
        parse_settings({"models": [{"path": "m.onnx"}], "uri": "tcp://nohost"})


def test_a_required_token_must_be_set_before_the_service_starts() -> None:
    s = parse_settings({"models": [{"path": "m.onnx"}], "http_token_required": True})
    with pytest.raises(ConfigError, match="http_token is required"):
        s.check_startable()
    parse_settings(
        {"models": [{"path": "m.onnx"}], "http_token_required": True, "http_token": "t"}
    ).check_startable()
    parse_settings(
        {"models": [{"path": "m.onnx"}], "http_token_required": True, "http_port": None}
    ).check_startable()
