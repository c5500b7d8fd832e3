"""Piper voices: file validation and the missing-package error (piper-tts is not installed here)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from wakesmith.config import SynthConfig
from wakesmith.errors import ConfigError, ToolMissingError
from wakesmith.synth import piper
from wakesmith.synth.plan import speakers


def _voice(tmp_path: Path, config: dict | None) -> Path:
    onnx = tmp_path / "en_US-test-medium.onnx"
    onnx.write_bytes(b"not really a model")
    if config is not None:
        (tmp_path / "en_US-test-medium.onnx.json").write_text(json.dumps(config))
    return onnx


def test_voice_files_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.onnx\.json"):
        piper.check_voice_files(_voice(tmp_path, None))
    with pytest.raises(ConfigError, match="does not exist"):
        piper.check_voice_files(tmp_path / "missing.onnx")
    with pytest.raises(ConfigError, match=r"must be an \.onnx"):
        piper.check_voice_files(tmp_path / "voice.pt")
    (tmp_path / "en_US-test-medium.onnx.json").write_text("{broken")
    with pytest.raises(ConfigError, match="not valid JSON"):
        piper.check_voice_files(tmp_path / "en_US-test-medium.onnx")


def test_licence_comes_from_the_voice_config(tmp_path: Path) -> None:
    voice = _voice(tmp_path, {"dataset": "test", "language": {"code": "en_US"}, "license": "CC0-1.0"})
    entry = piper.voice_licence(voice)
    assert entry["licence"] == "CC0-1.0" and entry["language"] == "en_US" and entry["engine"] == "piper"
    (tmp_path / "en_US-test-medium.onnx.json").write_text(json.dumps({"dataset": "x"}))
    assert piper.voice_licence(voice)["licence"] == piper.UNKNOWN_LICENCE
    assert piper.speaker_id(voice) == "piper:en_US-test-medium"


@pytest.mark.skipif(importlib.util.find_spec("piper") is not None, reason="piper-tts is installed")
def test_missing_package_says_how_to_install_it(tmp_path: Path) -> None:
    voice = _voice(tmp_path, {"dataset": "test"})
    with pytest.raises(ToolMissingError, match="pip install piper-tts"):
        piper.synthesize("hey katya", voice)
    with pytest.raises(ToolMissingError, match="pip install piper-tts"):
        speakers(SynthConfig(voices=["en-us"], variants=[""], piper_voices=[voice]))
