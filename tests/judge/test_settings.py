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
