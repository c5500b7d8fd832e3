"""``esphome config`` validates the example satellites with their wakesmith model (ESPHome from PyPI).

ESPHome lives in its own environment (it pins its own dependencies): the ``esphome`` nox session, or
``.venv-esphome`` in the checkout, or ``$ESPHOME``. ``esphome config`` loads the model manifest through
micro_wake_word's own schema (manifest v2, the model file beside it), offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SATELLITES = ROOT / "esphome" / "satellites"
CONFIG_TIMEOUT_S = 300


def _esphome() -> str:
    for candidate in (
        os.environ.get("ESPHOME"),
        ROOT / ".venv-esphome" / "bin" / "esphome",
        shutil.which("esphome"),
    ):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    pytest.skip(
        "ESPHome is not installed (nox -s esphome, or python -m venv .venv-esphome && pip install esphome)"
    )


class _Loader(yaml.SafeLoader):
    """Reads ESPHome YAML (``!secret``, ``!lambda`` tags) as plain data."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: f"!{suffix}")


def _config(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``esphome config`` on a copy of the satellites folder (ESPHome writes a .esphome/ folder)."""
    folder = tmp_path / "satellites"
    shutil.copytree(SATELLITES, folder)
    return subprocess.run(
        [_esphome(), "config", str(folder / path.name)],
        capture_output=True,
        text=True,
        timeout=CONFIG_TIMEOUT_S,
        cwd=folder,
    )


@pytest.mark.parametrize("yaml_path", sorted(SATELLITES.glob("wakesmith-*.yaml")), ids=lambda p: p.stem)
def test_esphome_config_validates_the_satellite(yaml_path: Path, tmp_path: Path) -> None:
    result = _config(yaml_path, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Configuration is valid!" in result.stdout + result.stderr
    # the validated config uses our local manifest (not a model downloaded by name)
    assert "wakesmith_sentry" in result.stdout


def test_the_satellite_points_at_a_wakesmith_manifest_v2() -> None:
    config = yaml.load((SATELLITES / "wakesmith-satellite-s3.yaml").read_text(), Loader=_Loader)
    manifest = SATELLITES / config["substitutions"]["wake_word_model"]
    doc = json.loads(manifest.read_text())
    assert doc["version"] == 2 and doc["type"] == "micro"
    assert (manifest.parent / doc["model"]).is_file()
    presets = json.loads(manifest.with_name(f"{manifest.stem}.presets.json").read_text())
    assert presets["tensor_arena_size"] == doc["micro"]["tensor_arena_size"]


def test_esphome_refuses_a_manifest_with_an_unknown_key(tmp_path: Path) -> None:
    """Why the presets live in their own file: ESPHome's manifest schema rejects extra keys."""
    folder = tmp_path / "satellites"
    shutil.copytree(SATELLITES, folder)
    manifest = folder / "models" / "hey_katya.json"
    doc = json.loads(manifest.read_text())
    doc["micro"]["presets"] = {"strict": 0.9}
    manifest.write_text(json.dumps(doc))
    result = subprocess.run(
        [_esphome(), "config", str(folder / "wakesmith-satellite-s3.yaml")],
        capture_output=True,
        text=True,
        timeout=CONFIG_TIMEOUT_S,
        cwd=folder,
    )
    assert result.returncode != 0
    assert "Failed config" in result.stdout and "micro_wake_word" in result.stdout
