"""Fixtures of the gate's C++ tests: the core built with g++ (once per session) and a real Judge process.

These tests need no wakesmith in their own Python (the ``cpp`` nox session has only pytest). The
Judge runs as a process of the Judge's own environment, as in ``tests/ha``:

- ``WAKESMITH_JUDGE_PYTHON``: a Python with ``wakesmith[judge]`` (default: this one, if it has it);
- ``WAKESMITH_JUDGE_FIXTURE``: a folder made by ``tests/ha/prepare.py`` (default: ``.nox/judge-fixture``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cpp_support import JudgeProcess, Programs, free_port

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "esphome" / "components" / "wakesmith_gate"
HERE = Path(__file__).parent
CXXFLAGS = ["-std=c++17", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-pthread"]
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
"""The core is tested under AddressSanitizer: a bounds slip in the decoder fails the tests, not a device."""
BUILD_TIMEOUT_S = 600
STARTUP_S = 60.0


def _cxx() -> str:
    cxx = os.environ.get("CXX") or shutil.which("g++")
    if not cxx:
        pytest.fail("tests/cpp need g++ with C++17 (apt install g++), or CXX naming a compatible compiler.")
    return cxx


def _compile(cxx: str, source: Path, obj: Path) -> None:
    cmd = [cxx, *CXXFLAGS, *SANITIZERS, f"-I{CORE}", f"-I{HERE}", "-c", str(source), "-o", str(obj)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}\n{result.stderr[-6000:]}")


@pytest.fixture(scope="session")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Programs:
    """The unit-test runner and the loopback satellite, compiled from the component's own sources."""
    cxx = _cxx()
    build = tmp_path_factory.mktemp("gate_build")
    core = sorted(CORE.glob("gate_*.cpp"))
    assert core, f"no gate_*.cpp in {CORE}"
    tests = sorted(HERE.glob("test_*.cpp"))  # test_main.cpp + the cases, which register themselves
    sources = [*core, *tests, HERE / "gate_loopback.cpp"]
    objects = {src: build / f"{src.stem}.o" for src in sources}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda src: _compile(cxx, src, objects[src]), sources))
    core_objects = [str(objects[src]) for src in core]
    out = Programs(build / "test_core", build / "gate_loopback")
    for program, mains in ((out.unit_tests, tests), (out.loopback, [HERE / "gate_loopback.cpp"])):
        own = [str(objects[src]) for src in mains]
        cmd = [cxx, *CXXFLAGS, *SANITIZERS, *own, *core_objects, "-o", str(program)]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
        assert result.returncode == 0, result.stderr[-6000:]
    return out


def _judge_python() -> str:
    python = os.environ.get("WAKESMITH_JUDGE_PYTHON")
    if python:
        return python
    if importlib.util.find_spec("wakesmith") is not None:
        return sys.executable
    pytest.fail(
        "No Judge environment: set WAKESMITH_JUDGE_PYTHON (nox -s cpp does) to a Python with wakesmith[judge]"
    )


@pytest.fixture(scope="session")
def judge_python() -> str:
    return _judge_python()


@pytest.fixture(scope="session")
def judge_fixture() -> dict[str, str]:
    """The small trained judge and its clips (``tests/ha/prepare.py`` makes the folder)."""
    folder = Path(os.environ.get("WAKESMITH_JUDGE_FIXTURE") or ROOT / ".nox" / "judge-fixture")
    manifest = folder / "fixture.json"
    if not manifest.is_file():
        pytest.fail(f"No judge fixture in {folder}: run `python tests/ha/prepare.py {folder}` first.")
    return dict(json.loads(manifest.read_text()))


@pytest.fixture(scope="module")
def judge(
    judge_python: str, judge_fixture: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JudgeProcess]:
    """A ``wakesmith judge`` process on a free loopback port, keeping rejected triggers."""
    folder = tmp_path_factory.mktemp("judge")
    running = JudgeProcess(free_port(), folder / "captures", folder / "judge.log")
    cmd = [judge_python, "-m", "wakesmith.cli.main", "judge", "--model", judge_fixture["model"]]
    cmd += ["--uri", f"tcp://127.0.0.1:{running.port}", "--http-port", "0", "--threads", "1"]
    cmd += ["--capture-dir", str(running.captures)]
    with running.log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", running.port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Judge did not start:\n{running.log.read_text()}")
            time.sleep(0.1)
        yield running
    finally:
        proc.terminate()
        proc.wait(10)
