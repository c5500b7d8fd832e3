"""Test environments. ``./scripts/test.sh`` runs every session; ``-s NAME`` runs one.

- ``training``: the full training stack (torch CPU build pinned by constraints.txt) + lint + types.
- ``runtime``: the light install the Judge uses (numpy, onnxruntime, pymicro-features — no torch):
  proves the runtime imports and scores without the training stack.
- ``ha``: Home Assistant's own Wyoming integration (``homeassistant==2024.3.3`` test harness, which pins
  its own versions, so it gets its own environment) against a Judge process started from the
  training environment's Python on a model that ``tests/ha/prepare.py`` trains there.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["lint", "training", "runtime", "ha"]
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
    session.install("-e", ".[train,dev,judge]", env=CONSTRAINTS)
    session.run("mypy")
    env = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    session.run(
        "pytest", "tests", "--ignore=tests/runtime_light", "--ignore=tests/ha", *session.posargs, env=env
    )


@nox.session(python="3.11")
def runtime(session: nox.Session) -> None:
    session.install("-e", ".", "onnx", "pytest", "pytest-timeout", env=CONSTRAINTS)
    session.run("pytest", "tests/runtime_light", *session.posargs)


HA_HARNESS = [
    "homeassistant==2024.3.3",
    "pytest-homeassistant-custom-component==0.13.109",
    # Requirements of the integrations the test sets up (the harness never pip-installs at run time):
    # wyoming (its config flow imports zeroconf) and its dependencies assist_pipeline, conversation, tts, ffmpeg.
    "wyoming==1.5.3",
    "webrtc-noise-gain==1.2.3",
    "hassil==1.6.1",
    "home-assistant-intents==2024.3.12",
    "mutagen==1.47.0",
    "ha-ffmpeg==3.1.0",
    "zeroconf==0.131.0",
]


def _judge_python() -> str:
    """The Python of an environment with wakesmith[judge] (and [train], to prepare the model)."""
    if os.environ.get("WAKESMITH_JUDGE_PYTHON"):
        return os.environ["WAKESMITH_JUDGE_PYTHON"]
    found = sorted(ROOT.glob(".nox/training*/bin/python"))
    if not found:
        raise RuntimeError(
            "No training environment: run `nox -s training` first, or set WAKESMITH_JUDGE_PYTHON."
        )
    return str(found[0])


@nox.session(python="3.11")
def ha(session: nox.Session) -> None:
    judge_python = _judge_python()
    fixture = Path(session.create_tmp()) / "judge-fixture"
    env = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    session.run(judge_python, "tests/ha/prepare.py", str(fixture), external=True, env=env)
    session.install(*HA_HARNESS)
    session.run(
        "pytest",
        "tests/ha",
        "--confcutdir=tests/ha",  # tests/conftest.py imports wakesmith, which this environment lacks
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"WAKESMITH_JUDGE_PYTHON": judge_python, "WAKESMITH_JUDGE_FIXTURE": str(fixture)},
    )
