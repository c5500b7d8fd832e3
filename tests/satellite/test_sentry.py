"""The satellite reads the exported sentry as ESPHome does: manifest, .tflite beside it, shipped cutoffs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from wakesmith.config import validate
from wakesmith.errors import ArtifactError, ConfigError
from wakesmith.satellite import SatelliteConfig, device_rule, read_shipped

EXAMPLE = Path(__file__).resolve().parents[2] / "esphome" / "satellites" / "models" / "hey_katya.json"
"""The quickstart sentry the example ESPHome satellite ships (manifest, .tflite, presets)."""


def test_the_manifest_cutoff_and_the_shipped_presets() -> None:
    presets = json.loads(EXAMPLE.with_name("hey_katya.presets.json").read_text())["presets"]
    own = read_shipped(EXAMPLE)
    assert own.cutoff == json.loads(EXAMPLE.read_text())["micro"]["probability_cutoff"]
    assert own.tflite == EXAMPLE.with_suffix(".tflite") and own.preset is None
    for name, preset in presets.items():
        assert read_shipped(EXAMPLE, name).cutoff == preset["probability_cutoff"]
    # the .tflite, or the export folder (its per-preset manifests aside), name the same model
    assert read_shipped(EXAMPLE.with_suffix(".tflite")) == own == read_shipped(EXAMPLE.parent)
    with pytest.raises(ConfigError, match=r"ships no preset 'strcit'.*Did you mean 'strict'"):
        read_shipped(EXAMPLE, "strcit")


def test_a_folder_with_several_models_and_a_missing_model_are_refused(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "hey_katya.json")
    shutil.copy(EXAMPLE, tmp_path / "ok_nabu.json")
    with pytest.raises(ArtifactError, match="holds 2 manifests"):
        read_shipped(tmp_path)
    (tmp_path / "ok_nabu.json").unlink()
    with pytest.raises(ArtifactError, match="not beside it"):
        read_shipped(tmp_path)
    with pytest.raises(ArtifactError, match="wakesmith export sentry --format esphome"):
        read_shipped(tmp_path / "nothing.json")


def test_the_satellite_applies_the_rule_the_exporter_calibrated_with() -> None:
    pytest.importorskip("torch", reason="the exporter imports the training stack")
    from wakesmith.export import esphome as exporter
    from wakesmith.runtime import pymicro

    assert exporter.esphome_detector is pymicro.esphome_detector  # one definition for both
    shipped = read_shipped(EXAMPLE)
    rule = device_rule(shipped)
    assert (rule.threshold, rule.smoothing_window) == (shipped.cutoff, shipped.sliding_window_size)
    assert rule.cooldown_s == pytest.approx(3.0) and rule.hysteresis == 0.0  # 100 inferences of 30 ms


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"wav": "a.wav", "mic": True}, "exactly one audio source"),
        ({}, "exactly one audio source"),
        ({"wav": "a.wav", "judge": "http://judge:10400"}, "tcp://host:10400"),
        ({"wav": "a.wav", "judge": "tcp://judge"}, "tcp://host:10400"),
        ({"wav": "a.wav", "on_timeout": "maybe"}, "on_timeout"),
        ({"wav": "a.wav", "timeout_s": 0}, "timeout_s"),
    ],
)
def test_bad_settings_are_refused_with_what_to_do(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate(SatelliteConfig, {"model": EXAMPLE, **data}, "satellite settings")
