"""Import a Judge capture folder into a dataset: rejected triggers become hard negatives.

The Judge (:class:`wakesmith.judge.capture.CaptureFolder`) writes the folder; this module reads it.
Layout (the contract between the two; ``tests/judge/test_capture.py`` writes with one and reads with
the other)::

    <folder>/rejected/<stamp>_<satellite>_<n>.wav   a trigger the Judge rejected
    <folder>/rejected/<stamp>_<satellite>_<n>.json  satellite, model, score, sentry score, time
    <folder>/accepted/…                             accepted triggers, when the Judge keeps them

The reader lives with the dataset store (the trainer side) and the writer with the Judge, which runs
on the light install without the store's dependencies; each names the two folders itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wakesmith.errors import DatasetError, WakesmithError

if TYPE_CHECKING:
    from wakesmith.data.store import ClipStore

REJECTED = "rejected"
ACCEPTED = "accepted"


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_captures` did."""

    hard_negatives: int
    positives: int
    skipped: list[str]


def import_captures(
    store: ClipStore, folder: Path | str, dataset: str, *, include_accepted: bool = False
) -> ImportReport:
    """Add a capture folder's rejected triggers to ``dataset`` as ``hard_negative`` clips (source
    ``satellite``); with ``include_accepted``, accepted ones as ``positive``. Re-importing is harmless:
    the store keeps one row per sound. Unreadable files are skipped and named in the report."""
    folder = Path(folder)
    if not (folder / REJECTED).is_dir():
        raise DatasetError(f"{folder} is not a Judge capture folder (no {REJECTED}/ inside it).")
    counts = {"hard_negative": 0, "positive": 0}
    skipped: list[str] = []
    kinds = [(REJECTED, "hard_negative")] + ([(ACCEPTED, "positive")] if include_accepted else [])
    for sub, label in kinds:
        for wav in sorted((folder / sub).glob("*.wav")):
            meta = _read_meta(wav)
            try:
                store.add_file(
                    wav,
                    dataset=dataset,
                    label=label,
                    source="satellite",
                    speaker=str(meta.get("satellite", "")),
                    meta={"capture": meta},
                )
            except WakesmithError as exc:
                skipped.append(f"{wav.name}: {exc}")
                continue
            counts[label] += 1
    return ImportReport(counts["hard_negative"], counts["positive"], skipped)


def _read_meta(wav: Path) -> dict[str, Any]:
    side = wav.with_suffix(".json")
    try:
        value = json.loads(side.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
