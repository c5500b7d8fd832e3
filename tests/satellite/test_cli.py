"""``wakesmith satellite``: flags onto SatelliteConfig, verdicts and a summary printed, bad flags refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from satellite_support import free_port
from typer.testing import CliRunner

from wakesmith.audio.io import write_wav
from wakesmith.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "esphome" / "satellites" / "models" / "hey_katya.json"


def test_the_satellite_command_listens_to_a_file_and_prints_a_summary(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "quiet.wav", np.zeros(32000, np.float32))
    judge = f"tcp://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(app, ["satellite", str(EXAMPLE), "--wav", str(wav), "--judge", judge])
    assert result.exit_code == 0, result.output
    assert "2.0 s of audio, cutoff" in result.output and "0 triggers" in result.output


def test_bad_flags_are_refused_with_what_to_do(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "quiet.wav", np.zeros(1600, np.float32))
    result = CliRunner().invoke(app, ["satellite", str(EXAMPLE), "--wav", str(wav), "--on-timeout", "maybe"])
    assert result.exit_code == 2 and "on_timeout" in result.output
    result = CliRunner().invoke(app, ["satellite", str(EXAMPLE)])
    assert result.exit_code == 2 and "exactly one audio source" in result.output
    result = CliRunner().invoke(app, ["satellite", str(EXAMPLE), "--wav", str(wav), "--preset", "loud"])
    assert result.exit_code == 2 and "ships no preset 'loud'" in result.output
