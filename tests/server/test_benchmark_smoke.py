"""``benchmarks/studio.py --quick`` runs against a real ``wakesmith serve`` and prints its tables.

Only that it runs: the numbers are the benchmark's to report, never a test's to check.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "studio.py"
HEADERS = (
    "## API latency",
    "| route ",
    "## Uploads",
    "| clip ",
    "| oversized body ",
    "## WebSocket event lag",
    "| event ",
    "## Server memory",
    "| when ",
)


def test_the_studio_benchmark_runs_quick() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    missing = [h for h in HEADERS if h not in done.stdout]
    assert not missing, f"{missing} not printed:\n{done.stdout}"
