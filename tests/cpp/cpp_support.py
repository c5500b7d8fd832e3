"""Helpers the gate's C++ tests share with their fixtures (``conftest.py``): what was built, free ports."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
