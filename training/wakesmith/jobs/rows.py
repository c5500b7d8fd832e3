"""The rows of ``jobs.sqlite`` as the queue hands them out: a job and one of its stored events."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Literal

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
STATES: tuple[JobState, ...] = ("queued", "running", "succeeded", "failed", "cancelled")
FINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class Job:
    """One row of ``jobs``; ``spec`` is the request the job runs, ``result`` what it produced."""

    id: str
    kind: str
    spec: dict[str, Any]
    device: str
    state: str
    stage: str
    done: int
    total: int | None
    message: str
    error: str
    result: dict[str, Any]
    user: str
    attempts: int
    cancel_requested: bool
    worker_pid: int | None
    worker_host: str
    created_at: float
    started_at: float | None
    stage_started_at: float | None
    heartbeat_at: float | None
    finished_at: float | None

    @property
    def progress(self) -> float | None:
        """Fraction of the current stage done (None while its total is unknown)."""
        return min(1.0, self.done / self.total) if self.total else None

    @property
    def eta_s(self) -> float | None:
        """Seconds left in the current stage at its rate so far (None until it has a rate)."""
        if self.state != "running" or not self.total or not self.done or self.stage_started_at is None:
            return None
        elapsed = time.time() - self.stage_started_at
        return max(0.0, elapsed / self.done * (self.total - self.done))

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.finished_at or time.time()) - self.started_at


@dataclass(frozen=True)
class StoredEvent:
    """One event a job emitted, as stored (``seq`` orders every event of every job)."""

    seq: int
    job_id: str
    time: float
    name: str
    stage: str
    done: int
    total: int | None
    message: str
    data: dict[str, Any]


def job_from_row(row: sqlite3.Row) -> Job:
    values = dict(row)
    values["spec"] = json.loads(values["spec"])
    values["result"] = json.loads(values["result"])
    values["cancel_requested"] = bool(values["cancel_requested"])
    return Job(**values)
