"""Level measurements of a clip: RMS, peak, clipping and an SNR estimate. Pure functions.

Conventions:

* dBFS is relative to digital full scale (1.0): a full-scale sine has a peak of 0 dBFS and an RMS of
  −3.01 dBFS. Digital silence is reported as :data:`SILENCE_DBFS` rather than −inf, so every value is
  a finite float that sorts and serializes.
* Clipping: the fraction of samples whose magnitude reaches :data:`CLIP_LEVEL` (within 0.01 dB of
  full scale), where a clipped recording flat-tops.
* SNR (``snr_db``): the clip is cut into non-overlapping :data:`SNR_FRAME_S` (30 ms) frames; the
  mean power of each frame is taken; the SNR is ``10·log10(P90 / P10)`` of those frame powers, i.e.
  the loudest 10 % of frames (speech) against the quietest 10 % (the noise floor in the pauses).
  This needs pauses to mean anything: a wake-word clip with a little lead-in and tail reads as its
  true SNR, while a clip that is all noise or one steady tone reads near 0 dB. Powers are floored
  at :data:`POWER_FLOOR` so digital silence in the pauses gives a large finite value capped at
  :data:`MAX_SNR_DB`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from wakesmith.config import SAMPLE_RATE

SILENCE_DBFS = -120.0
"""Level reported for digital silence (below anything 16-bit audio can represent, about −98 dBFS)."""

CLIP_LEVEL = 0.999
"""|sample| at or above this (−0.009 dBFS) counts as clipped."""

SNR_FRAME_S = 0.030
SNR_LOUD_PERCENTILE = 90.0
SNR_QUIET_PERCENTILE = 10.0
POWER_FLOOR = 1e-12
"""Frame power floor (−120 dB), so silent pauses do not divide by zero."""

MAX_SNR_DB = 100.0


@dataclass(frozen=True)
class LevelStats:
    """Levels of one clip; see the module docstring for the definitions."""

    rms_dbfs: float
    peak_dbfs: float
    clipping_fraction: float
    snr_db: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def amplitude_dbfs(value: float) -> float:
    """An amplitude (RMS or peak, full scale = 1.0) in dBFS, with silence at :data:`SILENCE_DBFS`."""
    if value <= 0.0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 20.0 * math.log10(value))


def frame_powers(
    audio: np.ndarray, *, frame_s: float = SNR_FRAME_S, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Mean power of each full, non-overlapping frame (the whole clip as one frame if it is shorter)."""
    x = np.asarray(audio, dtype=np.float64)
    size = max(1, round(frame_s * sample_rate))
    n = len(x) // size
    if n == 0:
        return np.array([float(np.mean(x**2))]) if len(x) else np.zeros(1)
    return np.mean(x[: n * size].reshape(n, size) ** 2, axis=1)


def _percentile(ordered: np.ndarray, q: float) -> float:
    # np.percentile's default (linear) method; inlined because its overhead dominates on ~30 values.
    pos = q / 100.0 * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


def snr_db(audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> float:
    """Estimated SNR: loud-frame power (90th percentile) over quiet-frame power (10th), in dB."""
    powers = np.sort(np.maximum(frame_powers(audio, sample_rate=sample_rate), POWER_FLOOR))
    loud = _percentile(powers, SNR_LOUD_PERCENTILE)
    quiet = _percentile(powers, SNR_QUIET_PERCENTILE)
    return min(MAX_SNR_DB, 10.0 * math.log10(loud / quiet))


def level_stats(audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> LevelStats:
    """RMS and peak in dBFS, the clipped-sample fraction and the SNR estimate of a float clip."""
    x = np.asarray(audio, dtype=np.float64)
    if x.size == 0:
        return LevelStats(SILENCE_DBFS, SILENCE_DBFS, 0.0, 0.0)
    magnitude = np.abs(x)
    return LevelStats(
        rms_dbfs=amplitude_dbfs(float(np.sqrt(np.mean(x**2)))),
        peak_dbfs=amplitude_dbfs(float(magnitude.max())),
        clipping_fraction=float(np.mean(magnitude >= CLIP_LEVEL)),
        snr_db=snr_db(x, sample_rate=sample_rate),
    )
