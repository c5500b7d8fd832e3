"""The dataset store: a SQLite manifest of clips (SQLAlchemy ORM) over a content-addressed clip folder.

Crash safety comes from one ordering rule: a clip's audio file is written and made durable *before*
its row is committed. A crash between the two leaves a file that no row references; :meth:`reconcile`
(run on open) deletes such files. A row without its file is therefore impossible by construction;
reconcile still reports any it finds (someone deleted files by hand).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, case, create_engine, event, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from wakesmith.audio.io import read_audio, wav_bytes
from wakesmith.data.files import ORPHAN_GRACE_S, ClipFiles
from wakesmith.data.health import HealthReport, dataset_health
from wakesmith.data.ingest import Prepared, chunks, existing, new_id, new_row, prepare, taken_ids
from wakesmith.data.jsonl import export_jsonl, import_jsonl
from wakesmith.data.scan import ScanReport, scan_folder
from wakesmith.data.schema import Base, Clip, NewClip, check_label, check_source, check_split
from wakesmith.data.splits import assign_splits
from wakesmith.errors import DatasetError
from wakesmith.home import Home

log = logging.getLogger(__name__)

CHUNK_SIZE = 512
"""Clips prepared, written and flushed per step of :meth:`ClipStore.add_many` (bounds memory)."""
SQLITE_BUSY_TIMEOUT_S = 30


@dataclass
class ReconcileReport:
    """What :meth:`ClipStore.reconcile` did: orphan files removed, rows whose file is missing."""

    removed_files: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    """Clip ids whose audio file is gone."""
    skipped: bool = False
    """True when another process was adding clips, so orphans could not be told from work in progress."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the web server read while a job writes; NORMAL sync is durable across app crashes.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _unknown(clip_id: str) -> DatasetError:
    return DatasetError(
        f"No clip with id {clip_id!r}; list a dataset's clips with `wakesmith dataset list DATASET`."
    )


