"""``wakesmith serve`` as a process: the app on a port, the token made and logged once, a worker
subprocess that runs the queue and is started again when it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parents[1] / "judge"))
from judge_process import free_port

from wakesmith.server.settings import TOKEN_FILE

STARTUP_S = 60.0


def _wait(predicate, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_runs_the_app_and_a_worker_it_restarts(tmp_path: Path) -> None:
    home, log, port = tmp_path / "home", tmp_path / "serve.log", free_port()
    cmd = [sys.executable, "-m", "wakesmith.cli.main", "serve", "--home", str(home), "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _healthy(url), STARTUP_S, "serve did not answer", log)
        token = (home / TOKEN_FILE).read_text().strip()
        assert log.read_text().count(token) == 1  # logged once, on the start that made it
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/api/jobs").status_code == 401
        assert httpx.get(f"{url}/").headers["content-type"].startswith("text/html")  # the UI, no token
        body = {"dataset_id": "missing", "kind": "sentry", "recipe": "tiny"}
        job = httpx.post(f"{url}/api/retrain", json=body, headers=auth)  # fails in the worker: no clips
        assert job.status_code == 202, job.text
        job_url = f"{url}/api/jobs/{job.json()['job_id']}"
        _wait(
            lambda: httpx.get(job_url, headers=auth).json()["state"] == "failed", STARTUP_S, "no worker", log
        )
        assert "has no clips" in httpx.get(job_url, headers=auth).json()["error"]

        workers = _workers(proc.pid)
        assert len(workers) == 1
        os.kill(workers[0], signal.SIGKILL)
        _wait(lambda: _workers(proc.pid) not in ([], workers), 30, "the worker was not started again", log)
        restarted = _workers(proc.pid)
        os.kill(proc.pid, signal.SIGTERM)  # serve alone: it stops its worker itself
        proc.wait(30)
        _wait(lambda: not any(_alive(p) for p in restarted), 15, "serve left its worker running", log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in _workers(proc.pid):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _workers(parent: int) -> list[int]:
    """Live child processes of ``parent`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_the_worker_stops_when_serve_is_killed(tmp_path: Path) -> None:
    home, log, port = tmp_path / "home", tmp_path / "serve.log", free_port()
    cmd = [sys.executable, "-m", "wakesmith.cli.main", "serve", "--home", str(home), "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait(lambda: bool(_workers(proc.pid)), STARTUP_S, "no worker started", log)
        workers = _workers(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # no clean-up in serve: the worker notices on its own
        proc.wait(30)
        _wait(lambda: not any(_alive(p) for p in workers), 30, "the orphaned worker kept running", log)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_json_logs_are_one_object_per_line() -> None:
    import json
    import logging

    from wakesmith.cli.serve import JsonFormatter

    record = logging.LogRecord("wakesmith.serve", logging.WARNING, __file__, 1, "worker %d ended", (7,), None)
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "WARNING",
        "wakesmith.serve",
        "worker 7 ended",
    )
