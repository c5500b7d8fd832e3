"""A Judge as its own process (``wakesmith judge --config``), as the add-on runs it, on loopback ports.

Attack tests measure what the server process holds (RSS, open descriptors, disk) from ``/proc``, which
only means something when the Judge is not the test process itself.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

STARTUP_S = 60.0
PAGE_KB = 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class JudgeProcess:
    """Start with settings (ports filled in); ``stop()`` when done. ``log`` holds its output."""

    def __init__(self, folder: Path, settings: dict[str, Any], *, argv: list[str] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port, self.http_port = free_port(), free_port()
        self.token = str(settings.get("http_token", ""))
        self.log = folder / "judge.log"
        if argv is None:
            config = folder / "judge.json"
            full = {"uri": f"tcp://127.0.0.1:{self.port}", "http_port": self.http_port, **settings}
            config.write_text(json.dumps(full))
            argv = ["--config", str(config)]
        else:
            argv = [a.format(port=self.port, http_port=self.http_port) for a in argv]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "wakesmith.cli.main", "judge", *argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self._wait()

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _wait(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if httpx.get(f"{self.http}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"The Judge did not start:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.1)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / PAGE_KB
        raise AssertionError("no VmRSS")

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def errors(self, kind: str) -> float:
        """The Judge's ``wakesmith_judge_errors_total{kind=...}`` (0 when never counted)."""
        text = httpx.get(f"{self.http}/metrics", headers=self.auth).text
        prefix = f'wakesmith_judge_errors_total{{kind="{kind}"}}'
        return next((float(x.split()[-1]) for x in text.splitlines() if x.startswith(prefix)), 0.0)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def allocated_bytes(folder: Path) -> int:
    """Disk space the files under ``folder`` take (blocks, as ``du`` counts them)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())
