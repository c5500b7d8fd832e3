"""The status stream's machine telemetry: load and memory always, GPUs from ``nvidia-smi``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wakesmith.server import telemetry

SMI = """#!/bin/sh
echo "0, NVIDIA H200, 1024, 143771"
"""


def test_load_and_memory_are_always_there() -> None:
    snap = telemetry.snapshot()
    assert snap["cpus"] >= 1 and snap["load_1m"] >= 0
    assert 0 < snap["ram_used_mb"] < snap["ram_total_mb"]


def test_gpus_come_from_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    smi = tmp_path / "nvidia-smi"  # a stand-in printing what the real one prints for this query
    smi.write_text(SMI)
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert telemetry.snapshot()["gpus"] == [
        {"index": 0, "name": "NVIDIA H200", "memory_used_mb": 1024.0, "memory_total_mb": 143771.0}
    ]
