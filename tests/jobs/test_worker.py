"""The worker runs real jobs: a tiny training, a cancelled one, a failing one, and one whose worker
process is killed mid-training and resumes on the next worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tiny_data import DATASET, FAST

from wakesmith.home import Home
from wakesmith.jobs import JobQueue
from wakesmith.jobs.worker import run_worker

WAIT_S = 120.0


def _wait(queue: JobQueue, job_id: str, states: set[str], timeout: float = WAIT_S) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = queue.get(job_id).state
        if state in states:
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {queue.get(job_id).state}: {queue.tail(job_id, 5)}")


def test_a_training_job_runs_through_its_stages(tiny_data_home: Home) -> None:
    queue = JobQueue(tiny_data_home)
    job = queue.submit(
        "train",
        {"dataset_id": DATASET, "kind": "sentry", "recipe": "tiny", "overrides": FAST, "evaluate": False},
    )
    assert run_worker(tiny_data_home, once=True) == 1
    done = queue.get(job.id)
    assert done.state == "succeeded", done.error
    assert (tiny_data_home.models / done.result["model_id"] / "metadata.json").is_file()
    started = [e.stage for e in queue.events(job.id) if e.name == "stage_started"]
    assert started[:2] == ["data", "train"]
    names = {(e.name, e.stage) for e in queue.events(job.id)}
    assert {("stage_finished", "data"), ("stage_finished", "train"), ("artifact_saved", "save")} <= names


def test_a_job_with_a_bad_request_fails_with_the_reason(tiny_data_home: Home) -> None:
    queue = JobQueue(tiny_data_home)
    job = queue.submit("train", {"dataset_id": "no_such_dataset", "kind": "sentry", "recipe": "tiny"})
    run_worker(tiny_data_home, once=True)
    failed = queue.get(job.id)
    assert failed.state == "failed"
    assert "no_such_dataset" in failed.error and "has no clips" in failed.error
    last = queue.tail(job.id, 1)[0]
    assert (last.name, last.stage, last.message) == ("warning", "data", failed.error)


def test_a_synthesis_that_fails_still_says_its_dataset_may_have_changed(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path / "home")
    queue = JobQueue(home)
    job = queue.submit("synthesize", {"dataset_id": "synth_ds", "synth": {"speeds": [5]}})
    run_worker(home, once=True)
    failed = queue.get(job.id)
    assert failed.state == "failed" and "synth.speeds must lie in" in failed.error
    events = [(e.name, e.stage, e.message, e.data) for e in queue.events(job.id)][1:]  # after planning
    assert events == [  # a failure can come after a batch was stored: the studio re-reads the dataset
        ("stage_finished", "dataset", "synthesis_stopped", {"dataset": "synth_ds"}),
        ("warning", "synth", failed.error, {}),
    ]


def test_a_running_job_is_cancelled_at_its_next_event(tiny_data_home: Home) -> None:
    queue = JobQueue(tiny_data_home)
    long = {**FAST, "train.epochs": 200}
    job = queue.submit(
        "train", {"dataset_id": DATASET, "recipe": "tiny", "overrides": long, "evaluate": False}
    )
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(tiny_data_home,), kwargs={"stop": stop}, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + WAIT_S
        while queue.get(job.id).stage != "train" and time.monotonic() < deadline:
            time.sleep(0.1)
        queue.cancel(job.id)
        assert _wait(queue, job.id, {"cancelled", "failed", "succeeded"}, 30) == "cancelled"
    finally:
        stop.set()
        worker.join(30)
    assert not list(tiny_data_home.models.glob("*/metadata.json")), "a cancelled training published a model"


def _worker(home: Home, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "wakesmith.cli.main", "worker", "--home", str(home.root)]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.slow
def test_a_job_whose_worker_is_killed_resumes_on_the_next_worker(
    tiny_data_home: Home, tmp_path: Path
) -> None:
    queue = JobQueue(tiny_data_home)
    overrides = {"train.epochs": 3, "train.samples_per_epoch": 256, "train.checkpoint_every_n_steps": 3}
    job = queue.submit(
        "train", {"dataset_id": DATASET, "recipe": "tiny", "overrides": overrides, "evaluate": False}
    )
    log = tmp_path / "worker.log"
    first = _worker(tiny_data_home, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + WAIT_S
        while not list(tiny_data_home.runs.glob("*/checkpoints/last.ckpt")):
            assert time.monotonic() < deadline and first.poll() is None, log.read_text()[-3000:]
            time.sleep(0.1)
        time.sleep(0.3)
        os.killpg(first.pid, signal.SIGKILL)  # no clean-up: like a power cut
        first.wait(30)
        assert queue.get(job.id).state == "running"  # what the dead worker left behind
        second = _worker(tiny_data_home, log)
        assert _wait(queue, job.id, {"succeeded", "failed", "cancelled"}) == "succeeded", log.read_text()[
            -3000:
        ]
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    done = queue.get(job.id)
    assert done.attempts == 2
    assert done.result["resumed_from_step"] > 0
    assert any("resuming" in e.message for e in queue.events(job.id) if e.name == "warning")


HARD_STOP = """
import sys, time
from wakesmith.home import Home
from wakesmith.jobs import JobQueue, worker
worker.HEARTBEAT_S, worker.CANCEL_GRACE_S = 0.05, 0.3
queue = JobQueue(Home.resolve(sys.argv[1]))
job = queue.claim("cpu")
worker._Beat(queue, job)
time.sleep(30)  # a job that emits no event: only ending the process stops it
"""


def test_a_job_that_ignores_its_cancel_flag_is_stopped_by_ending_its_worker(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path / "home")
    queue = JobQueue(home)
    job = queue.submit("train", {"dataset_id": DATASET})
    queue.cancel(queue.submit("train", {"dataset_id": "other"}).id)  # a queued one: cancelled at once
    proc = subprocess.Popen([sys.executable, "-c", HARD_STOP, str(home.root)])
    deadline = time.monotonic() + 60
    while queue.get(job.id).state != "running":
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    queue.cancel(job.id)
    assert proc.wait(30) == 3  # EXIT_CANCELLED
    assert queue.get(job.id).state == "cancelled"
