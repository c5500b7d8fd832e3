"""The Judge process and a Wyoming satellite for the Home Assistant 2025.4 tests (see conftest.py)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import wave
from pathlib import Path
from typing import Any

import pytest
import pytest_socket
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
import loopback

STARTUP_S = 60.0
TOKEN = "ha2025-test-token-0123456789"
MODEL = "hey_katya"
CHUNK_SAMPLES = 320
REPLY_S = 15.0


def required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests with `nox -s ha2025` (see noxfile.py).")
    return value


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s (a no-op for a process that has ended)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def free_port() -> int:
    with _sockets():
        return loopback.free_port()


class Judge:
    """``wakesmith judge --config`` from the Judge's environment, stoppable and restartable in place."""

    def __init__(self, folder: Path, fixture: dict[str, str]) -> None:
        self.folder = folder
        self.port, self.http_port = free_port(), free_port()
        self.model = folder / "model.onnx"
        shutil.copy(fixture["model"], self.model)  # installs must never touch the shared fixture
        self.captures = folder / "captures"
        self.config = folder / "judge.json"
        self.config.write_text(
            json.dumps(
                {
                    "models": [{"path": str(self.model), "name": MODEL}],
                    "uri": f"tcp://127.0.0.1:{self.port}",
                    "http_port": self.http_port,
                    "http_token": TOKEN,
                    "capture": {"folder": str(self.captures)},
                }
            )
        )
        self.log = folder / "judge.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The command line and the extra environment that start this Judge."""
        cmd = [required("WAKESMITH_JUDGE_PYTHON"), "-m", "wakesmith.cli.main", "judge"]
        return [*cmd, "--config", str(self.config)], {}

    def start(self) -> None:
        cmd, env = self.command()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1", **env}
            )
        deadline = time.monotonic() + STARTUP_S
        with _sockets():
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/health", timeout=2) as r:
                        if r.status == 200:
                            return
                except OSError:
                    pass
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"The Judge did not start:\n{self.log.read_text()[-3000:]}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def get(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}{path}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with _sockets(), urllib.request.urlopen(request, timeout=10) as r:
            return dict(json.loads(r.read()))

    @property
    def entry_data(self) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "http_port": self.http_port,
            "token": TOKEN,
            "trainer_url": "",
            "trainer_token": "",
        }


class _sockets:
    """Sockets on for a moment outside a test's ``socket_enabled`` (module fixtures, helpers)."""

    def __enter__(self) -> None:
        self._before = socket.socket
        pytest_socket.enable_socket()

    def __exit__(self, *_: object) -> None:
        socket.socket = self._before  # type: ignore[misc]


def pcm(path: str) -> bytes:
    with wave.open(path, "rb") as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (16000, 2, 1)
        return w.readframes(w.getnframes())


async def send_trigger(port: int, audio: bytes, satellite: str) -> Event:
    """A satellite's trigger over Wyoming (the gate's protocol); the Judge's verdict event."""
    client = AsyncTcpClient("127.0.0.1", port)
    await client.connect()
    try:
        context = {"trigger": {"satellite": satellite, "sentry_score": 0.9}}
        await client.write_event(Event(type="detect", data={"names": [MODEL], "context": context}))
        await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
        for start in range(0, len(audio), CHUNK_SAMPLES * 2):
            chunk = audio[start : start + CHUNK_SAMPLES * 2]
            await client.write_event(AudioChunk(rate=16000, width=2, channels=1, audio=chunk).event())
        await client.write_event(AudioStop().event())
        async with asyncio.timeout(REPLY_S):
            while True:
                event = await client.read_event()
                assert event is not None, "the Judge closed the connection"
                if event.type in ("detection", "not-detected", "error"):
                    return event
    finally:
        await client.disconnect()


class AddonJudge(Judge):
    """``wakesmith judge-addon`` as the add-on's /run.sh starts it: an ``options.json`` with an empty
    token (generated into ``data/``), a stand-in Supervisor (``tests/judge/fake_supervisor.py``) that
    receives the announcements."""

    def __init__(self, folder: Path, fixture: dict[str, str], supervisor: Any) -> None:
        super().__init__(folder, fixture)
        self.supervisor = supervisor
        self.data = folder / "data"
        self.data.mkdir(exist_ok=True)
        self.options = folder / "options.json"
        self.options.write_text(
            json.dumps(
                {
                    "models": [{"path": str(self.model), "name": MODEL, "preset": "default"}],
                    "threads": 1,
                    "http_token": "",
                    "http_token_required": True,
                    "satellites": [],
                    "mqtt": {"host": "", "port": 1883, "username": "", "password": "", "discovery": True},
                    "capture": {"folder": str(self.captures), "quota_mb": 50, "keep_accepted": False},
                }
            )
        )

    def command(self) -> tuple[list[str], dict[str, str]]:
        cmd = [required("WAKESMITH_JUDGE_PYTHON"), "-m", "wakesmith.cli.main", "judge-addon"]
        cmd += ["--options", str(self.options), "--data", str(self.data), "--supervisor", self.supervisor.url]
        cmd += ["--port", str(self.port), "--http-port", str(self.http_port), "--hostname", "127.0.0.1"]
        return cmd, {"SUPERVISOR_TOKEN": self.supervisor.token}

    @property
    def token(self) -> str:
        return (self.data / "http_token").read_text().strip()


class Studio:
    """``wakesmith serve`` (the trainer studio) from the Judge's environment; with ``worker=False`` the
    retrain action's requests stay queued, which is what the integration is first answerable for."""

    TOKEN = "studio-test-token-0123456789"

    def __init__(
        self, folder: Path, captures: Path, *, worker: bool = False, share: Path | None = None
    ) -> None:
        self.port = free_port()
        self.log = folder / "studio.log"
        self.home = folder / "home"
        cmd = [required("WAKESMITH_JUDGE_PYTHON"), "-m", "wakesmith.cli.main", "serve"]
        cmd += ["--home", str(self.home), "--port", str(self.port), "--token", self.TOKEN]
        cmd += ["--captures-folder", str(captures), "--worker" if worker else "--no-worker"]
        if share is not None:
            cmd += ["--share-folder", str(share)]
        captures.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                self.call("GET", "/api/datasets")
                return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"The studio did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.TOKEN}", "Content-Type": "application/json"},
        )
        with _sockets(), urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        stop_process(self.proc)
