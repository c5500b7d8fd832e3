"""Helpers the gate's C++ tests share with their fixtures (``conftest.py``): what was built, free ports."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
from loopback import free_port as free_port  # tests import it from here


@dataclass(frozen=True)
class Programs:
    """The host programs built from the gate's core."""

    unit_tests: Path
    loopback: Path


@dataclass(frozen=True)
class JudgeProcess:
    """A running ``wakesmith judge``: its Wyoming port, its capture folder and its log."""

    port: int
    captures: Path
    log: Path
