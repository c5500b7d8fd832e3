"""The SQLite job queue: claiming, one job per device, orphans requeued, events, cancelling."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from wakesmith.events import Event
from wakesmith.home import Home
from wakesmith.jobs import JobError, JobQueue
from wakesmith.jobs import queue as queue_module


@pytest.fixture
def queue(tmp_path: Path) -> JobQueue:
    return JobQueue(Home.resolve(tmp_path / "home"))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_jobs_are_claimed_oldest_first_one_at_a_time_per_device(queue: JobQueue) -> None:
    first = queue.submit("train", {"dataset_id": "a"})
    second = queue.submit("train", {"dataset_id": "b"})
    gpu = queue.submit("train", {"dataset_id": "c"}, device="cuda")
    claimed = queue.claim("cpu")
    assert claimed is not None and claimed.id == first.id and claimed.state == "running"
    assert claimed.attempts == 1
    assert queue.claim("cpu") is None  # the cpu is busy with the first job
    other = queue.claim("cuda")
    assert other is not None and other.id == gpu.id
    queue.finish(first.id, "succeeded", result={"model_id": "m"})
    nxt = queue.claim("cpu")
    assert nxt is not None and nxt.id == second.id
    assert queue.get(first.id).result == {"model_id": "m"}
    assert queue.counts() == {"queued": 0, "running": 2, "succeeded": 1, "failed": 0, "cancelled": 0}


def test_a_job_whose_worker_died_is_claimed_again(queue: JobQueue) -> None:
    job = queue.submit("train", {"dataset_id": "a"})
    assert queue.claim("cpu", pid=_dead_pid()) is not None
    again = queue.claim("cpu")
    assert again is not None and again.id == job.id
    assert again.attempts == 2
    assert again.started_at == queue.get(job.id).started_at  # the job's start is its first start


def test_a_job_with_a_stale_heartbeat_is_claimed_again(
    queue: JobQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = queue.submit("train", {"dataset_id": "a"})
    assert queue.claim("cpu") is not None  # this process: alive, but it stops beating
    monkeypatch.setattr(queue_module, "STALE_S", 0.05)
    time.sleep(0.1)
    again = queue.claim("cpu")
    assert again is not None and again.id == job.id and again.attempts == 2


def test_events_move_stage_progress_and_eta(queue: JobQueue) -> None:
    job = queue.submit("train", {"dataset_id": "a"})
    queue.claim("cpu")
    queue.record(job.id, Event("stage_started", "train", total=10))
    time.sleep(0.05)
    queue.record(job.id, Event("stage_progress", "train", done=5, total=10, message="loss 0.3"))
    now = queue.get(job.id)
    assert (now.stage, now.done, now.total, now.progress) == ("train", 5, 10, 0.5)
    assert now.eta_s is not None and 0 < now.eta_s < 5
    events = queue.events(job.id)
    assert [e.name for e in events] == ["stage_started", "stage_progress"]
    assert queue.tail(job.id, 1)[0].message == "loss 0.3"
    assert queue.events(after=events[0].seq)[0].seq == events[1].seq


def test_cancel_stops_a_queued_job_and_flags_a_running_one(queue: JobQueue) -> None:
    running = queue.submit("train", {"dataset_id": "a"})
    waiting = queue.submit("train", {"dataset_id": "b"})
    queue.claim("cpu")
    assert queue.cancel(waiting.id).state == "cancelled"
    flagged = queue.cancel(running.id)
    assert flagged.state == "running" and flagged.cancel_requested
    assert queue.heartbeat(running.id) is True
    queue.finish(running.id, "cancelled")
    with pytest.raises(JobError, match="already cancelled"):
        queue.cancel(running.id)
    with pytest.raises(JobError, match="No job"):
        queue.get("nope")
