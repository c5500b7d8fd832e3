"""Hard-negative capture: the audio of rejected triggers, kept under a disk quota for retraining.

Layout: ``<folder>/rejected/<stamp>_<satellite id>_<n>.wav`` with a ``.json`` beside it (the exact
satellite name, model, score, sentry score, time); ``accepted/`` holds accepted triggers when opted in.
The quota counts the space the files take on disk (allocated blocks, not their byte length: a
one-sample WAV still costs a block), kept in an in-memory index built once at start, so a save never
rescans the folder; past the quota the oldest captures go first. The trainer reads the folder back into
a dataset with :func:`wakesmith.data.captures.import_captures` (``wakesmith dataset captures``).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from wakesmith.audio.io import write_wav
from wakesmith.fsio import atomic_write_text
from wakesmith.judge.names import for_log, satellite_id

log = logging.getLogger(__name__)

REJECTED = "rejected"
ACCEPTED = "accepted"
BYTES_PER_MB = 1024 * 1024
BLOCK_BYTES = 512
"""Unit of ``st_blocks`` (POSIX)."""


class CaptureFolder:
    """Writes captures and enforces the quota (thread-safe: verdicts come from worker threads)."""

    def __init__(self, folder: Path, *, quota_bytes: int, keep_accepted: bool = False) -> None:
        self.folder = Path(folder)
        self.quota_bytes = quota_bytes
        self.keep_accepted = keep_accepted
        self._lock = threading.Lock()
        self._counter = itertools.count()
        for sub in (REJECTED, ACCEPTED):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        # WAV path → allocated bytes of the WAV and its sidecar, oldest first: scanned once, here.
        self._index: OrderedDict[Path, int] = OrderedDict(
            (p, _allocated(p) + _allocated(p.with_suffix(".json")))
            for p in sorted(
                (p for sub in (REJECTED, ACCEPTED) for p in (self.folder / sub).glob("*.wav")), key=_age_key
            )
        )
        self._used = sum(self._index.values())
        with self._lock:
            self._enforce_quota()

    def save(self, audio: np.ndarray, *, accepted: bool, meta: dict[str, Any]) -> Path | None:
        """Keep one trigger's audio + metadata; returns the WAV path (None if accepted ones are not kept)."""
        if accepted and not self.keep_accepted:
            return None
        sub = ACCEPTED if accepted else REJECTED
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        sidecar = json.dumps({**meta, "accepted": accepted}, indent=1, allow_nan=False)
        sat = satellite_id(str(meta.get("satellite") or "unknown"))
        with self._lock:
            stem = f"{stamp}_{sat}_{next(self._counter):06d}"
            wav = write_wav(self.folder / sub / f"{stem}.wav", audio)
            atomic_write_text(wav.with_suffix(".json"), sidecar)
            size = _allocated(wav) + _allocated(wav.with_suffix(".json"))
            self._index[wav] = size
            self._used += size
            self._enforce_quota()
        return wav if wav in self._index else None

    def captures(self, sub: str = REJECTED) -> list[Path]:
        """WAV files of one kind, oldest first."""
        return sorted((self.folder / sub).glob("*.wav"), key=_age_key)

    def used_bytes(self) -> int:
        """Space the captures take on disk, as the index counts it."""
        return self._used

    def _enforce_quota(self) -> None:
        while self._used > self.quota_bytes and self._index:
            path, size = self._index.popitem(last=False)
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
            self._used -= size
            log.info("capture quota: removed %s", for_log(path.name))


def _allocated(path: Path) -> int:
    """Bytes a file takes on disk (its blocks; at least its length), 0 when it is gone."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return 0
    return max(st.st_blocks * BLOCK_BYTES, st.st_size)


def _age_key(path: Path) -> tuple[float, str]:
    try:
        return (path.stat().st_mtime, path.name)
    except FileNotFoundError:
        return (0.0, path.name)
