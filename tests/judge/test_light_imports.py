"""The Judge imports and judges with onnxruntime only: torch, TensorFlow and the training stack blocked."""

from __future__ import annotations

import subprocess
import sys

from model_fixture import JudgeFixture

SCRIPT = """
import sys
for name in ("torch", "tensorflow", "lightning", "scipy", "librosa", "audiomentations", "sklearn"):
    sys.modules[name] = None  # any import of these now fails
from wakesmith.audio.io import read_audio
from wakesmith.cli.judge import judge  # the CLI command imports light too
from wakesmith.judge.core import JudgeCore, Trigger
from wakesmith.judge.service import JudgeService
from wakesmith.judge.settings import parse_settings
core = JudgeCore.from_settings(parse_settings({"models": [{"path": sys.argv[1]}]}))
verdict = core.judge_trigger(read_audio(sys.argv[2]), None, Trigger())
core.close()
print(verdict.prediction)
"""


def test_judge_runs_without_torch(judge_fixture: JudgeFixture) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(judge_fixture.model), str(judge_fixture.positive)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
