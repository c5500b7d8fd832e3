"""The one definition of "a detection": from a stream of model scores to wake events.

Every live runtime (sentry stream, Judge) and every evaluation counts detections with this module,
so a false accept in the evaluation report is exactly a false accept on the device.

Semantics, applied to scores (probabilities in [0, 1]) that arrive one per ``step_s`` seconds:

1. **Smoothing** — a causal moving average over the last ``smoothing_window`` scores. At the start
   of a stream (or after :meth:`Detector.reset`) fewer scores exist; the average is taken over those
   that do (the first smoothed value is the first score itself), so a stream can fire from its
   first step.
2. **Hysteresis** — the detector starts *armed*. It fires when the smoothed score is
   ``>= threshold`` while armed, then disarms; it re-arms once the smoothed score falls
   ``< threshold - hysteresis``. One burst of high scores is one detection.
3. **Cooldown** — no detection within ``cooldown_s`` of the previous one (a refractory period,
   counted in whole steps: ``ceil(cooldown_s / step_s)``). Arming and cooldown are independent:
   an armed detector whose score rises during the cooldown fires at the first step after it, if
   the score is still high.

A detection is reported at the step where it fires, with the smoothed score at that step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wakesmith.config import DetectorConfig
from wakesmith.errors import ConfigError

_STEP_ROUNDING = 1e-9
"""Cooldown / step ratios this close to an integer count as that integer (0.3 / 0.1 is 2.9999…)."""

_SEARCH_DETECTIONS = 48
"""In :func:`detections_for_thresholds`, detections counted by binary search before the O(N)
next-index tables are built: few detections (the usual case at useful thresholds) stay cheap, many
detections (low thresholds, noisy models) get O(1) jumps."""


@dataclass(frozen=True)
class Detection:
    """One wake event: the step index in the stream, its time and the smoothed score that fired."""

    step: int
    time_s: float
    score: float


def _check(cfg: DetectorConfig, step_s: float) -> None:
    if step_s <= 0:
        raise ConfigError(f"The detector step must be positive seconds (got {step_s}).")
    if cfg.smoothing_window < 1:
        raise ConfigError(f"detector.smoothing_window must be at least 1 (got {cfg.smoothing_window}).")
    if cfg.hysteresis < 0:
        raise ConfigError(f"detector.hysteresis must be >= 0 (got {cfg.hysteresis}); use 0 to disable it.")
    if cfg.cooldown_s < 0:
        raise ConfigError(f"detector.cooldown_s must be >= 0 (got {cfg.cooldown_s}); use 0 to disable it.")


def cooldown_steps(cooldown_s: float, step_s: float) -> int:
    """The cooldown in whole steps: a second detection needs ``step - last_step >= cooldown_steps``."""
    return max(0, math.ceil(cooldown_s / step_s - _STEP_ROUNDING))


def _as_scores(scores: np.ndarray) -> np.ndarray:
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"scores must be a 1-D array of per-step probabilities, got shape {arr.shape}")
    return arr


def _smooth_after(history: np.ndarray, scores: np.ndarray, window: int, first_index: int) -> np.ndarray:
    """Smoothed values of ``scores``, given the ``window - 1`` raw scores before them.

    ``history`` holds zeros where the stream had not started; ``first_index`` is the stream index of
    ``scores[0]`` and fixes the divisor (how many real scores each window holds). Each window is
    summed oldest-first, the same for every chunking of the stream, so streaming == batch bit for bit.
    """
    n = len(scores)
    values = np.concatenate([history, scores])
    acc = np.zeros(n)
    for k in range(window):
        acc += values[k : k + n]
    counts = np.minimum(np.arange(first_index + 1, first_index + n + 1), window)
    return acc / counts


def smooth_scores(scores: np.ndarray, window: int) -> np.ndarray:
    """Causal moving average of a whole stream, exactly as :class:`Detector` computes it."""
    if window < 1:
        raise ConfigError(f"detector.smoothing_window must be at least 1 (got {window}).")
    return _smooth_after(np.zeros(window - 1), _as_scores(scores), window, 0)


class Detector:
    """Streaming detector: push scores in chunks of any size, get the detections they complete.

    ``offset_s`` is the stream time of score 0 (for example the end of the model's first window),
    so ``Detection.time_s = offset_s + step * step_s``.
    """

    def __init__(self, cfg: DetectorConfig, step_s: float, offset_s: float = 0.0) -> None:
        _check(cfg, step_s)
        self.cfg = cfg
        self.step_s = step_s
        self.offset_s = offset_s
        self._cooldown = cooldown_steps(cfg.cooldown_s, step_s)
        self.reset()

    def reset(self) -> None:
        """Forget all history: the next score is step 0 of a fresh stream, armed, with no cooldown."""
        self._history = np.zeros(self.cfg.smoothing_window - 1)
        self._steps = 0
        self._armed = True
        self._last_step: int | None = None

    @property
    def steps(self) -> int:
        """Scores consumed since construction or the last :meth:`reset`."""
        return self._steps

    def push(self, scores: np.ndarray) -> list[Detection]:
        """Consume the next scores of the stream; return the detections that fire among them."""
        chunk = _as_scores(scores)
        if len(chunk) == 0:
            return []
        window = self.cfg.smoothing_window
        smoothed = _smooth_after(self._history, chunk, window, self._steps)
        if window > 1:
            self._history = np.concatenate([self._history, chunk])[-(window - 1) :]
        threshold = self.cfg.threshold
        rearm = threshold - self.cfg.hysteresis
        found: list[Detection] = []
        # A plain per-step loop on purpose: it is the reference semantics that the vectorized
        # detections_for_thresholds is tested against. Live chunks are a few scores long.
        for offset, value in enumerate(smoothed.tolist()):
            step = self._steps + offset
            if not self._armed and value < rearm:
                self._armed = True
            if (
                self._armed
                and value >= threshold
                and (self._last_step is None or step - self._last_step >= self._cooldown)
            ):
                found.append(Detection(step, self.offset_s + step * self.step_s, value))
                self._armed = False
                self._last_step = step
        self._steps += len(chunk)
        return found


def detect(scores: np.ndarray, cfg: DetectorConfig, step_s: float, offset_s: float = 0.0) -> list[Detection]:
    """All detections in a whole score stream (a fresh :class:`Detector`; pure)."""
    return Detector(cfg, step_s, offset_s).push(scores)


def _next_index_table(indices: np.ndarray, n: int) -> np.ndarray:
    """``table[p]`` = the first element of sorted ``indices`` that is ``>= p`` (``n`` if none), p in 0..n."""
    return np.repeat(np.append(indices, n), np.diff(indices, prepend=-1, append=n))


def _count_detections(smoothed: np.ndarray, threshold: float, rearm: float, cooldown: int) -> int:
    """Number of detections of the state machine in :class:`Detector`, jumping between candidates.

    After a detection at ``i`` the next one is the first step ``>= max(j, i + cooldown)`` with a
    score ``>= threshold``, where ``j`` is the first step after ``i`` with a score ``< rearm``.
    """
    n = len(smoothed)
    above = np.flatnonzero(smoothed >= threshold)
    if len(above) == 0:
        return 0
    below = np.flatnonzero(smoothed < rearm)
    i = int(above[0])
    count = 1
    while count < _SEARCH_DETECTIONS:
        k = int(np.searchsorted(below, i + 1))
        if k >= len(below):
            return count
        k = int(np.searchsorted(above, max(int(below[k]), i + cooldown)))
        if k >= len(above):
            return count
        i = int(above[k])
        count += 1
    next_above = _next_index_table(above, n)
    next_below = _next_index_table(below, n)
    while True:
        j = int(next_below[i + 1])
        start = max(j, i + cooldown)
        if start >= n:
            return count
        i = int(next_above[start])
        if i >= n:
            return count
        count += 1


def detections_for_thresholds(
    scores: np.ndarray, thresholds: np.ndarray, cfg: DetectorConfig, step_s: float
) -> np.ndarray:
    """``len(detect(scores, cfg with threshold=t, step_s))`` for every ``t`` in ``thresholds``, fast.

    Smoothing is computed once; each threshold then jumps from detection to detection instead of
    walking every step, so an hour of 30 ms scores at 200 thresholds takes a fraction of a second.
    ``cfg.threshold`` is ignored; the hysteresis and cooldown of ``cfg`` apply to every threshold.
    """
    _check(cfg, step_s)
    smoothed = smooth_scores(scores, cfg.smoothing_window)
    thr = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    counts = np.zeros(len(thr), dtype=np.int64)
    if len(smoothed) == 0:
        return counts
    # NaN scores never fire (every comparison is False), so they must not hide the real peak.
    peak = float(np.max(smoothed, initial=-np.inf, where=~np.isnan(smoothed)))
    cooldown = cooldown_steps(cfg.cooldown_s, step_s)
    for k, t in enumerate(thr.tolist()):
        if t <= peak:  # thresholds above the peak never fire: skip their O(N) work
            counts[k] = _count_detections(smoothed, t, t - cfg.hysteresis, cooldown)
    return counts
