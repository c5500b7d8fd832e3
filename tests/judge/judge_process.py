"""A Judge as its own process (``wakesmith judge --config``), as the add-on runs it, on loopback ports.

Attack tests measure what the server process holds (RSS, open descriptors, disk) from ``/proc``, which
only means something when the Judge is not the test process itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
from loopback import free_port as free_port  # tests import it from here

STARTUP_S = 60.0
PAGE_KB = 1024


START_ATTEMPTS = 3


class JudgeProcess:
    """Start with settings (ports filled in); ``stop()`` when done. ``log`` holds its output."""

    def __init__(
        self,
        folder: Path,
        settings: dict[str, Any],
        *,
        argv: list[str] | None = None,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """``command`` (default: this Python's ``wakesmith judge``) is followed by ``argv`` (default:
        ``--config`` with ``settings`` written to a file); ``{port}`` and ``{http_port}`` in ``argv``
        become the free ports chosen here."""
        folder.mkdir(parents=True, exist_ok=True)
        self.token = str(settings.get("http_token", ""))
        self.log = folder / "judge.log"
        full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
        command = command or [sys.executable, "-m", "wakesmith.cli.main", "judge"]
        for attempt in range(START_ATTEMPTS):  # new ports if another process took one meanwhile
            self.port = free_port()
            self.http_port = free_port()
            while self.http_port == self.port:
                self.http_port = free_port()
            if argv is None:
                config = folder / "judge.json"
                full = {"uri": f"tcp://127.0.0.1:{self.port}", "http_port": self.http_port, **settings}
                config.write_text(json.dumps(full))
                args = ["--config", str(config)]
            else:
                args = [a.format(port=self.port, http_port=self.http_port) for a in argv]
            with self.log.open("ab") as out:
                self.proc = subprocess.Popen(
                    [*command, *args],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=full_env,
                )
            try:
                self._wait()
                return
            except AssertionError:
                if attempt + 1 == START_ATTEMPTS or "address already in use" not in self.log.read_text():
                    raise

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


def addon_options(model: Path, **extra: Any) -> dict[str, Any]:
    """An ``options.json`` as the Supervisor writes it from config.yaml's defaults."""
    return {
        "models": [{"path": str(model), "preset": "default"}],
        "threads": 1,
        "http_token": "",
        "http_token_required": True,
        "satellites": [],
        "mqtt": {"host": "", "port": 1883, "username": "", "password": "", "discovery": True},
        "capture": {"quota_mb": 200, "keep_accepted": False},
        **extra,
    }


def write_options(path: Path, options: dict[str, Any]) -> Path:
    path.write_text(json.dumps(options))
    return path


ADDON_ARGV = ["--options", "{options}", "--data", "{data}", "--supervisor", "{supervisor}"]


class AddonJudge(JudgeProcess):
    """``wakesmith judge-addon`` as /run.sh runs it, against a fake Supervisor, on free ports."""

    def __init__(self, folder: Path, options: dict[str, Any], supervisor: Any, **kw: Any) -> None:
        self.data = folder / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        opts = write_options(folder / "options.json", options)
        argv = [a.format(options=opts, data=self.data, supervisor=supervisor.url) for a in ADDON_ARGV] + [
            "--port",
            "{port}",
            "--http-port",
            "{http_port}",
            "--hostname",
            "127.0.0.1",
        ]
        kw.setdefault("command", [sys.executable, "-m", "wakesmith.cli.main", "judge-addon"])
        super().__init__(folder, {}, argv=argv, env={"SUPERVISOR_TOKEN": supervisor.token}, **kw)
        self.token = (self.data / "http_token").read_text().strip()


def allocated_bytes(folder: Path) -> int:
    """Disk space the files under ``folder`` take (blocks, as ``du`` counts them)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())
