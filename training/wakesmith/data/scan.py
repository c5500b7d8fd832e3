"""Import a folder tree of audio; labels and speakers come from folder names.

Layout::

    my_clips/
      positive/              ← label folder (any depth below the scanned folder; see LABEL_ALIASES)
        alice/take1.wav      ← speaker "alice": the first folder below the label folder
        speaker_bob/x.flac   ← speaker "bob": a leading ``speaker_`` is dropped
        speaker_carol_3.wav  ← speaker "carol": file directly in the label folder, named speaker_<name>_…
        take7.wav            ← no speaker (split on its own)
        take7.txt            ← optional transcript of take7.wav (stored as the clip's text)
      noise/hum.wav          ← label "background"

The label is the *first* folder (from the top) whose name is a label or alias; the scanned folder's
own name counts too (scanning ``.../positive`` works). Names are compared case-insensitively with
``-`` and spaces read as ``_``. Speaker names with underscores need the folder form. Files in other
rates or stereo are converted; unreadable files are listed in the report with the reason; audio
files outside any label folder are listed as skipped. Hidden files and folders are ignored.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wakesmith.audio.io import probe, read_audio
from wakesmith.data.schema import NewClip, check_dataset, check_source
from wakesmith.errors import AudioError, DatasetError

if TYPE_CHECKING:
    from wakesmith.data.store import ClipStore

log = logging.getLogger(__name__)

LABEL_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ["positive", "positives", "pos", "wake", "wakeword", "wake_word", "keyword", "target"], "positive"
    ),
    **dict.fromkeys(
        ["negative", "negatives", "neg", "not_wake", "notwake", "non_wake", "other", "speech"], "negative"
    ),
    **dict.fromkeys(
        [
            "hard_negative",
            "hard_negatives",
            "hardneg",
            "confusable",
            "confusables",
            "false_accept",
            "false_accepts",
            "false_alarm",
            "false_alarms",
            "near_miss",
        ],
        "hard_negative",
    ),
    **dict.fromkeys(
        ["background", "backgrounds", "bg", "noise", "noises", "ambient", "silence"], "background"
    ),
}
"""Folder name (normalized) → label. Every label's own name is in here."""

AUDIO_SUFFIXES = frozenset(
    {
        ".wav",
        ".wave",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".aif",
        ".aiff",
        ".aifc",
        ".au",
        ".w64",
        ".caf",
        # not decodable here, but clearly meant as audio: reported as failed with a conversion hint
        ".m4a",
        ".aac",
        ".mp4",
        ".webm",
        ".wma",
        ".amr",
    }
)
SPEAKER_PREFIX = "speaker_"
TRANSCRIPT_SUFFIX = ".txt"
MAX_TRANSCRIPT_BYTES = 4096
BATCH = 256
"""Files decoded per store transaction: bounds memory, keeps each commit large enough to be fast."""


@dataclass
class ScanProblem:
    path: str
    reason: str


@dataclass
class ScanReport:
    """What a scan did. ``failed``: unreadable audio; ``skipped``: audio outside any label folder."""

    folder: str
    dataset: str
    added: int = 0
    duplicates: int = 0
    converted: int = 0
    """Files not already 16 kHz mono 16-bit PCM (resampled, mixed down or re-quantized)."""
    ignored: int = 0
    """Non-audio files (by suffix)."""
    by_label: dict[str, int] = field(default_factory=dict)
    """Readable files per label (added or duplicate)."""
    failed: list[ScanProblem] = field(default_factory=list)
    skipped: list[ScanProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def label_and_speaker(root: Path, file: Path) -> tuple[str, str] | None:
    """The (label, speaker) a file's place in the tree gives it, or None outside label folders."""
    folders = list(file.relative_to(root).parts[:-1])
    for i, name in enumerate(folders):
        if normalize(name) in LABEL_ALIASES:
            return LABEL_ALIASES[normalize(name)], _speaker(folders[i + 1 :], file.stem)
    if normalize(root.name) in LABEL_ALIASES:
        return LABEL_ALIASES[normalize(root.name)], _speaker(folders, file.stem)
    return None


def _speaker(below_label: list[str], stem: str) -> str:
    if below_label:
        name = below_label[0]
        return name[len(SPEAKER_PREFIX) :] if name.lower().startswith(SPEAKER_PREFIX) else name
    if stem.lower().startswith(SPEAKER_PREFIX):
        return stem[len(SPEAKER_PREFIX) :].split("_", 1)[0]
    return ""


def _transcript(file: Path) -> str:
    side = file.with_suffix(TRANSCRIPT_SUFFIX)
    if side.is_file() and side.stat().st_size <= MAX_TRANSCRIPT_BYTES:
        return side.read_text(encoding="utf-8", errors="replace").strip()
    return ""


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def scan_folder(store: ClipStore, root: Path, *, dataset: str, source: str = "scan") -> ScanReport:
    """Import every audio file below ``root`` into ``dataset`` (see the module docstring for the layout)."""
    check_dataset(dataset)
    source = check_source(source)
    if not root.is_dir():
        raise DatasetError(
            f"{str(root)!r} is not a folder; give the folder that holds positive/, negative/ …."
        )
    report = ScanReport(folder=str(root), dataset=dataset)
    before = store.datasets().get(dataset, 0)
    batch: list[NewClip] = []
    readable = 0
    for file in _files(root):
        if file.suffix.lower() not in AUDIO_SUFFIXES:
            report.ignored += int(file.suffix.lower() != TRANSCRIPT_SUFFIX)
            continue
        where = label_and_speaker(root, file)
        rel = file.relative_to(root).as_posix()
        if where is None:
            report.skipped.append(ScanProblem(rel, "not inside a label folder (positive/, negative/, …)"))
            continue
        label, speaker = where
        try:
            converted = not probe(file).is_contract
            audio = read_audio(file)
        except AudioError as exc:
            report.failed.append(ScanProblem(rel, str(exc)))
            continue
        readable += 1
        report.converted += int(converted)
        report.by_label[label] = report.by_label.get(label, 0) + 1
        meta = {"scan_path": rel}
        batch.append(
            NewClip(dataset, label, source, audio=audio, speaker=speaker, text=_transcript(file), meta=meta)
        )
        if len(batch) >= BATCH:
            store.add_many(batch)
            batch = []
    if batch:
        store.add_many(batch)
    report.added = store.datasets().get(dataset, 0) - before
    report.duplicates = readable - report.added
    log.info(
        "Scanned %s: %d added, %d duplicates, %d failed, %d skipped.",
        root,
        report.added,
        report.duplicates,
        len(report.failed),
        len(report.skipped),
    )
    return report
