"""Turning new clips into rows: validation, PCM and hashing, levels, duplicate and id look-ups.

Everything here is side-effect free except the read-only queries; :class:`ClipStore` owns the
order of writing files and committing rows.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from wakesmith.audio.io import DEFAULT_MAX_SECONDS, as_mono_float, from_pcm16, read_audio, to_pcm16
from wakesmith.audio.levels import level_stats
from wakesmith.config import SAMPLE_RATE
from wakesmith.data.schema import (
    Clip,
    NewClip,
    check_dataset,
    check_label,
    check_source,
    check_split,
    utcnow,
)
from wakesmith.errors import AudioError, DatasetError

ID_CHARS = 16
"""Clip ids are the first 16 hex digits of the content hash (64 bits: collisions need ~4e9 clips)."""
SQL_IN_CHUNK = 500
"""Values per ``IN (…)`` query: under SQLite's bound-parameter limit on every version."""
BYTES_PER_SAMPLE = 2

T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """A validated new clip with its 16-bit PCM and content hash."""

    item: NewClip
    pcm: bytes
    content_hash: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.item.dataset, self.content_hash)


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def prepare(item: NewClip) -> Prepared:
    """Validate the fields, read or check the audio, quantize to PCM and hash it. Writes nothing."""
    item = replace(
        item,
        dataset=check_dataset(item.dataset),
        label=check_label(item.label),
        source=check_source(item.source),
        split=check_split(item.split),
        speaker=(item.speaker or "").strip(),
    )
    if (item.audio is None) == (item.path is None):
        raise DatasetError("A new clip needs exactly one of `audio` or `path`.")
    if item.audio is not None:
        audio = as_mono_float(item.audio)
        if len(audio) > DEFAULT_MAX_SECONDS * SAMPLE_RATE:
            seconds = len(audio) / SAMPLE_RATE
            raise AudioError(f"Clip is {seconds:.0f} s long; cut it below {DEFAULT_MAX_SECONDS:g} s.")
    else:
        audio = read_audio(Path(item.path or ""))
    pcm = to_pcm16(audio)
    # The Prepared keeps the PCM, not the float audio or the path: drop the caller's array reference.
    return Prepared(replace(item, audio=None), pcm, hashlib.sha256(pcm).hexdigest())


def new_row(p: Prepared, clip_id: str, relpath: str) -> Clip:
    """The row for a prepared clip; levels are measured on the stored (quantized) audio."""
    item, stats = p.item, level_stats(from_pcm16(p.pcm))
    return Clip(
        id=clip_id,
        dataset=item.dataset,
        content_hash=p.content_hash,
        path=relpath,
        duration_s=len(p.pcm) / BYTES_PER_SAMPLE / SAMPLE_RATE,
        label=item.label,
        speaker=item.speaker,
        source=item.source,
        split=item.split,
        text=item.text or "",
        notes=item.notes or "",
        deleted=item.deleted,
        meta=json.dumps(item.meta or {}, sort_keys=True, default=str),
        created_at=utcnow(),
        rms_dbfs=stats.rms_dbfs,
        peak_dbfs=stats.peak_dbfs,
        clipping_fraction=stats.clipping_fraction,
        snr_db=stats.snr_db,
    )


def existing(s: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Clip]:
    """Rows already stored for these (dataset, content_hash) keys."""
    found: dict[tuple[str, str], Clip] = {}
    for dataset in sorted({d for d, _ in keys}):
        hashes = sorted(h for d, h in keys if d == dataset)
        for part in chunks(hashes, SQL_IN_CHUNK):
            q = select(Clip).where(Clip.dataset == dataset, Clip.content_hash.in_(part))
            found.update(((c.dataset, c.content_hash), c) for c in s.scalars(q))
    return found


def taken_ids(s: Session, content_hashes: Iterable[str]) -> set[str]:
    """Ids in use that start with any of these hashes' id prefixes."""
    taken: set[str] = set()
    for part in chunks(sorted({h[:ID_CHARS] for h in content_hashes}), SQL_IN_CHUNK):
        taken.update(s.scalars(select(Clip.id).where(Clip.id.in_(part))))  # primary-key look-up
    for base in sorted(taken):  # rare: the same sound in several datasets
        taken.update(s.scalars(select(Clip.id).where(Clip.id.startswith(f"{base}-", autoescape=True))))
    return taken


def new_id(content_hash: str, taken: set[str]) -> str:
    """The hash prefix, or (the same sound already in another dataset) the prefix plus ``-2``, ``-3``…"""
    base = content_hash[:ID_CHARS]
    candidates = itertools.chain([base], (f"{base}-{n}" for n in itertools.count(2)))
    clip_id = next(c for c in candidates if c not in taken)
    taken.add(clip_id)
    return clip_id
