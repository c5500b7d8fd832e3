"""Home Assistant harness fixtures: the Judge runs as a process of the Judge's OWN environment.

This folder runs in the Home Assistant test environment (``homeassistant==2024.3.3`` +
``pytest-homeassistant-custom-component``), which cannot hold wakesmith's stack. Two variables
connect the two worlds (``nox -s ha`` sets both):

- ``WAKESMITH_JUDGE_PYTHON``: the Python of an environment where ``wakesmith[judge]`` is installed;
- ``WAKESMITH_JUDGE_FIXTURE``: a folder made by ``tests/ha/prepare.py`` (model + clips).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
from loopback import free_port

STARTUP_S = 60.0


def pytest_configure(config: pytest.Config) -> None:
    # Home Assistant's fixtures (``hass``) are async generators: pytest-asyncio must run in auto mode.
    config.option.asyncio_mode = "auto"


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests with `nox -s ha` (see noxfile.py).")
    return value


@pytest.fixture(scope="session")
def judge_fixture() -> dict[str, str]:
    folder = Path(_required("WAKESMITH_JUDGE_FIXTURE"))
    manifest = folder / "fixture.json"
    if not manifest.is_file():
        pytest.fail(f"No judge fixture in {folder}: run `python tests/ha/prepare.py {folder}` first.")
    return dict(json.loads(manifest.read_text()))


@pytest.fixture
def judge_port(
    socket_enabled: None, judge_fixture: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """A running ``wakesmith judge`` process on a free loopback port.

    The harness blocks sockets (pytest-socket) except to 127.0.0.1 once ``socket_enabled`` is asked for.
    """
    python = _required("WAKESMITH_JUDGE_PYTHON")
    port = free_port()
    log = tmp_path_factory.mktemp("judge") / "judge.log"
    cmd = [python, "-m", "wakesmith.cli.main", "judge", "--model", judge_fixture["model"]]
    cmd += ["--uri", f"tcp://127.0.0.1:{port}", "--http-port", "0"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Judge did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
