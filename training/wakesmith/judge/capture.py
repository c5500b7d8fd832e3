"""Hard-negative capture: the audio of rejected triggers, kept under a disk quota for retraining.

Layout: ``<folder>/rejected/<stamp>_<satellite>_<n>.wav`` with a ``.json`` beside it (satellite, model,
score, sentry score, time); ``accepted/`` holds accepted triggers when opted in. When the folder
grows past its quota the oldest captures go first. The trainer reads the folder back into a dataset
with :func:`wakesmith.data.captures.import_captures` (``wakesmith dataset captures``).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from wakesmith.audio.io import write_wav
from wakesmith.fsio import atomic_write_text

log = logging.getLogger(__name__)

REJECTED = "rejected"
ACCEPTED = "accepted"
BYTES_PER_MB = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_NAME = 40


def safe_name(name: str) -> str:
    """A satellite name made safe for file names and MQTT topics (``kitchen/1`` → ``kitchen_1``)."""
    return _UNSAFE.sub("_", name).strip("_.")[:_MAX_NAME] or "unknown"


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

    def save(self, audio: np.ndarray, *, accepted: bool, meta: dict[str, Any]) -> Path | None:
        """Keep one trigger's audio + metadata; returns the WAV path (None if accepted ones are not kept)."""
        if accepted and not self.keep_accepted:
            return None
        sub = ACCEPTED if accepted else REJECTED
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        with self._lock:
            stem = f"{stamp}_{safe_name(str(meta.get('satellite', '')))}_{next(self._counter):06d}"
            wav = write_wav(self.folder / sub / f"{stem}.wav", audio)
            atomic_write_text(wav.with_suffix(".json"), json.dumps({**meta, "accepted": accepted}, indent=1))
            self._enforce_quota()
        return wav

    def captures(self, sub: str = REJECTED) -> list[Path]:
        """WAV files of one kind, oldest first."""
        return sorted((self.folder / sub).glob("*.wav"), key=_age_key)

    def used_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())

    def _enforce_quota(self) -> None:
        files = sorted(
            (p for sub in (REJECTED, ACCEPTED) for p in (self.folder / sub).glob("*.wav")), key=_age_key
        )
        sizes = {p: p.stat().st_size + _sidecar_size(p) for p in files}
        used = sum(sizes.values())
        for path in files:
            if used <= self.quota_bytes:
                break
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
            used -= sizes[path]
            log.info("capture quota: removed %s", path.name)


def _age_key(path: Path) -> tuple[float, str]:
    return (path.stat().st_mtime, path.name)


def _sidecar_size(wav: Path) -> int:
    side = wav.with_suffix(".json")
    return side.stat().st_size if side.exists() else 0
