"""Test environments. ``./scripts/test.sh`` runs every session; ``-s NAME`` runs one.

- ``lint``: ruff (pinned) over the package, tests, benchmarks.
- ``training``: the full training stack (torch CPU build pinned by constraints.txt) with the edge
  exporters (TensorFlow, TFLite, TFLite-Micro, pymicro-wakeword) and the Judge service; mypy, then
  every test but the ones that need their own environment.
- ``runtime``: the light install the Judge uses (numpy, onnxruntime, pymicro-features — no torch):
  proves the runtime imports and scores without the training stack.
- ``ha``: Home Assistant's own Wyoming integration (``homeassistant==2024.3.3`` test harness, which pins
  its own versions, so it gets its own environment) against a Judge process started from the
  training environment's Python on the judge that ``tests/ha/prepare.py`` trains there.
- ``ha2025``: the wakesmith custom integration (``custom_components/wakesmith``) and the automation
  blueprints in Home Assistant 2025.4's own test harness on Python 3.13, against a Judge process from
  the training environment (as in ``ha``); plus offline hassfest-style checks of the integration's files.
- ``esphome``: ``esphome config`` on the example satellite (ESPHome from PyPI, its own environment).
- ``cpp``: the ESPHome gate's C++ core built with the host's g++ (C++17): unit tests, and a host
  satellite built from the same core asking a Judge process (the training environment's Python, as
  in ``ha``) over loopback.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["lint", "training", "runtime", "web", "ha", "ha2025", "esphome", "cpp"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

CONSTRAINTS = {"PIP_CONSTRAINT": str(ROOT / "constraints.txt")}


def _python313_on_path() -> None:
    """Give nox a ``python3.13`` for ``ha2025``: pyenv's shim answers only when PYENV_VERSION names 3.13,
    so when it does not, a link to pyenv's own 3.13 goes first on PATH (nothing else is shadowed)."""
    try:
        if subprocess.run(["python3.13", "--version"], capture_output=True).returncode == 0:
            return
    except OSError:
        pass
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(pyenv_root.glob("versions/3.13*/bin/python3.13"))
    if not found:
        return  # nox then says that the interpreter is missing
    links = ROOT / ".nox" / "python313"
    links.mkdir(parents=True, exist_ok=True)
    link = links / "python3.13"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(found[-1])
    os.environ["PATH"] = f"{links}{os.pathsep}{os.environ.get('PATH', '')}"