class ClipStore:
    """All datasets of one data home. Tables are created on open; orphan files are cleaned up."""

    def __init__(self, home: Home, *, reconcile: bool = True) -> None:
        self.home = home
        home.root.mkdir(parents=True, exist_ok=True)
        self.files = ClipFiles(home.clips)
        self.engine: Engine = create_engine(
            home.db_url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        )
        event.listen(self.engine, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.engine)
        self.session: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        self.last_reconcile = self.reconcile() if reconcile else ReconcileReport(skipped=True)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> ClipStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ adding

    def add_audio(
        self,
        audio: np.ndarray,
        *,
        dataset: str,
        label: str,
        source: str,
        speaker: str = "",
        text: str = "",
        meta: dict[str, Any] | None = None,
        notes: str = "",
    ) -> Clip:
        """Store float32 16 kHz mono audio; a clip already in this dataset returns its existing row."""
        item = NewClip(
            dataset, label, source, audio=audio, speaker=speaker, text=text, meta=meta, notes=notes
        )
        return self.add_many([item])[0]

    def add_file(
        self,
        path: Path | str,
        *,
        dataset: str,
        label: str,
        source: str,
        speaker: str = "",
        text: str = "",
        meta: dict[str, Any] | None = None,
        notes: str = "",
    ) -> Clip:
        """Read (converting rate/channels) and store as :meth:`add_audio`; bad audio: AudioError, no write."""
        item = NewClip(dataset, label, source, path=path, speaker=speaker, text=text, meta=meta, notes=notes)
        return self.add_many([item])[0]

    def add_many(self, items: Iterable[NewClip]) -> list[Clip]:
        """Add clips in one transaction; returns rows in input order (existing rows for duplicates).

        Each chunk is validated and decoded before any of its files is written, and every file is
        durable before the transaction commits. If anything fails, no row is added and the files
        already written are removed again (at once, or on the next open if another process is writing).
        """
        out: list[Clip] = []
        wrote: list[bool] = []
        try:
            with self.files.writing(), self.session() as s, s.begin():
                for chunk in chunks(items, CHUNK_SIZE):
                    out.extend(self._insert(s, [prepare(item) for item in chunk], wrote))
        except IntegrityError as exc:
            self._cleanup(wrote)
            raise DatasetError(
                f"Another process added some of the same clips at the same time ({exc.orig}); run this again "
                "(clips already stored are skipped)."
            ) from None
        except BaseException:
            self._cleanup(wrote)
            raise
        return out

    def _insert(self, s: Session, batch: list[Prepared], wrote: list[bool]) -> list[Clip]:
        known = existing(s, {p.key for p in batch})
        fresh: dict[tuple[str, str], Prepared] = {}
        for p in batch:
            if p.key not in known:
                fresh.setdefault(p.key, p)  # the same sound twice in one batch is one clip
        taken = taken_ids(s, (h for _, h in fresh))
        wrote.append(bool(fresh))  # from here on a failure may leave files to clean up
        self._write_files({self.files.relpath(p.content_hash): p.pcm for p in fresh.values()})
        for key, p in fresh.items():
            known[key] = new_row(p, new_id(p.content_hash, taken), self.files.relpath(p.content_hash))
            s.add(known[key])
        s.flush()
        return [known[p.key] for p in batch]

    def _write_files(self, pcm_by_path: dict[str, bytes]) -> None:
        """Make the batch's audio durable (a seam: tests inject crashes right after it)."""
        self.files.write_many({rel: wav_bytes(pcm) for rel, pcm in pcm_by_path.items()})

    # ----------------------------------------------------------------------------------------- reading

    def clips(
        self,
        dataset: str,
        *,
        split: str | None = None,
        label: str | None = None,
        source: str | None = None,
        include_deleted: bool = False,
    ) -> list[Clip]:
        """Clips of a dataset in the order they were added; each filter left at None matches everything."""
        q = select(Clip).where(Clip.dataset == dataset)
        if split is not None:
            q = q.where(Clip.split == check_split(split))
        if label is not None:
            q = q.where(Clip.label == check_label(label))
        if source is not None:
            q = q.where(Clip.source == check_source(source))
        if not include_deleted:
            q = q.where(Clip.deleted.is_(False))
        with self.session() as s:
            # rowid breaks ties between rows of one batch created within the same microsecond
            return list(s.scalars(q.order_by(Clip.created_at, literal_column("clips.rowid"))))

    def get(self, clip_id: str) -> Clip:
        """The clip with this id (deleted or not); DatasetError if there is none."""
        with self.session() as s:
            clip = s.get(Clip, clip_id)
        if clip is None:
            raise _unknown(clip_id)
        return clip

    def audio_path(self, clip: Clip) -> Path:
        return self.files.abspath(clip.path)

    def load_audio(self, clip: Clip) -> np.ndarray:
        """The clip's audio as float32 16 kHz mono."""
        path = self.audio_path(clip)
        if not path.exists():
            raise DatasetError(
                f"The audio of clip {clip.id} is missing ({path}); delete the clip or import it again."
            )
        return read_audio(path, max_seconds=None, convert=False)

    def datasets(self) -> dict[str, int]:
        """Dataset name → number of live (not deleted) clips."""
        live = func.sum(case((Clip.deleted.is_(False), 1), else_=0))
        with self.session() as s:
            rows = s.execute(select(Clip.dataset, live).group_by(Clip.dataset).order_by(Clip.dataset))
            return {name: int(n or 0) for name, n in rows}

    def lineage_hash(self, dataset: str, *, split: str | None = None) -> str:
        """sha256 over the sorted (content_hash, label, split) of live clips: the dataset's fingerprint."""
        triples = sorted((c.content_hash, c.label, c.split or "") for c in self.clips(dataset, split=split))
        return hashlib.sha256("\n".join("\t".join(t) for t in triples).encode()).hexdigest()

    # ---------------------------------------------------------------------------------------- editing

    def _update(self, clip_id: str, **values: Any) -> Clip:
        with self.session() as s, s.begin():
            clip = s.get(Clip, clip_id)
            if clip is None:
                raise _unknown(clip_id)
            for name, value in values.items():
                setattr(clip, name, value)
        return clip

    def delete(self, clip_id: str) -> Clip:
        """Soft-delete: the clip disappears from listings and training but can be restored."""
        return self._update(clip_id, deleted=True)

    def restore(self, clip_id: str) -> Clip:
        return self._update(clip_id, deleted=False)

    def relabel(self, clip_id: str, label: str) -> Clip:
        return self._update(clip_id, label=check_label(label))

    # ------------------------------------------------------------------------------------ maintenance

    def reconcile(self) -> ReconcileReport:
        """Delete clip files no row references (a crash between file and row); report rows without files."""
        with self.files.exclusive() as alone:
            if not alone:
                log.info(
                    "Clip store %s is being written by another process; orphan clean-up skipped.",
                    self.home.clips,
                )
                return ReconcileReport(skipped=True)
            with self.session() as s:
                rows = s.execute(select(Clip.id, Clip.path)).all()
            stored = self.files.stored()
            orphans = sorted(stored - {path for _, path in rows}) + self.files.temporaries()
            grace = 0.0 if self.files.locking else ORPHAN_GRACE_S
            report = ReconcileReport(
                removed_files=self.files.remove(orphans, min_age_s=grace),
                missing_files=sorted(cid for cid, path in rows if path not in stored),
            )
        if report.removed_files:
            log.info("Removed %d clip files that no row references.", len(report.removed_files))
        if report.missing_files:
            log.warning(
                "%d clips have no audio file: %s", len(report.missing_files), report.missing_files[:10]
            )
        return report

    def _cleanup(self, wrote: list[bool]) -> None:
        if not any(wrote):  # failed before writing (bad audio, bad label): nothing to clean up
            return
        try:
            self.reconcile()
        except Exception:  # the original error matters more than a failed clean-up
            log.exception("Clean-up after a failed add did not finish; it runs again on the next open.")

    # ------------------------------------------------------------------------------- whole-dataset tasks

    def scan(self, folder: Path | str, *, dataset: str, source: str = "scan") -> ScanReport:
        """Import a folder tree; labels and speakers come from folder names (:mod:`wakesmith.data.scan`)."""
        return scan_folder(self, Path(folder), dataset=dataset, source=source)

    def assign_splits(
        self, dataset: str, *, ratios: tuple[float, float, float] | None = None, salt: str | None = None
    ) -> dict[str, int]:
        """Deterministic train/val/test split grouped by speaker (see :mod:`wakesmith.data.splits`)."""
        return assign_splits(self, dataset, ratios=ratios, salt=salt)

    def health(self, dataset: str) -> HealthReport:
        """Counts, minutes, levels and warnings for a dataset (see :mod:`wakesmith.data.health`)."""
        return dataset_health(self, dataset)

    def export_jsonl(self, dataset: str, path: Path | str) -> int:
        """Write one JSON line per clip (deleted ones too, flagged); returns the number written."""
        return export_jsonl(self, dataset, Path(path))

    def import_jsonl(self, path: Path | str, *, dataset: str | None = None) -> int:
        """Copy the clips a JSONL manifest lists into the store; returns how many were new."""
        return import_jsonl(self, Path(path), dataset=dataset)
