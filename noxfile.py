"""Test environments. ``./scripts/test.sh`` runs every session; ``-s NAME`` runs one.

- ``training``: the full training stack (torch CPU build pinned by constraints.txt) + lint + types.
- ``runtime``: the light install the Judge uses (numpy, onnxruntime, pymicro-features — no torch):
  proves the runtime imports and scores without the training stack.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["lint", "training", "runtime"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

CONSTRAINTS = {"PIP_CONSTRAINT": str(ROOT / "constraints.txt")}


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff", env=CONSTRAINTS)
    session.run("ruff", "check", "training", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "training", "tests", "benchmarks", "noxfile.py")


@nox.session(python="3.11")
def training(session: nox.Session) -> None:
    session.install("-e", ".[train,dev]", env=CONSTRAINTS)
    session.run("mypy")
    env = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    session.run("pytest", "tests", "--ignore=tests/runtime_light", *session.posargs, env=env)


@nox.session(python="3.11")
def runtime(session: nox.Session) -> None:
    session.install("-e", ".", "pytest", "pytest-timeout", env=CONSTRAINTS)
    session.run("pytest", "tests/runtime_light", *session.posargs)
