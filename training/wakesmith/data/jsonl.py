"""JSONL manifests: export a dataset as one JSON object per clip; import clips listed that way.

Export writes every field of :class:`~wakesmith.data.schema.Clip` (``meta`` as an object) plus
``audio_path``, the absolute path of the clip's WAV in the store. Deleted clips are exported too,
with ``"deleted": true``.

Import needs, per line: ``label``, ``audio_path`` (absolute, or relative to the JSONL file's
folder) and ``dataset`` (unless given as an argument, which then overrides every line). Optional:
``source`` (default ``upload``), ``speaker``, ``text``, ``notes``, ``meta`` (object or JSON text),
``split``, ``deleted``. Other keys (``id``, ``content_hash``, levels…) are recomputed from the audio.
Every line is checked (JSON, fields, audio header) before anything is stored, so a malformed line
refuses the whole file with its line number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from wakesmith.audio.io import probe, read_audio
from wakesmith.data.schema import (
    Clip,
    NewClip,
    check_dataset,
    check_label,
    check_source,
    check_split,
    unknown_dataset,
)
from wakesmith.errors import AudioError, DatasetError
from wakesmith.fsio import atomic_path

if TYPE_CHECKING:
    from wakesmith.data.store import ClipStore

DEFAULT_SOURCE = "upload"
TEXT_FIELDS = ("speaker", "text", "notes")
BATCH = 256


@dataclass
class _Line:
    number: int
    audio_path: Path
    clip: NewClip


def export_jsonl(store: ClipStore, dataset: str, path: Path) -> int:
    """Write ``dataset`` (deleted clips included) to ``path`` atomically; returns the number of clips."""
    clips = store.clips(dataset, include_deleted=True)
    if not clips:
        raise unknown_dataset(dataset, list(store.datasets()))
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for clip in clips:
            row = clip.to_dict()
            row["audio_path"] = str(store.audio_path(clip).resolve())
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return len(clips)


def _field(row: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    value = row.get(name, default)
    if not isinstance(value, kind):
        raise ValueError(f"{name!r} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _parse(number: int, text: str, base: Path, dataset: str | None) -> _Line:
    try:
        row = json.loads(text)
        if not isinstance(row, dict):
            raise ValueError("expected a JSON object {…}")
        for required in ("label", "audio_path", *(() if dataset else ("dataset",))):
            if required not in row:
                raise ValueError(f"missing {required!r}")
        meta = row.get("meta") or {}
        meta = json.loads(meta) if isinstance(meta, str) else meta
        if not isinstance(meta, dict):
            raise ValueError("'meta' must be an object")
        clip = NewClip(
            dataset=check_dataset(dataset or _field(row, "dataset", str, "")),
            label=check_label(_field(row, "label", str, "")),
            source=check_source(_field(row, "source", str, DEFAULT_SOURCE)),
            split=check_split(row.get("split")),
            deleted=_field(row, "deleted", bool, False),
            meta=meta,
            **{name: _field(row, name, str, "") for name in TEXT_FIELDS},
        )
        audio_path = Path(_field(row, "audio_path", str, ""))
    except (ValueError, DatasetError) as exc:  # json.JSONDecodeError is a ValueError
        raise DatasetError(f"Line {number} is malformed: {exc}. Fix the line and import again.") from None
    return _Line(number, audio_path if audio_path.is_absolute() else base / audio_path, clip)


def _lines(path: Path, dataset: str | None) -> Iterator[_Line]:
    with open(path, encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if text.strip():
                yield _parse(number, text, path.parent, dataset)


def _audio_error(line: _Line, exc: AudioError) -> DatasetError:
    return DatasetError(f"Line {line.number}: {exc}")


def import_jsonl(store: ClipStore, path: Path, *, dataset: str | None = None) -> int:
    """Copy the clips listed in ``path`` into the store; returns how many were new (duplicates skip)."""
    if not path.is_file():
        raise DatasetError(f"JSONL file {str(path)!r} does not exist; check the path.")
    lines = list(_lines(path, dataset))
    for line in lines:  # headers only: cheap, and refuses the whole file before anything is stored
        try:
            probe(line.audio_path)
        except AudioError as exc:
            raise _audio_error(line, exc) from None
    count = select(func.count()).select_from(Clip)
    with store.session() as s:
        before = s.scalar(count) or 0
    for start in range(0, len(lines), BATCH):
        batch = []
        for line in lines[start : start + BATCH]:
            try:
                line.clip.audio = read_audio(line.audio_path)
            except AudioError as exc:
                raise _audio_error(line, exc) from None
            batch.append(line.clip)
        store.add_many(batch)
    with store.session() as s:
        return (s.scalar(count) or 0) - before
