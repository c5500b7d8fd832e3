"""A training run killed mid-epoch resumes from its last checkpoint when started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wakesmith import api
from wakesmith.home import Home

pytestmark = pytest.mark.slow

OVERRIDES = [
    "train.epochs=3",
    "train.samples_per_epoch=256",
    "train.batch_size=16",
    "train.num_workers=0",
    "train.checkpoint_every_n_steps=3",
]
KILL_TIMEOUT_S = 240


def test_killed_training_resumes(home_copy: Home) -> None:
    cmd = [sys.executable, "-m", "wakesmith.cli.main", "train", "tiny", "--home", str(home_copy.root)]
    for item in OVERRIDES:
        cmd += ["--set", item]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + KILL_TIMEOUT_S
    last: Path | None = None
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            found = list(home_copy.runs.glob("*/checkpoints/last.ckpt"))
            if found:
                last = found[0]
                break
            time.sleep(0.2)
        assert last is not None, "training never wrote a checkpoint"
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGKILL)  # no chance to clean up: like a power cut
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert not list(home_copy.models.glob("*/metadata.json")), "a killed run must not publish a model"

    summary = api.train("tiny", overrides=OVERRIDES, home=home_copy)
    assert summary.run_dir == last.parent.parent
    assert summary.resumed_from_step > 0
    assert summary.samples_per_second > 0  # it trained the remaining steps, not from scratch
    steps_per_epoch = 256 // 16
    assert summary.resumed_from_step < 3 * steps_per_epoch
    assert summary.artifact.exists()
