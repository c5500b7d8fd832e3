"""The README's shell examples run as shown, against a home holding a tiny trained sentry.

Every command of every ```bash block (and every complete ``wakesmith …`` command quoted inline) is
either run here or listed in :data:`NOT_RUN` with the reason; nothing is skipped silently, and an
entry of :data:`NOT_RUN` that no longer matches a README command fails the test (the list stays
honest as the README changes).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wakesmith import api
from wakesmith.audio.io import write_wav
from wakesmith.data.store import ClipStore
from wakesmith.home import Home

README = Path(__file__).resolve().parents[1] / "README.md"
TINY = ["train.epochs=2", "train.samples_per_epoch=96", "train.batch_size=32", "train.num_workers=0"]
COMMAND_TIMEOUT_S = 600

NOT_RUN: dict[str, str] = {
    r"^\./scripts/quickstart\.sh\b": "the full quickstart: about half an hour of training",
    r"^\./scripts/test\.sh\b": "the whole test suite, of which this test is a part",
    r"^source \.venv/bin/activate$": "shell state only; the commands here run the installed wakesmith",
    r"^wakesmith quickstart\b": "the full quickstart: about half an hour of training",
    r"^wakesmith synth\b": "minutes of espeak-ng; the tiny home is made by the same api.synthesize",
    r"^wakesmith train\b": "long training on the full recipe; the tiny sentry is trained by api.train",
    r"^wakesmith judge\b": "serves forever; tests/judge runs the same service (judge-addon too)",
    r"^wakesmith serve\b": "serves forever; tests/server/test_serve.py runs it",
    r"^(PIP_CONSTRAINT=\S+ )?\.venv/bin/pip install\b": "installs packages",
    r"^python3 -m venv\b": "creates an environment and installs packages",
    r"^\.venv/bin/pytest\b": "the test suite itself",
    r"^\.venv/bin/ruff check \. && \.venv/bin/mypy$": "linters: the nox lint session runs them",
    r"^python benchmarks/run\.py$": "benchmarks take minutes and print, they do not check",
    r"^wakesmith evaluate cascade\b": "needs a trained judge too; tests/edge/test_cascade.py runs it",
    r"^wakesmith tune\b": "trains a model per trial; tests/tune runs the command on the tiny recipe",
}
"""README commands this test does not run (pattern → why)."""


def readme_commands(text: str) -> list[str]:
    """Commands of the ```bash blocks (comments stripped), then inline ``wakesmith …`` commands."""
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            command = _strip_comment(line)
            if command:
                commands.append(command)
    for span in re.findall(r"`(wakesmith [^`<>]+)`", text):
        if span not in commands:
            commands.append(span)
    return commands


def _strip_comment(line: str) -> str:
    """The line up to its shell comment (a ``#`` after whitespace, outside quotes)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].strip()
    return line.strip()


def not_run_reason(command: str) -> str | None:
    for pattern, reason in NOT_RUN.items():
        if re.search(pattern, command):
            return reason
    return None


def test_readme_parser_finds_the_tour_and_strips_comments() -> None:
    commands = readme_commands(README.read_text())
    assert "wakesmith dataset health hey_katya" in commands
    assert "wakesmith export sentry --format esphome --out build/hey_katya" in commands
    assert 'wakesmith quickstart "hey katya"' in commands
    assert all("#" not in c for c in commands)


def test_every_not_run_entry_matches_a_readme_command() -> None:
    commands = readme_commands(README.read_text())
    unused = [p for p in NOT_RUN if not any(re.search(p, c) for c in commands)]
    assert not unused, f"NOT_RUN entries that match no README command (remove them): {unused}"


@pytest.fixture
def readme_home(home_copy: Home, tmp_path: Path) -> Home:
    """The tiny dataset with a trained, blessed sentry: what the tour's later commands expect."""
    summary = api.train("tiny", overrides=TINY, home=home_copy)
    api.bless(summary.artifact.path, home=home_copy)
    return home_copy


def _workdir(tmp_path: Path, home: Home) -> tuple[Path, dict[str, str]]:
    """A working folder with the files the tour names (kitchen.wav, ~/my-recordings/)."""
    work = tmp_path / "work"
    user_home = tmp_path / "user"
    work.mkdir()
    store = ClipStore(home)
    positive = store.load_audio(store.clips("hey_katya", split="test", label="positive")[0])
    silence = np.zeros(16000, np.float32)
    write_wav(work / "kitchen.wav", np.concatenate([silence, positive, silence]))
    recordings = user_home / "my-recordings"
    for label, seed in (("positive", 1), ("negative", 2), ("background", 3)):
        noise = 0.05 * np.random.default_rng(seed).standard_normal(16000).astype(np.float32)
        write_wav(recordings / label / f"speaker_me_{label}.wav", noise)
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "HOME": str(user_home),
        "WAKESMITH_HOME": str(home.root),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }
    return work, env


@pytest.mark.slow
def test_readme_commands_run_as_shown(readme_home: Home, tmp_path: Path) -> None:
    work, env = _workdir(tmp_path, readme_home)
    to_run = [c for c in readme_commands(README.read_text()) if not_run_reason(c) is None]
    assert "wakesmith export sentry --format onnx" in to_run
    if shutil.which("wakesmith", path=env["PATH"]) is None:
        pytest.fail("the wakesmith command is not installed next to this Python")
    failures = []
    for command in to_run:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
        )
        if result.returncode != 0:
            failures.append(
                f"$ {command}  (exit {result.returncode})\n{(result.stdout + result.stderr)[-1500:]}"
            )
    assert not failures, "\n\n".join(failures)
    # what the commands claim to write is there
    assert (work / "build" / "hey_katya").is_dir()
    assert any((work / "build" / "hey_katya").glob("*.tflite"))