_python313_on_path()


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff==0.17.6", env=CONSTRAINTS)
    paths = ["training", "tests", "benchmarks", "custom_components", "noxfile.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


JUDGE_FIXTURE = ROOT / ".nox" / "judge-fixture"
"""The small trained judge the Judge tests and the HA test share (built once by tests/ha/prepare.py)."""


def _threads() -> dict[str, str]:
    return {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}


@nox.session(python="3.11")
def training(session: nox.Session) -> None:
    """The training stack with the edge exporters (TensorFlow, TFLite, TFLite-Micro) and the Judge."""
    session.install("-e", ".[train,voices,dev,judge,edge,server,embedding,teacher,tune]", env=CONSTRAINTS)
    session.run("mypy")
    session.run("python", "tests/ha/prepare.py", str(JUDGE_FIXTURE), env=_threads())
    env = {**_threads(), "WAKESMITH_JUDGE_FIXTURE": str(JUDGE_FIXTURE)}
    # py-nanotts (SVOX Pico) segfaults in a process that has already loaded the rest of the stack
    # (seen after the edge and Judge tests; alone, and in synthesis workers, it runs): its tests get
    # a process of their own.
    session.run("pytest", "tests/synth/test_pico.py", *session.posargs, env=env)
    session.run(
        "pytest",
        "tests",
        "--ignore=tests/runtime_light",
        "--ignore=tests/ha",
        "--ignore=tests/ha2025",
        "--ignore=tests/esphome",
        "--ignore=tests/cpp",
        "--ignore=tests/web",
        "--ignore=tests/synth/test_pico.py",
        *session.posargs,
        env=env,
    )


@nox.session(python="3.11")
def runtime(session: nox.Session) -> None:
    session.install("-e", ".", "onnx", "pytest", "pytest-timeout", env=CONSTRAINTS)
    session.run("pytest", "tests/runtime_light", *session.posargs)


@nox.session(python="3.11")
def web(session: nox.Session) -> None:
    """The studio's web UI: the committed bundle and OpenAPI schema, then Playwright specs in Debian's
    Chromium (``scripts/system-deps.sh``; never ``playwright install``) against the real server and a
    worker that trains the tiny recipe (hence ``train``)."""
    session.install(
        "-e",
        ".[train,server]",
        "playwright",
        "httpx",
        "pytest",
        "pytest-timeout",
        env=CONSTRAINTS,
    )
    # The deploy spec serves the shared small judge from a real Judge process (built once, as for ha).
    session.run(_judge_python(), "tests/ha/prepare.py", str(JUDGE_FIXTURE), external=True, env=_threads())
    env = {**_threads(), "WAKESMITH_JUDGE_FIXTURE": str(JUDGE_FIXTURE)}
    session.run("pytest", "tests/web", *session.posargs, env=env)


HA_HARNESS = [
    "homeassistant==2024.3.3",
    "pytest-homeassistant-custom-component==0.13.109",
    # Requirements of the integrations the test sets up (the harness never pip-installs at run time):
    # wyoming (its config flow imports zeroconf) and its dependencies (assist_pipeline, conversation,
    # tts, ffmpeg).
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
    session.run(judge_python, "tests/ha/prepare.py", str(JUDGE_FIXTURE), external=True, env=_threads())
    session.install(*HA_HARNESS)
    session.run(
        "pytest",
        "tests/ha",
        "--confcutdir=tests/ha",  # tests/conftest.py imports wakesmith, which this environment lacks
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"WAKESMITH_JUDGE_PYTHON": judge_python, "WAKESMITH_JUDGE_FIXTURE": str(JUDGE_FIXTURE)},
    )


HA2025_HARNESS = [
    "homeassistant==2025.4.4",
    "pytest-homeassistant-custom-component==0.13.236",  # the harness release pinned to 2025.4.4
    # The tests' Wyoming satellite (the version Home Assistant 2025.4's wyoming integration pins).
    # The integrations they set up (automation, blueprint, conversation, input_button, …) need
    # hassil and home-assistant-intents, which the harness already pins.
    "wyoming==1.5.4",
]


@nox.session(python="3.13")
def ha2025(session: nox.Session) -> None:
    """custom_components/wakesmith and the blueprints in Home Assistant 2025.4 against a Judge process."""
    judge_python = _judge_python()
    session.run(judge_python, "tests/ha/prepare.py", str(JUDGE_FIXTURE), external=True, env=_threads())
    session.install(*HA2025_HARNESS)
    session.run(
        "pytest",
        "tests/ha2025",
        "--confcutdir=tests/ha2025",  # tests/conftest.py imports wakesmith, which this environment lacks
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        *session.posargs,
        env={
            "WAKESMITH_JUDGE_PYTHON": judge_python,
            "WAKESMITH_JUDGE_FIXTURE": str(JUDGE_FIXTURE),
            "OMP_NUM_THREADS": "1",
        },
    )


ESPHOME_VERSION = "2026.6.5"


@nox.session(python="3.11")
def esphome(session: nox.Session) -> None:
    session.install(f"esphome=={ESPHOME_VERSION}", "pytest", "pytest-timeout", "pyyaml")
    esphome_bin = Path(session.virtualenv.bin) / "esphome"
    session.run(
        "pytest",
        "tests/esphome",
        "--confcutdir=tests/esphome",  # tests/conftest.py needs wakesmith, which is not installed here
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"ESPHOME": str(esphome_bin)},
    )


@nox.session(python="3.11")
def cpp(session: nox.Session) -> None:
    """The gate's C++ core on the host (g++), against a real Judge from the training environment."""
    judge_python = _judge_python()
    session.run(judge_python, "tests/ha/prepare.py", str(JUDGE_FIXTURE), external=True, env=_threads())
    session.install("pytest", "pytest-timeout")
    session.run(
        "pytest",
        "tests/cpp",
        "--confcutdir=tests/cpp",  # tests/conftest.py imports wakesmith, which this environment lacks
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"WAKESMITH_JUDGE_PYTHON": judge_python, "WAKESMITH_JUDGE_FIXTURE": str(JUDGE_FIXTURE)},
    )
