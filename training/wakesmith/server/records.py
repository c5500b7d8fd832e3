"""The studio's own records in ``studio.sqlite`` under the data home: deploys and the audit log.

Every deploy is a row written before it starts (``running``) and finished with its result, so a crash
mid-deploy leaves a row that says so. The audit log says who deleted, relabelled, restored, trained,
deployed or rolled back what.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from wakesmith.errors import WakesmithError
from wakesmith.home import Home

STUDIO_FILE = "studio.sqlite"
BUSY_TIMEOUT_S = 30.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS deploys (
    id TEXT PRIMARY KEY,
    model_id TEXT NOT NULL,
    state TEXT NOT NULL,
    targets TEXT NOT NULL,
    results TEXT NOT NULL DEFAULT '[]',
    user TEXT NOT NULL DEFAULT '',
    rollback_of TEXT,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS datasets (
    name TEXT PRIMARY KEY,
    phrase TEXT NOT NULL DEFAULT '',
    user TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
"""


class DeployNotFoundError(WakesmithError):
    """A deploy id that is not recorded."""


@dataclass(frozen=True)
class DeployRecord:
    id: str
    model_id: str
    state: str
    """``running``, ``succeeded``, ``failed`` (every target restored) or ``rolled_back``."""
    targets: list[dict[str, Any]]
    """As requested, tokens removed."""
    results: list[dict[str, Any]]
    """Per target: ``ok``, ``message`` and what a rollback needs (``previous``)."""
    user: str
    rollback_of: str | None
    created_at: float
    finished_at: float | None


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    time: float
    user: str
    action: str
    target: str
    detail: dict[str, Any]


def _deploy(row: sqlite3.Row) -> DeployRecord:
    values = dict(row)
    values["targets"] = json.loads(values["targets"])
    values["results"] = json.loads(values["results"])
    return DeployRecord(**values)


class Records:
    """Deploys and audit rows of one data home (a connection per call: safe across threads)."""

    def __init__(self, home: Home) -> None:
        home.root.mkdir(parents=True, exist_ok=True)
        self.path = home.root / STUDIO_FILE
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            with db:  # one transaction: committed on success, rolled back on an exception
                yield db
        finally:
            db.close()

    # --------------------------------------------------------------------------------------- datasets

    def add_dataset(self, name: str, phrase: str, user: str) -> bool:
        """Record a dataset made in the studio (it may have no clips yet); False if it was known."""
        with self._connect() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO datasets (name, phrase, user, created_at) VALUES (?, ?, ?, ?)",
                (name, phrase, user, time.time()),
            )
        return cur.rowcount == 1

    def dataset_phrases(self) -> dict[str, str]:
        """Datasets made in the studio → their phrase."""
        with self._connect() as db:
            return {r["name"]: r["phrase"] for r in db.execute("SELECT name, phrase FROM datasets")}

    # ------------------------------------------------------------------------------------------ audit

    def audit(self, user: str, action: str, target: str, **detail: Any) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO audit (time, user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (time.time(), user, action, target, json.dumps(detail, sort_keys=True, default=str)),
            )

    def audit_log(self, *, action: str | None = None, limit: int = 200) -> list[AuditRecord]:
        q, args = "SELECT * FROM audit", []
        if action is not None:
            q, args = q + " WHERE action = ?", [action]
        with self._connect() as db:
            rows = db.execute(q + " ORDER BY seq DESC LIMIT ?", [*args, limit]).fetchall()
        return [AuditRecord(**{**dict(r), "detail": json.loads(r["detail"])}) for r in rows]

    # ---------------------------------------------------------------------------------------- deploys

    def start_deploy(
        self, model_id: str, targets: list[dict[str, Any]], user: str, rollback_of: str | None = None
    ) -> DeployRecord:
        deploy_id = uuid.uuid4().hex[:12]
        with self._connect() as db:
            db.execute(
                "INSERT INTO deploys (id, model_id, state, targets, user, rollback_of, created_at) "
                "VALUES (?, ?, 'running', ?, ?, ?, ?)",
                (deploy_id, model_id, json.dumps(targets), user, rollback_of, time.time()),
            )
        return self.deploy(deploy_id)

    def finish_deploy(self, deploy_id: str, state: str, results: list[dict[str, Any]]) -> DeployRecord:
        with self._connect() as db:
            db.execute(
                "UPDATE deploys SET state = ?, results = ?, finished_at = ? WHERE id = ?",
                (state, json.dumps(results, default=str), time.time(), deploy_id),
            )
        return self.deploy(deploy_id)

    def mark_deploy(self, deploy_id: str, state: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE deploys SET state = ? WHERE id = ?", (state, deploy_id))

    def deploy(self, deploy_id: str) -> DeployRecord:
        with self._connect() as db:
            row = db.execute("SELECT * FROM deploys WHERE id = ?", (deploy_id,)).fetchone()
        if row is None:
            raise DeployNotFoundError(f"No deploy {deploy_id!r}; list them with GET /api/deploys.")
        return _deploy(row)

    def deploys(self, *, limit: int = 100) -> list[DeployRecord]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM deploys ORDER BY created_at DESC LIMIT ?", (limit,)).fetchall()
        return [_deploy(r) for r in rows]
