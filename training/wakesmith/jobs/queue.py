"""The job queue: ``jobs.sqlite`` under the data home, one row per job and one row per event.

A worker claims the oldest queued job for its device in one ``BEGIN IMMEDIATE`` transaction (two
workers never claim the same job), marks a heartbeat while it runs and stores every event the job
emits, so the API reads state, progress and logs from here alone. A job whose worker died (its pid is
gone, or its heartbeat is older than :data:`STALE_S`) goes back to ``queued`` on the next claim and is
run again from the start: training resumes from its last checkpoint, synthesis skips finished work.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wakesmith.errors import WakesmithError
from wakesmith.events import Event
from wakesmith.home import Home
from wakesmith.jobs.rows import FINAL, STATES, Job, JobState, StoredEvent, job_from_row

STALE_S = 60.0
"""A running job whose heartbeat is older than this has lost its worker (workers beat every few s)."""
BUSY_TIMEOUT_S = 30.0
JOBS_FILE = "jobs.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    spec TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT 'cpu',
    state TEXT NOT NULL DEFAULT 'queued',
    stage TEXT NOT NULL DEFAULT '',
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    message TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '{}',
    user TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker_pid INTEGER,
    worker_host TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    started_at REAL,
    stage_started_at REAL,
    heartbeat_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS ix_jobs_state ON jobs (state, device, created_at);
CREATE TABLE IF NOT EXISTS job_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs (id),
    time REAL NOT NULL,
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    message TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS ix_job_events_job ON job_events (job_id, seq);
"""


