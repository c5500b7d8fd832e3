"""Synthetic backgrounds: coloured noise, mains hum, fan-like noise and babble.

Pure functions of their arguments and a seed. Each returns float32 mono audio at 16 kHz scaled to
an RMS level in dBFS (``rms_db``), so mixing code can reason in levels rather than raw amplitudes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, ConfigError

DEFAULT_RMS_DB = -30.0
PEAK_LIMIT = 0.99
"""Backgrounds are scaled down if needed so that no sample clips."""
MIN_FREQ_HZ = 20.0
"""Below this, 1/f shaping would blow up the DC end of the spectrum; it is held flat instead."""

NOISE_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0, "blue": -1.0}
"""Power spectral density ∝ 1/f^exponent."""

MAINS_HZ = (50.0, 60.0)
HUM_HARMONICS = 8
HUM_NOISE_DB = -25.0
"""Level of the noise floor under the hum, relative to the hum."""

FAN_CUTOFF_HZ = (250.0, 1200.0)
FAN_BLADE_HZ = (8.0, 40.0)
FAN_MODULATION_DEPTH = 0.15

BABBLE_TALKERS = (3, 7)


def _n_samples(seconds: float, sample_rate: int) -> int:
    n = round(seconds * sample_rate)
    if n <= 0:
        raise ConfigError(f"A background must last more than 0 s; got {seconds} s.")
    return n


def rms_dbfs(audio: np.ndarray) -> float:
    """RMS level in dB relative to full scale (a full-scale sine is −3 dBFS)."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    return 20.0 * np.log10(max(rms, 1e-10))


def scale_to_rms(audio: np.ndarray, rms_db: float) -> np.ndarray:
    """Scale to an RMS level in dBFS, then down further if the peak would clip."""
    current = rms_dbfs(audio)
    if current <= -200:
        raise AudioError("Cannot scale silent audio to a level.")
    out = audio.astype(np.float64) * 10 ** ((rms_db - current) / 20)
    peak = float(np.max(np.abs(out)))
    if peak > PEAK_LIMIT:
        out *= PEAK_LIMIT / peak
    return out.astype(np.float32)


