"""Wake-word metrics: false accepts per hour, false-reject rate, DET curves, operating points.

Pure functions over model scores. Every count of detections goes through
:mod:`wakesmith.runtime.detector` (smoothing, hysteresis, cooldown), so the numbers here are the
numbers a live runtime with the same :class:`~wakesmith.config.DetectorConfig` would produce.

- A **false accept** is a detection on a negative stream (speech, confusables, background).
- A **positive clip is detected** at threshold ``t`` if the detector fires anywhere in its scores.
  A fresh detector starts armed with no cooldown, so that is exactly "max smoothed score >= t".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wakesmith.config import DetectorConfig
from wakesmith.errors import DatasetError
from wakesmith.runtime.detector import detect, detections_for_thresholds, smooth_scores

SECONDS_PER_HOUR = 3600.0
GRID_STEP = 0.005
"""Spacing of the default linear threshold grid on [0, 1]."""
NEAR_ONE_DECADES = (2, 6)
"""The default grid adds 1 - 10^-x for x from 2 to 6 in steps of 0.1 (0.99, 0.9921, … 0.999999):
well-trained models separate up there, where a linear grid has a couple of points at most."""
NEAR_ONE_PER_DECADE = 10


def default_thresholds() -> np.ndarray:
    """0, 0.005, …, 1 plus ten points per decade of 1 - t from 0.99 to 0.999999 (sorted, unique).

    Well-trained models push confusable speech to 0.99 and beyond, where a linear grid has only a
    couple of points; the extra near-one points keep low FA/h targets reachable and calibrated
    thresholds close to the FA/h they promise.
    """
    linear = np.round(np.arange(0.0, 1.0 + GRID_STEP / 2, GRID_STEP), 6)
    first, last = NEAR_ONE_DECADES
    exponents = np.linspace(first, last, (last - first) * NEAR_ONE_PER_DECADE + 1)
    near_one = np.round(1.0 - 10.0**-exponents, 9)
    return np.unique(np.concatenate([linear, near_one]))


def fa_per_hour(n_false_accepts: float, hours: float) -> float:
    """False accepts per hour of negative audio."""
    if hours <= 0:
        raise DatasetError(
            f"Cannot measure false accepts per hour on {hours} hours of negative audio; "
            "add negative speech or background clips to the test split."
        )
    return float(n_false_accepts) / hours


def count_false_accepts(
    scores: np.ndarray, cfg: DetectorConfig, step_s: float, threshold: float | None = None
) -> int:
    """Detections on a negative stream at ``threshold`` (default: ``cfg.threshold``)."""
    if threshold is not None:
        cfg = cfg.model_copy(update={"threshold": threshold})
    return len(detect(scores, cfg, step_s))


def _positives(positive_detected: np.ndarray) -> np.ndarray:
    arr = np.asarray(positive_detected, dtype=bool)
    if arr.size == 0:
        raise DatasetError(
            "No positive test clips to measure recall on; add wake-word clips to the test split."
        )
    return arr


def recall(positive_detected: np.ndarray) -> float:
    """Fraction of positive clips detected."""
    return float(_positives(positive_detected).mean())


def frr(positive_detected: np.ndarray) -> float:
    """False-reject rate: fraction of positive clips missed (1 - recall)."""
    return 1.0 - recall(positive_detected)


def clip_max_scores(clip_scores: Sequence[np.ndarray], cfg: DetectorConfig) -> np.ndarray:
    """Max smoothed score of each clip (-inf for an empty clip, which can never fire)."""
    return np.array(
        [float(smooth_scores(s, cfg.smoothing_window).max()) if len(s) else -np.inf for s in clip_scores],
        dtype=np.float64,
    )


def clip_detected_for_thresholds(
    clip_scores: Sequence[np.ndarray], thresholds: np.ndarray, cfg: DetectorConfig, step_s: float
) -> np.ndarray:
    """``bool[n_clips, n_thresholds]``: whether a fresh detector fires anywhere in each clip.

    A fresh detector is armed and has no cooldown to wait for, so it fires on a clip iff the clip's
    max smoothed score reaches the threshold; hysteresis and cooldown only shape *later* detections.
    ``step_s`` is unused by that rule and kept for symmetry with the stream functions.
    """
    peaks = clip_max_scores(clip_scores, cfg)
    return peaks[:, np.newaxis] >= np.asarray(thresholds, dtype=np.float64)[np.newaxis, :]


def stream_window_max(scores: np.ndarray, window_steps: int, cfg: DetectorConfig) -> np.ndarray:
    """Max smoothed score of each non-overlapping window of a negative stream.

    Comparable with :func:`clip_max_scores` of positive clips of the same length, for EER and
    score histograms. A final partial window is dropped.
    """
    smoothed = smooth_scores(scores, cfg.smoothing_window)
    n = len(smoothed) // max(1, window_steps)
    return smoothed[: n * window_steps].reshape(n, window_steps).max(axis=1) if n else np.zeros(0)


@dataclass(frozen=True)
class DetCurve:
    """Detection-error trade-off: FA/h on negative streams and FRR on positive clips, per threshold."""

    thresholds: np.ndarray
    fa_per_hour: np.ndarray
    frr: np.ndarray
    neg_hours: float
    n_positives: int

    @property
    def recall(self) -> np.ndarray:
        return 1.0 - self.frr


@dataclass(frozen=True)
class OperatingPoint:
    """A threshold chosen for a false-accept budget, with what it measured."""

    target_fa_per_hour: float
    threshold: float
    fa_per_hour: float
    recall: float
    frr: float
    met: bool
    """False when no threshold of the curve meets the target (the strictest one is reported)."""


def det_curve(
    pos_clip_scores: Sequence[np.ndarray],
    neg_stream_scores: Sequence[np.ndarray],
    neg_hours: float | None,
    cfg: DetectorConfig,
    step_s: float,
    thresholds: np.ndarray | None = None,
) -> DetCurve:
    """DET curve over ``thresholds`` (default :func:`default_thresholds`), ascending.

    ``neg_hours`` is the duration of the negative streams; ``None`` derives it from their lengths.
    False accepts are summed over all negative streams (each starts a fresh detector).
    """
    thr = np.sort(np.asarray(default_thresholds() if thresholds is None else thresholds, dtype=np.float64))
    if neg_hours is None:
        neg_hours = sum(len(s) for s in neg_stream_scores) * step_s / SECONDS_PER_HOUR
    counts = np.zeros(len(thr), dtype=np.int64)
    for stream in neg_stream_scores:
        counts += detections_for_thresholds(stream, thr, cfg, step_s)
    fa = np.array([fa_per_hour(c, neg_hours) for c in counts.tolist()], dtype=np.float64)
    detected = clip_detected_for_thresholds(pos_clip_scores, thr, cfg, step_s)
    miss = 1.0 - _positives(detected).mean(axis=0)
    return DetCurve(thr, fa, miss, float(neg_hours), len(pos_clip_scores))


def threshold_for_fa_per_hour(curve: DetCurve, target: float) -> OperatingPoint:
    """The lowest threshold within ``target`` FA/h whose stricter neighbours are all within it too.

    Recall only falls as the threshold rises, so the lowest qualifying threshold gives the highest
    recall the budget allows. FA/h, however, is not monotone in the threshold: at very low
    thresholds the smoothed score never drops below ``threshold - hysteresis``, the detector never
    re-arms and counts a single detection per stream; cooldowns add small bumps elsewhere. Taking
    the threshold just above the highest one that breaks the budget skips those pockets, so a
    slightly stricter setting can never do worse than the target. If even the strictest threshold
    breaks the budget, it is returned with ``met=False``.
    """
    order = np.argsort(curve.thresholds, kind="stable")
    over = np.flatnonzero(curve.fa_per_hour[order] > target)
    first_safe = int(over[-1]) + 1 if len(over) else 0
    met = first_safe < len(order)
    k = int(order[first_safe if met else -1])
    return OperatingPoint(
        target_fa_per_hour=float(target),
        threshold=float(curve.thresholds[k]),
        fa_per_hour=float(curve.fa_per_hour[k]),
        recall=float(curve.recall[k]),
        frr=float(curve.frr[k]),
        met=met,
    )


def recall_at_fa_per_hour(curve: DetCurve, target: float) -> float:
    """Recall at the operating point for ``target`` FA/h; 0.0 when no threshold meets the target."""
    point = threshold_for_fa_per_hour(curve, target)
    return point.recall if point.met else 0.0


def eer(pos_scores: np.ndarray, neg_scores: np.ndarray) -> float:
    """Clip-level equal error rate: where FRR (positives < t) equals FAR (negatives >= t).

    Both rates are evaluated at every distinct score (and above all of them); between the two
    thresholds where they cross, the EER is the intersection of the straight lines joining them.
    """
    pos = np.asarray(pos_scores, dtype=np.float64)
    neg = np.asarray(neg_scores, dtype=np.float64)
    if pos.size == 0 or neg.size == 0:
        raise DatasetError("The EER needs both positive and negative scores; one of the sets is empty.")
    cands = np.append(np.unique(np.concatenate([pos, neg])), np.inf)
    frr_t = np.searchsorted(np.sort(pos), cands, side="left") / pos.size
    far_t = 1.0 - np.searchsorted(np.sort(neg), cands, side="left") / neg.size
    k = int(np.flatnonzero(frr_t >= far_t)[0])  # exists: at +inf FRR = 1 >= FAR = 0
    if k == 0:
        return float((frr_t[0] + far_t[0]) / 2)
    before = far_t[k - 1] - frr_t[k - 1]  # > 0
    after = frr_t[k] - far_t[k]  # >= 0
    alpha = before / (before + after)
    return float(frr_t[k - 1] + alpha * (frr_t[k] - frr_t[k - 1]))


def pauc(curve: DetCurve, max_fa_per_hour: float) -> float:
    """Normalized area under recall vs FA/h on ``[0, max_fa_per_hour]``; 1.0 is perfect.

    At each FA/h budget ``x`` the recall is the best one among thresholds with FA/h <= ``x`` (0 if
    none); that step function is integrated exactly and divided by ``max_fa_per_hour``. A model
    that detects every positive with no false accept scores 1.0, one that needs more than the
    budget for any detection scores 0.0.
    """
    if max_fa_per_hour <= 0:
        raise ValueError(f"max_fa_per_hour must be positive, got {max_fa_per_hour}")
    order = np.argsort(curve.fa_per_hour, kind="stable")
    fa = curve.fa_per_hour[order]
    best = np.maximum.accumulate(curve.recall[order])  # best recall with FA/h <= fa[i]
    inside = fa < max_fa_per_hour
    starts = fa[inside]
    ends = np.append(starts[1:], max_fa_per_hour)
    return float(np.sum(best[inside] * (ends - starts)) / max_fa_per_hour)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """2×2 counts ``[[TN, FP], [FN, TP]]``: rows are the true label, columns the prediction."""
    t = np.asarray(y_true).astype(bool).reshape(-1)
    p = np.asarray(y_pred).astype(bool).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length ({t.size} vs {p.size})")
    return np.array([[np.sum(~t & ~p), np.sum(~t & p)], [np.sum(t & ~p), np.sum(t & p)]], dtype=np.int64)