class JobError(WakesmithError):
    """A job that does not exist or cannot be changed in its state."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class JobQueue:
    """The queue of one data home. Every method opens its own connection: safe across threads."""

    def __init__(self, home: Home) -> None:
        home.root.mkdir(parents=True, exist_ok=True)
        self.path: Path = home.root / JOBS_FILE
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ------------------------------------------------------------------------------------ submitting

    def submit(self, kind: str, spec: dict[str, Any], *, device: str = "cpu", user: str = "") -> Job:
        job_id = uuid.uuid4().hex[:12]
        with self._transaction() as db:
            db.execute(
                "INSERT INTO jobs (id, kind, spec, device, user, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, kind, json.dumps(spec, sort_keys=True), device, user, time.time()),
            )
        return self.get(job_id)

    # --------------------------------------------------------------------------------------- reading

    def get(self, job_id: str) -> Job:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobError(f"No job {job_id!r}; list the jobs with GET /api/jobs.")
        return job_from_row(row)

    def jobs(self, *, state: str | None = None, limit: int = 100) -> list[Job]:
        q, args = "SELECT * FROM jobs", list[Any]()
        if state is not None:
            q, args = q + " WHERE state = ?", [state]
        with self._connect() as db:
            rows = db.execute(q + " ORDER BY created_at DESC LIMIT ?", [*args, limit]).fetchall()
        return [job_from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """State → number of jobs (every state listed)."""
        with self._connect() as db:
            rows = db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        found = {state: int(n) for state, n in rows}
        return {state: found.get(state, 0) for state in STATES}

    def events(self, job_id: str | None = None, *, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Events after ``seq`` ``after`` (of one job, or of all jobs), oldest first."""
        q, args = "SELECT * FROM job_events WHERE seq > ?", list[Any]([after])
        if job_id is not None:
            q, args = q + " AND job_id = ?", [after, job_id]
        with self._connect() as db:
            rows = db.execute(q + " ORDER BY seq LIMIT ?", [*args, limit]).fetchall()
        return [StoredEvent(**{**dict(r), "data": json.loads(r["data"])}) for r in rows]

    def tail(self, job_id: str, lines: int) -> list[StoredEvent]:
        """The last ``lines`` events of a job, oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM job_events WHERE job_id = ? ORDER BY seq DESC LIMIT ?", (job_id, lines)
            ).fetchall()
        return [StoredEvent(**{**dict(r), "data": json.loads(r["data"])}) for r in reversed(rows)]

    def last_seq(self) -> int:
        with self._connect() as db:
            row = db.execute("SELECT MAX(seq) FROM job_events").fetchone()
        return int(row[0] or 0)

    # ------------------------------------------------------------------------------------- the worker

    def claim(self, device: str, pid: int | None = None) -> Job | None:
        """Requeue jobs whose worker died, then take the oldest queued job for ``device`` (or None)."""
        pid = os.getpid() if pid is None else pid
        host, now = socket.gethostname(), time.time()
        with self._transaction() as db:
            self._requeue_orphans(db, host, now)
            if db.execute("SELECT 1 FROM jobs WHERE state = 'running' AND device = ?", (device,)).fetchone():
                return None  # one job at a time per device
            row = db.execute(
                "SELECT id FROM jobs WHERE state = 'queued' AND device = ? ORDER BY created_at LIMIT 1",
                (device,),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET state = 'running', worker_pid = ?, worker_host = ?, heartbeat_at = ?, "
                "started_at = COALESCE(started_at, ?), attempts = attempts + 1 WHERE id = ?",
                (pid, host, now, now, row["id"]),
            )
        return self.get(row["id"])

    def _requeue_orphans(self, db: sqlite3.Connection, host: str, now: float) -> None:
        for row in db.execute("SELECT * FROM jobs WHERE state = 'running'").fetchall():
            dead = row["worker_host"] == host and row["worker_pid"] and not _pid_alive(row["worker_pid"])
            stale = row["heartbeat_at"] is None or now - row["heartbeat_at"] > STALE_S
            if dead or stale:
                state = "cancelled" if row["cancel_requested"] else "queued"
                db.execute(
                    "UPDATE jobs SET state = ?, worker_pid = NULL, message = ? WHERE id = ?",
                    (state, "its worker stopped; it resumes on the next worker", row["id"]),
                )

    def requeue_orphans(self) -> None:
        """Put jobs whose worker died back in the queue (the API calls this when it lists jobs)."""
        with self._transaction() as db:
            self._requeue_orphans(db, socket.gethostname(), time.time())

    def heartbeat(self, job_id: str) -> bool:
        """Mark the job alive; returns whether cancellation was requested."""
        with self._transaction() as db:
            db.execute("UPDATE jobs SET heartbeat_at = ? WHERE id = ?", (time.time(), job_id))
            row = db.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row[0])

    def record(self, job_id: str, event: Event) -> None:
        """Store an event and update the job's stage, progress and heartbeat in one transaction."""
        now = time.time()
        data = json.dumps(event.data, sort_keys=True, default=str)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO job_events (job_id, time, name, stage, done, total, message, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, now, event.name, event.stage, event.done, event.total, event.message, data),
            )
            if event.name == "stage_started":
                db.execute(
                    "UPDATE jobs SET stage = ?, done = 0, total = ?, message = ?, stage_started_at = ?, "
                    "heartbeat_at = ? WHERE id = ?",
                    (event.stage, event.total, event.message, now, now, job_id),
                )
            elif event.name == "stage_progress":
                db.execute(
                    "UPDATE jobs SET stage = ?, done = ?, total = COALESCE(?, total), message = ?, "
                    "heartbeat_at = ? WHERE id = ?",
                    (event.stage, event.done, event.total, event.message, now, job_id),
                )
            else:
                db.execute("UPDATE jobs SET heartbeat_at = ? WHERE id = ?", (now, job_id))

    def finish(
        self, job_id: str, state: JobState, *, result: dict[str, Any] | None = None, error: str = ""
    ) -> Job:
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET state = ?, result = ?, error = ?, finished_at = ?, worker_pid = NULL "
                "WHERE id = ?",
                (state, json.dumps(result or {}, default=str), error, time.time(), job_id),
            )
        return self.get(job_id)

    # ------------------------------------------------------------------------------------- cancelling

    def cancel(self, job_id: str) -> Job:
        """A queued job is cancelled at once; a running one is flagged (its worker stops it)."""
        job = self.get(job_id)
        if job.state in FINAL:
            raise JobError(
                f"Job {job_id} is already {job.state}; only queued or running jobs can be cancelled."
            )
        with self._transaction() as db:
            db.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
            db.execute(
                "UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE id = ? AND state = 'queued'",
                (time.time(), job_id),
            )
        return self.get(job_id)
