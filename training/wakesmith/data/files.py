"""The content-addressed clip folder: ``<root>/ab/abcdef….wav``, named by the sha256 of the PCM bytes.

Writers hold a shared lock on ``<root>/.lock`` from the first file they write until their rows are
committed; :meth:`ClipFiles.exclusive` (used to delete orphan files) only succeeds while nobody
writes, so cleaning up can never delete a file whose row is about to be committed by another
process. On platforms without ``fcntl`` the lock is a no-op and only orphans older than
:data:`ORPHAN_GRACE_S` are deleted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_NAME = ".lock"
SUFFIX = ".wav"
TMP_SUFFIX = ".tmp"
"""Suffix of files being written (the same pattern as :func:`wakesmith.fsio.atomic_path`)."""

ORPHAN_GRACE_S = 3600.0
"""Without file locks, an unreferenced file younger than this may belong to a writer still at work."""

FSYNC_EACH_MAX = 16
"""Up to this many paths are fsynced one by one; larger batches use one sync() on Linux."""

HASH_PREFIX_CHARS = 2
"""Sub-folder name length: 256 folders keep each directory small at 100k clips."""


class ClipFiles:
    """Atomic, durable writes and orphan discovery in the clip folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock_path = self.root / LOCK_NAME
        self._folders: set[Path] = set()
        """Sub-folders known to exist (saves a mkdir per clip)."""

    @staticmethod
    def relpath(content_hash: str) -> str:
        """Where a clip with this content hash lives, relative to the root (POSIX separators)."""
        return f"{content_hash[:HASH_PREFIX_CHARS]}/{content_hash}{SUFFIX}"

    def abspath(self, relpath: str) -> Path:
        return self.root / relpath

    @property
    def locking(self) -> bool:
        """True where writers and clean-up exclude each other through a file lock."""
        return fcntl is not None

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the shared writer lock (blocks while a clean-up holds the exclusive one)."""
        if fcntl is None:
            yield
            return
        with open(self.lock_path, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[bool]:
        """Try to take the exclusive lock without waiting; yields whether no writer is active."""
        if fcntl is None:
            yield True
            return
        with open(self.lock_path, "a+b") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def write_many(self, blobs: dict[str, bytes]) -> list[str]:
        """Write ``relpath → bytes`` durably; files that already exist are kept (same hash, same bytes).

        Temporary files are written, made durable, renamed into place and the renames made durable,
        in that order, so a file under its final name is always complete. Returns the relpaths written.
        """
        pending: list[tuple[Path, Path]] = []
        folders: set[Path] = set()
        try:
            for rel, data in blobs.items():
                target = self.abspath(rel)
                if target.exists():
                    continue
                if target.parent not in self._folders:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self._folders.add(target.parent)
                folders.add(target.parent)
                fd, name = self._mkstemp(target)
                pending.append((Path(name), target))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
            _make_durable([tmp for tmp, _ in pending])
            for tmp, target in pending:
                os.replace(tmp, target)
            _make_durable(sorted(folders))
        finally:
            for tmp, _ in pending:
                tmp.unlink(missing_ok=True)
        return [target.relative_to(self.root).as_posix() for _, target in pending]

    def _mkstemp(self, target: Path) -> tuple[int, str]:
        try:
            return tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
        except FileNotFoundError:  # the folder was removed behind our back since we last created it
            target.parent.mkdir(parents=True, exist_ok=True)
            return tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)

    def stored(self) -> set[str]:
        """Relpaths of all clip files on disk."""
        return {p.relative_to(self.root).as_posix() for p in self.root.glob(f"*/*{SUFFIX}")}

    def temporaries(self) -> list[str]:
        """Relpaths of temporary files left behind by a writer that died mid-write."""
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.glob(f"*/.*{TMP_SUFFIX}"))

    def remove(self, relpaths: list[str], *, min_age_s: float = 0.0) -> list[str]:
        """Delete these files (skipping any younger than ``min_age_s``); returns those deleted."""
        now = time.time()
        removed = []
        for rel in relpaths:
            path = self.abspath(rel)
            with contextlib.suppress(FileNotFoundError):
                if min_age_s and now - path.stat().st_mtime < min_age_s:
                    continue
                path.unlink()
                removed.append(rel)
        return removed


def _make_durable(paths: list[Path]) -> None:
    """fsync files or folders (a rename is durable once its folder is).

    For a large batch on Linux one ``sync()`` is several times faster than an fsync per file; Linux's
    sync waits until the data is on disk (elsewhere it may only schedule the writes, so fsync).
    """
    if not paths:
        return
    if len(paths) > FSYNC_EACH_MAX and sys.platform.startswith("linux"):
        os.sync()
        return
    for path in paths:
        # Some platforms cannot open folders; their renames are as durable as they get.
        with contextlib.suppress(IsADirectoryError, PermissionError):
            fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0))
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
