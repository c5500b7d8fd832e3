"""Helpers of the satellite tests: free ports, fake Judges, a private mosquitto, a Judge process."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
from loopback import free_port as free_port  # tests import it from here

STARTUP_S = 60.0


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + STARTUP_S
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start:\n{log.read_text() if log else ''}")
        time.sleep(0.1)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class FakeJudge:
    """A TCP server on loopback whose behaviour a test writes (a thread with its own event loop)."""

    def __init__(self, handler: Handler) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def start() -> asyncio.Server:
            return await asyncio.start_server(handler, "127.0.0.1", 0)

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.port = int(self.server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            for task in asyncio.all_tasks():  # handlers still sleeping (a silent Judge)
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Broker:
    """A private mosquitto on a free loopback port."""

    def __init__(self, folder: Path) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            pytest.fail("mosquitto is not installed: run scripts/system-deps.sh")
        self.port = free_port()
        conf = folder / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.proc = subprocess.Popen([exe, "-c", str(conf)], stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc, "mosquitto")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class JudgeProcess:
    """``wakesmith judge`` as its own process on loopback, with MQTT and a capture folder."""

    def __init__(self, model: Path, folder: Path, mqtt_port: int) -> None:
        self.port = free_port()
        self.mqtt_port = mqtt_port
        self.capture = folder / "captures"
        self.log = folder / "judge.log"
        cmd = [sys.executable, "-m", "wakesmith.cli.main", "judge", "--model", str(model)]
        cmd += ["--uri", f"tcp://127.0.0.1:{self.port}", "--http-port", "0", "--threads", "1"]
        cmd += ["--mqtt-host", "127.0.0.1", "--mqtt-port", str(mqtt_port), "--capture-dir", str(self.capture)]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        wait_for_port(self.port, self.proc, "The Judge", self.log)

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Subscriber:
    """Collects (topic, payload, retained) from the broker."""

    def __init__(self, port: int, topics: list[str]) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sat-sub-{time.monotonic_ns()}")
        self.client.on_message = lambda _c, _u, msg: self._add(msg.topic, msg.payload.decode(), msg.retain)
        self.client.connect("127.0.0.1", port)
        for topic in topics:
            self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def _add(self, topic: str, payload: str, retained: bool) -> None:
        with self._lock:
            self.messages.append((topic, payload, bool(retained)))

    def wait_for(
        self, predicate: Callable[[tuple[str, str, bool]], bool], what: str
    ) -> tuple[str, str, bool]:
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            with self._lock:
                found = [m for m in self.messages if predicate(m)]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no MQTT message {what}; got {[m[0] for m in self.messages]}")

    def topics(self) -> list[str]:
        with self._lock:
            return [m[0] for m in self.messages]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
