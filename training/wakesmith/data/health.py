"""Dataset health: what a dataset holds and what is likely to hurt training, in plain warnings."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from wakesmith.data.schema import Label, Split, unknown_dataset

if TYPE_CHECKING:
    from wakesmith.data.store import ClipStore

MIN_POSITIVES = 50
"""Below this many positives a model cannot learn the many ways the phrase is said."""
MAX_NEGATIVES_PER_POSITIVE = 100
"""More negatives than this per positive and the positives drown (unless weighted)."""
CLIPPING_CLIP_FRACTION = 0.001
"""A clip 'is clipping' when more than 0.1 % of its samples sit at full scale."""
LOW_SNR_DB = 10.0
"""Positives whose median estimated SNR is below this are mostly noise."""
UNASSIGNED = "unassigned"
LEVEL_FIELDS = ("rms_dbfs", "peak_dbfs", "snr_db")
PERCENTILES = (10, 50, 90)
SECONDS_PER_MINUTE = 60.0


@dataclass
class Spread:
    """10th, 50th and 90th percentile of a level over the live clips."""

    p10: float
    median: float
    p90: float


@dataclass
class HealthReport:
    """Counts, minutes, levels and warnings of one dataset's live (not deleted) clips. JSON-able."""

    dataset: str
    clips: int
    deleted: int
    by_label: dict[str, int]
    by_split: dict[str, int]
    """Includes ``unassigned`` for clips without a split."""
    by_source: dict[str, int]
    minutes_by_label: dict[str, float]
    speakers: int
    levels: dict[str, Spread]
    """``rms_dbfs``, ``peak_dbfs``, ``snr_db`` → spread (empty when there are no clips)."""
    clipping_clips: int
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _spread(values: list[float]) -> Spread:
    p10, median, p90 = (float(v) for v in np.percentile(np.asarray(values, dtype=np.float64), PERCENTILES))
    return Spread(p10=round(p10, 2), median=round(median, 2), p90=round(p90, 2))


def dataset_health(store: ClipStore, dataset: str) -> HealthReport:
    """Measure a dataset. DatasetError if it has no clips at all (not even deleted ones)."""
    everything = store.clips(dataset, include_deleted=True)
    if not everything:
        raise unknown_dataset(dataset, list(store.datasets()))
    live = [c for c in everything if not c.deleted]
    by_label = Counter(c.label for c in live)
    split_counts = Counter(c.split or UNASSIGNED for c in live)
    by_split = {str(name): split_counts[str(name)] for name in Split}
    if split_counts[UNASSIGNED]:
        by_split[UNASSIGNED] = split_counts[UNASSIGNED]
    seconds: dict[str, float] = {}
    for c in live:
        seconds[c.label] = seconds.get(c.label, 0.0) + c.duration_s
    report = HealthReport(
        dataset=dataset,
        clips=len(live),
        deleted=len(everything) - len(live),
        by_label={label: by_label[label] for label in map(str, Label)},
        by_split=by_split,
        by_source=dict(sorted(Counter(c.source for c in live).items())),
        minutes_by_label={
            str(label): round(seconds.get(str(label), 0.0) / SECONDS_PER_MINUTE, 2) for label in Label
        },
        speakers=len({c.speaker.strip().casefold() for c in live if c.speaker.strip()}),
        levels={name: _spread([getattr(c, name) for c in live]) for name in LEVEL_FIELDS} if live else {},
        clipping_clips=sum(c.clipping_fraction > CLIPPING_CLIP_FRACTION for c in live),
    )
    report.warnings = _warnings(report, [c.snr_db for c in live if c.label == Label.POSITIVE])
    positives_per_split = Counter(c.split for c in live if c.label == Label.POSITIVE)
    for name in map(str, Split):
        if report.by_split[name] and not positives_per_split[name]:
            report.warnings.append(f"The {name} split has no positives; add speakers or clips and re-split.")
    return report


def _warnings(r: HealthReport, positive_snrs: list[float]) -> list[str]:
    out: list[str] = []
    if not r.clips:
        return [f"Dataset {r.dataset!r} has no live clips (all {r.deleted} are deleted)."]
    pos = r.by_label[Label.POSITIVE]
    neg = r.by_label[Label.NEGATIVE] + r.by_label[Label.HARD_NEGATIVE]
    if pos < MIN_POSITIVES:
        out.append(f"Only {pos} positives (fewer than {MIN_POSITIVES}); synthesize, record or upload more.")
    if pos and neg < pos:
        out.append(
            f"Positives/negatives imbalance: {neg} negatives for {pos} positives; the model will fire too "
            "easily. Add negative speech and hard negatives."
        )
    elif pos and neg > MAX_NEGATIVES_PER_POSITIVE * pos:
        out.append(
            f"Positives/negatives imbalance: {neg} negatives for {pos} positives (over "
            f"{MAX_NEGATIVES_PER_POSITIVE}:1); add positives or raise their weight."
        )
    elif not pos:
        out.append("No positives: add clips of the wake phrase.")
    if not r.by_label[Label.BACKGROUND]:
        out.append("No background clips: add room noise (label 'background') for noise augmentation.")
    if r.clipping_clips:
        out.append(
            f"{r.clipping_clips} clips are clipping (distorted at full scale); re-record them quieter."
        )
    if positive_snrs and float(np.median(positive_snrs)) < LOW_SNR_DB:
        out.append(f"Positives are noisy (median SNR {np.median(positive_snrs):.1f} dB < {LOW_SNR_DB:g} dB).")
    unassigned = r.by_split.get(UNASSIGNED, 0)
    if unassigned:
        out.append(f"{unassigned} clips have no split; run `wakesmith dataset split {r.dataset}`.")
    empty = [name for name in map(str, Split) if not r.by_split[name]]
    if empty and len(empty) < len(Split):  # all empty means nothing is split yet: warned above
        out.append(
            f"A split is empty ({', '.join(empty)}); add clips from more speakers or change the split ratios."
        )
    return out
