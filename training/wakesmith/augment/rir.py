"""Synthetic room impulse responses, and the Schroeder measurement that checks them.

A synthetic RIR is a direct-path impulse, a few sparse early reflections (2–30 ms) and a diffuse tail
of Gaussian noise whose amplitude decays by 60 dB over ``rt60_s`` — the statistical model of a room
(Polack). It is cheap, needs no files, and is good enough to teach a detector that speech may be
reverberant; recorded RIRs can be passed to :class:`~wakesmith.augment.WaveAugment` instead.
"""

from __future__ import annotations

import numpy as np

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, ConfigError

DECAY_DB = 60.0
RIR_LENGTH_RT60 = 1.1
"""The response is cut a little after RT60, where the tail is already 66 dB down."""
EARLY_REFLECTIONS = 6
EARLY_WINDOW_S = (0.002, 0.030)
EARLY_GAIN = (1.5, 4.0)
"""Reflection amplitude relative to the tail envelope at its delay (a reflection is one sample)."""
DEFAULT_DRR_DB = 3.0
RT60_RANGE = (0.15, 0.8)
DRR_RANGE_DB = (-3.0, 9.0)
SCHROEDER_FIT_DB = (-5.0, -25.0)
"""T20: the decay is fitted between these energy-decay levels and extrapolated to 60 dB."""


def synthetic_rir(
    rt60_s: float,
    *,
    seed: int,
    sample_rate: int = SAMPLE_RATE,
    direct_to_reverb_db: float = DEFAULT_DRR_DB,
) -> np.ndarray:
    """A unit-energy float32 RIR with reverberation time ``rt60_s`` and the given direct/reverb ratio."""
    if not 0.01 <= rt60_s <= 10.0:
        raise ConfigError(f"rt60_s must be between 0.01 and 10 seconds, got {rt60_s}.")
    rng = np.random.default_rng(seed)
    n = int(np.ceil(rt60_s * RIR_LENGTH_RT60 * sample_rate))
    t = np.arange(n) / sample_rate
    # Amplitude envelope: energy falls by DECAY_DB over rt60_s, i.e. amplitude by DECAY_DB / 20.
    envelope = np.exp(-np.log(10.0) * (DECAY_DB / 20.0) * t / rt60_s)
    reverb = rng.standard_normal(n) * envelope
    reverb[0] = 0.0  # sample 0 is the direct path
    delays = rng.uniform(*EARLY_WINDOW_S, size=EARLY_REFLECTIONS)
    idx = np.minimum((delays * sample_rate).astype(int), n - 1)
    signs = rng.choice([-1.0, 1.0], size=EARLY_REFLECTIONS)
    reverb[idx] += signs * rng.uniform(*EARLY_GAIN, size=EARLY_REFLECTIONS) * envelope[idx]
    reverb_energy = float(np.sum(reverb**2))
    rir = reverb
    rir[0] = np.sqrt(reverb_energy * 10 ** (direct_to_reverb_db / 10))
    return (rir / np.sqrt(np.sum(rir**2))).astype(np.float32)


def make_rirs(
    n: int,
    seed: int,
    rt60_range: tuple[float, float] = RT60_RANGE,
    *,
    drr_db_range: tuple[float, float] = DRR_RANGE_DB,
    sample_rate: int = SAMPLE_RATE,
) -> list[np.ndarray]:
    """``n`` synthetic RIRs with RT60 and direct/reverb ratio drawn uniformly from the ranges."""
    rng = np.random.default_rng(seed)
    rt60s = rng.uniform(*rt60_range, size=n)
    drrs = rng.uniform(*drr_db_range, size=n)
    seeds = rng.integers(0, 2**31, size=n)
    return [
        synthetic_rir(float(r), seed=int(s), sample_rate=sample_rate, direct_to_reverb_db=float(d))
        for r, d, s in zip(rt60s, drrs, seeds, strict=True)
    ]


def schroeder_rt60(rir: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """RT60 measured by Schroeder backward integration (T20 fit, extrapolated to 60 dB)."""
    energy = np.asarray(rir, dtype=np.float64) ** 2
    edc = np.cumsum(energy[::-1])[::-1]
    edc_db = 10 * np.log10(np.maximum(edc / edc[0], 1e-30))
    hi, lo = SCHROEDER_FIT_DB
    fit = np.flatnonzero((edc_db <= hi) & (edc_db >= lo))
    if len(fit) < 2:
        raise AudioError(
            "The impulse response has no decay between -5 and -25 dB to fit (too short, or a lone "
            "impulse); cannot measure its RT60."
        )
    slope, _ = np.polyfit(fit / sample_rate, edc_db[fit], 1)
    return float(-DECAY_DB / slope)


def prepare_rir(rir: np.ndarray) -> np.ndarray:
    """A user RIR made ready for convolution: starts at its direct path (peak), unit energy, float32."""
    rir = np.asarray(rir, dtype=np.float64)
    if rir.ndim != 1 or len(rir) == 0 or not np.isfinite(rir).all() or not np.any(rir):
        raise AudioError(
            "A room impulse response must be a non-empty, finite, non-silent mono array; "
            f"got shape {rir.shape}."
        )
    # Dropping the samples before the peak removes the source-to-microphone delay, so reverberation
    # does not move the end of the phrase inside the training window.
    rir = rir[int(np.argmax(np.abs(rir))) :]
    return (rir / np.sqrt(np.sum(rir**2))).astype(np.float32)
