"""The command line: thin over the API, bad input answered with a message and exit code 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from wakesmith.cli.main import app
from wakesmith.home import Home

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_help_lists_every_verb() -> None:
    code, out = run("--help")
    assert code == 0
    for verb in ("quickstart", "synth", "dataset", "train", "evaluate", "export", "detect", "models"):
        assert verb in out


def test_unknown_recipe_key_is_a_one_line_error(tmp_path: Path) -> None:
    code, out = run("train", "sentry", "--set", "train.epoch=3", "--home", str(tmp_path))
    assert code == 2
    assert "unknown key 'train.epoch'" in out and "Did you mean 'epochs'" in out
    assert "Traceback" not in out


def test_missing_model_is_explained(tmp_path: Path) -> None:
    code, out = run("evaluate", "sentry", "--home", str(tmp_path))
    assert code == 2 and "No current sentry model" in out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("corrupt.wav", b"RIFF\x00\x00\x00\x00WAVEfmt garbage", "corrupt|not readable|could not|cannot"),
        ("empty.wav", None, "empty|no audio|zero"),
        ("notes.wav", b"this is a text file, not audio\n" * 10, "corrupt|not readable|could not|cannot"),
    ],
)
def test_dataset_scan_reports_bad_files_and_keeps_good_ones(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    folder = tmp_path / "incoming" / "positive"
    folder.mkdir(parents=True)
    if content is None:
        sf.write(folder / name, np.zeros(0, dtype=np.int16), 16000, subtype="PCM_16")
    else:
        (folder / name).write_bytes(content)
    rng = np.random.default_rng(0)
    stereo_44k = (0.1 * rng.standard_normal((44100, 2))).astype(np.float32)
    sf.write(folder / "good_stereo_44k.wav", stereo_44k, 44100)
    home = tmp_path / "home"
    code, out = run("dataset", "scan", str(tmp_path / "incoming"), "demo", "--home", str(home))
    assert code == 0, out
    import re

    assert re.search(message, out, re.IGNORECASE), out
    from wakesmith.data.store import ClipStore

    clips = ClipStore(Home.resolve(home)).clips("demo")
    assert [c.label for c in clips] == ["positive"]
    assert abs(clips[0].duration_s - 1.0) < 0.01  # 44.1 kHz stereo converted to 16 kHz mono


def test_export_list_prints_the_format_table() -> None:
    from wakesmith.export import format_table

    code, out = run("export", "--list")
    assert code == 0
    for fmt in format_table():
        assert fmt.name in out and fmt.suffix in out
    code, out = run("export")
    assert code == 2 and "--list" in out
