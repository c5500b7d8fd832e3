"""Deterministic train/val/test splits, grouped by speaker so no voice is in two splits.

Each group gets a bucket ``b ∈ [0, 1)`` from ``sha256(salt, dataset, group)``; the split is the ratio
interval ``b`` falls in (train first, then val, then test). The group is the clip's speaker (compared
case-insensitively), or the clip itself (``clip:<id>``) when the speaker is empty. Because the
bucket depends only on those strings, assigning again is idempotent and clips added later land in
the split their speaker already has.

The ratios and salt used are remembered per dataset (table ``split_policies``): calling
:func:`assign_splits` without them reuses the last ones, so a later default call never reshuffles a
dataset that was split with custom ratios. Few speakers give uneven splits (each speaker moves as a
whole); :mod:`wakesmith.data.health` warns when a split ends up empty.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from wakesmith.data.schema import Clip, Split, SplitPolicy, unknown_dataset
from wakesmith.errors import ConfigError

if TYPE_CHECKING:
    from wakesmith.data.store import ClipStore

Ratios = tuple[float, float, float]
DEFAULT_RATIOS: Ratios = (0.8, 0.1, 0.1)
SPLIT_ORDER = (Split.TRAIN, Split.VAL, Split.TEST)
BUCKET_BYTES = 8


def check_ratios(ratios: Ratios) -> Ratios:
    """Three finite, non-negative numbers with a positive train share, normalized to sum to 1."""
    values = tuple(float(r) for r in ratios)
    if (
        len(values) != len(SPLIT_ORDER)
        or not all(math.isfinite(r) and r >= 0 for r in values)
        or values[0] <= 0
    ):
        raise ConfigError(
            f"Split ratios {ratios!r} are not valid: give three non-negative numbers for train, val and test "
            "with train > 0, e.g. (0.8, 0.1, 0.1)."
        )
    total = sum(values)
    return (values[0] / total, values[1] / total, values[2] / total)


def group_key(clip_id: str, speaker: str) -> str:
    """What moves together between splits: the speaker, or the clip alone when it has none."""
    speaker = speaker.strip().casefold()
    return f"speaker:{speaker}" if speaker else f"clip:{clip_id}"


def bucket(dataset: str, group: str, salt: str = "") -> float:
    """A uniform, reproducible number in [0, 1) for one group of one dataset."""
    digest = hashlib.sha256(f"{salt}\x00{dataset}\x00{group}".encode()).digest()
    return int.from_bytes(digest[:BUCKET_BYTES], "big") / 2 ** (8 * BUCKET_BYTES)


def split_of(value: float, ratios: Ratios) -> str:
    """The split whose ratio interval holds ``value`` (ratios normalized)."""
    edge = 0.0
    for name, share in zip(SPLIT_ORDER, ratios, strict=True):
        edge += share
        if value < edge:
            return str(name)
    return str(SPLIT_ORDER[-1])  # value within rounding of 1.0


def assign_splits(
    store: ClipStore, dataset: str, *, ratios: Ratios | None = None, salt: str | None = None
) -> dict[str, int]:
    """Assign every clip of ``dataset`` (deleted ones too, so a restore keeps its split).

    ``ratios``/``salt`` default to the ones last used for this dataset, else (0.8, 0.1, 0.1) and "".
    Returns the number of live clips per split.
    """
    with store.session() as s, s.begin():
        rows = s.execute(
            select(Clip.id, Clip.speaker, Clip.split, Clip.deleted).where(Clip.dataset == dataset)
        ).all()
        if not rows:
            raise unknown_dataset(dataset, list(store.datasets()))
        policy = s.get(SplitPolicy, dataset)
        if policy is None:
            policy = SplitPolicy(dataset=dataset, train=0.0, val=0.0, test=0.0, salt="")
            s.add(policy)
            ratios = ratios or DEFAULT_RATIOS
        chosen = check_ratios(ratios or (policy.train, policy.val, policy.test))
        policy.train, policy.val, policy.test = chosen
        policy.salt = policy.salt if salt is None else salt
        counts: Counter[str] = Counter({str(name): 0 for name in SPLIT_ORDER})
        changes = []
        for clip_id, speaker, current, deleted in rows:
            new = split_of(bucket(dataset, group_key(clip_id, speaker), policy.salt), chosen)
            if new != current:
                changes.append({"id": clip_id, "split": new})
            if not deleted:
                counts[new] += 1
        if changes:
            s.execute(update(Clip), changes)
    return dict(counts)