def shaped_noise(
    seconds: float,
    *,
    seed: int,
    shape: Callable[[np.ndarray], np.ndarray],
    rms_db: float = DEFAULT_RMS_DB,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Gaussian white noise whose amplitude spectrum is multiplied by ``shape(freqs_hz)``."""
    n = _n_samples(seconds, sample_rate)
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, d=1.0 / sample_rate)
    spectrum *= shape(freqs)
    spectrum[0] = 0.0  # no DC offset
    return scale_to_rms(np.fft.irfft(spectrum, n=n), rms_db)


def coloured_noise(
    seconds: float,
    *,
    exponent: float,
    seed: int,
    rms_db: float = DEFAULT_RMS_DB,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Noise with power spectral density ∝ 1/f^exponent (0 white, 1 pink, 2 brown, −1 blue)."""
    return shaped_noise(
        seconds, seed=seed, rms_db=rms_db, sample_rate=sample_rate,
        shape=lambda f: np.maximum(f, MIN_FREQ_HZ) ** (-exponent / 2.0),
    )  # fmt: skip


def noise(colour: str, seconds: float, *, seed: int, rms_db: float = DEFAULT_RMS_DB) -> np.ndarray:
    """Named coloured noise: ``white``, ``pink``, ``brown`` or ``blue``."""
    if colour not in NOISE_EXPONENTS:
        raise ConfigError(f"Unknown noise colour {colour!r}; choose one of {', '.join(NOISE_EXPONENTS)}.")
    return coloured_noise(seconds, exponent=NOISE_EXPONENTS[colour], seed=seed, rms_db=rms_db)


def hum(
    seconds: float,
    *,
    seed: int,
    mains_hz: float | None = None,
    rms_db: float = DEFAULT_RMS_DB,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Mains hum: a 50 or 60 Hz fundamental with decaying harmonics (odd ones stronger, as from a
    transformer), random phases and a faint noise floor."""
    rng = np.random.default_rng(seed)
    n = _n_samples(seconds, sample_rate)
    f0 = float(mains_hz if mains_hz is not None else rng.choice(MAINS_HZ))
    t = np.arange(n) / sample_rate
    out = np.zeros(n)
    for k in range(1, HUM_HARMONICS + 1):
        if k * f0 >= sample_rate / 2:
            break
        amp = rng.uniform(0.3, 1.0) / k ** (0.7 if k % 2 else 1.4)
        out += amp * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    floor = coloured_noise(seconds, exponent=1.0, seed=seed + 1, rms_db=rms_dbfs(out) + HUM_NOISE_DB)
    return scale_to_rms(out + floor, rms_db)


def fan(
    seconds: float, *, seed: int, rms_db: float = DEFAULT_RMS_DB, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Fan-like noise: low-passed pink noise with a broad resonance and a slow blade-rate flutter."""
    rng = np.random.default_rng(seed)
    cutoff = rng.uniform(*FAN_CUTOFF_HZ)
    resonance = rng.uniform(0.5, 1.5) * cutoff

    def shape(f: np.ndarray) -> np.ndarray:
        lowpass = 1.0 / np.sqrt(1.0 + (f / cutoff) ** 4)
        bump = 1.0 + 1.5 * np.exp(-(((f - resonance) / (0.3 * resonance)) ** 2))
        return np.maximum(f, MIN_FREQ_HZ) ** -0.5 * lowpass * bump

    out = shaped_noise(seconds, seed=seed + 1, shape=shape, rms_db=rms_db, sample_rate=sample_rate)
    t = np.arange(out.size) / sample_rate
    flutter = 1.0 + FAN_MODULATION_DEPTH * np.sin(2 * np.pi * rng.uniform(*FAN_BLADE_HZ) * t)
    return scale_to_rms(out * flutter, rms_db)


def babble(
    clips: Sequence[np.ndarray],
    seconds: float,
    *,
    seed: int,
    talkers: tuple[int, int] = BABBLE_TALKERS,
    rms_db: float = DEFAULT_RMS_DB,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Several voices at once: each talker lays clips end to end (random pauses, random start),
    all talkers at equal level, summed."""
    usable = [c for c in clips if c.size and rms_dbfs(c) > -90]
    if not usable:
        raise AudioError("Babble needs at least one non-silent speech clip.")
    rng = np.random.default_rng(seed)
    n = _n_samples(seconds, sample_rate)
    out = np.zeros(n)
    for _ in range(int(rng.integers(talkers[0], talkers[1] + 1))):
        track = np.zeros(n)
        pos = -int(rng.integers(0, sample_rate))  # talkers are mid-sentence when the recording starts
        while pos < n:
            clip = usable[int(rng.integers(len(usable)))]
            clip = clip / max(float(np.sqrt(np.mean(np.square(clip, dtype=np.float64)))), 1e-6)
            lo, hi = max(pos, 0), min(pos + clip.size, n)
            if hi > lo:
                track[lo:hi] += clip[lo - pos : hi - pos]
            pos += clip.size + int(rng.uniform(0.05, 0.6) * sample_rate)
        out += track
    return scale_to_rms(out, rms_db)


BACKGROUND_KINDS = ("white", "pink", "brown", "hum", "fan", "babble")


def make_background(
    kind: str,
    seconds: float,
    *,
    seed: int,
    rms_db: float = DEFAULT_RMS_DB,
    speech: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """One background by kind name; ``babble`` needs ``speech`` clips."""
    if kind in NOISE_EXPONENTS:
        return noise(kind, seconds, seed=seed, rms_db=rms_db)
    if kind == "hum":
        return hum(seconds, seed=seed, rms_db=rms_db)
    if kind == "fan":
        return fan(seconds, seed=seed, rms_db=rms_db)
    if kind == "babble":
        return babble(speech, seconds, seed=seed, rms_db=rms_db)
    raise ConfigError(f"Unknown background kind {kind!r}; choose one of {', '.join(BACKGROUND_KINDS)}.")
