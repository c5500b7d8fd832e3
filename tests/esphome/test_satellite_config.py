"""``esphome config`` validates the example satellites with their wakesmith model (ESPHome from PyPI).

ESPHome lives in its own environment (it pins its own dependencies): the ``esphome`` nox session, or
``.venv-esphome`` in the checkout, or ``$ESPHOME``. ``esphome config`` loads the model manifest through
micro_wake_word's own schema (manifest v2, the model file beside it), offline, and the gate
(``esphome/components/wakesmith_gate``, an external component from the repository path) through its
own schema. Compiling firmware needs toolchains this test does not download; the gate's C++ core is
built and tested on the host in ``tests/cpp``.
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
COMPONENTS = ROOT / "esphome" / "components"
GATE_MODES = {
    "wakesmith-satellite-s3.yaml": "confirm",
    "wakesmith-satellite-s3-optimistic.yaml": "optimistic",
}
"""Each example satellite and the gate mode it shows."""
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


def _copy(tmp_path: Path) -> Path:
    """A copy of the satellites folder beside the components it loads (ESPHome writes a .esphome/ folder)."""
    folder = tmp_path / "satellites"
    shutil.copytree(SATELLITES, folder)
    shutil.copytree(COMPONENTS, tmp_path / "components", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def _run_config(yaml_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_esphome(), "config", str(yaml_path)],
        capture_output=True,
        text=True,
        timeout=CONFIG_TIMEOUT_S,
        cwd=yaml_path.parent,
    )


def _config(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``esphome config`` on a copy of the satellites folder."""
    return _run_config(_copy(tmp_path) / path.name)


def _edited(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of one satellite with one piece of its text replaced (which must be there)."""
    path = _copy(tmp_path) / name
    text = path.read_text()
    assert old in text, f"{name} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize("yaml_path", sorted(SATELLITES.glob("wakesmith-*.yaml")), ids=lambda p: p.stem)
def test_esphome_config_validates_the_satellite(yaml_path: Path, tmp_path: Path) -> None:
    result = _config(yaml_path, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Configuration is valid!" in result.stdout + result.stderr
    # the validated config uses our local manifest (not a model downloaded by name)
    assert "wakesmith_sentry" in result.stdout
    # ... and the gate, from the repository's external component, in the mode this example shows
    assert "wakesmith_gate:" in result.stdout
    assert f"mode: {GATE_MODES[yaml_path.name]}" in result.stdout


def test_both_gate_modes_have_an_example() -> None:
    assert sorted(p.name for p in SATELLITES.glob("wakesmith-*.yaml")) == sorted(GATE_MODES)
    for name in GATE_MODES:
        config = yaml.load((SATELLITES / name).read_text(), Loader=_Loader)
        assert config["external_components"][0]["source"] == {"type": "local", "path": "../components"}
        # the sentry's detection goes to the gate, never straight to the assistant
        actions = config["micro_wake_word"]["on_wake_word_detected"]
        assert [next(iter(a)) for a in actions] == ["wakesmith_gate.verify"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  on_cancel:  # the Judge rejected the trigger",
            "  on_rejected:  # the same actions, but nothing undoes the wake on a timeout",
            "mode: optimistic wakes at once and needs on_cancel",
        ),
        (
            "  hold_microphone: true",
            "  hold_microphone: false",
            "set micro_wake_word's stop_after_detection: false, or hold_microphone: true",
        ),
        ("  timeout_policy: accept", "  timeout_policy: maybe", "Unknown value 'maybe', valid options are"),
        ("  timeout: 1s", "  timeout: 30s", "timeout"),
    ],
    ids=["optimistic-without-cancel", "no-post-roll", "bad-policy", "long-timeout"],
)
def test_esphome_refuses_a_gate_config_that_cannot_work(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _edited(tmp_path, "wakesmith-satellite-s3-optimistic.yaml", old, new)
    result = _run_config(path)
    assert result.returncode != 0
    assert "Failed config" in result.stdout and "wakesmith_gate" in result.stdout
    assert message in result.stdout, result.stdout[-3000:]


def test_esphome_refuses_a_cancel_in_confirm_mode(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        "wakesmith-satellite-s3.yaml",
        "  on_rejected:\n",
        "  on_cancel:\n    - voice_assistant.stop:\n  on_rejected:\n",
    )
    result = _run_config(path)
    assert result.returncode != 0
    assert "on_cancel never fires in mode: confirm" in result.stdout, result.stdout[-3000:]


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
    folder = _copy(tmp_path)
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
