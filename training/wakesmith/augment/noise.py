"""Noise generation and mixing at a signal-to-noise ratio.

The SNR is measured against the *active* part of the clip (10 ms frames within 40 dB of the loudest
one), not its mean over the whole window: a training window holds a short phrase in silence, and how
much silence surrounds it should not change how loud the noise is relative to the speech.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from wakesmith.config import SAMPLE_RATE

POWER_FRAME = SAMPLE_RATE // 100
"""10 ms frames for measuring the active signal power."""
ACTIVE_RANGE_DB = 40.0
"""Frames this far below the loudest frame count as silence, not signal."""
MIN_REFERENCE_DBFS = -50.0
"""Reference power for (near-)silent clips, so a silent negative still gets audible, bounded noise."""


def active_power(audio: np.ndarray) -> float:
    """Mean square of the clip's active 10 ms frames (the whole clip when shorter than a frame)."""
    n_frames = len(audio) // POWER_FRAME
    if n_frames == 0:
        return float(np.mean(np.square(audio, dtype=np.float64))) if len(audio) else 0.0
    frames = audio[: n_frames * POWER_FRAME].reshape(n_frames, POWER_FRAME).astype(np.float64)
    energies = np.mean(frames**2, axis=1)
    active = energies[energies >= energies.max() * 10 ** (-ACTIVE_RANGE_DB / 10)]
    return float(active.mean())


def colored_noise(n: int, exponent: float, *, seed: int) -> np.ndarray:
    """``n`` samples of unit-RMS noise with power spectrum ∝ 1/f^exponent (0 white, 1 pink, 2 brown)."""
    rng = np.random.default_rng(seed)
    size = scipy.fft.next_fast_len(max(n, 2), real=True)
    bins = size // 2 + 1
    # White Gaussian noise has an i.i.d. complex Gaussian spectrum: draw that directly (one FFT, not two).
    spectrum = rng.standard_normal(2 * bins, dtype=np.float32).view(np.complex64)
    shape = np.zeros(bins, dtype=np.float32)
    shape[1:] = np.arange(1, bins, dtype=np.float32) ** np.float32(-exponent / 2.0)  # no DC
    noise = scipy.fft.irfft(spectrum * shape, n=size)[:n]
    rms = np.sqrt(np.mean(np.square(noise, dtype=np.float64)))
    return (noise / rms).astype(np.float32) if rms > 0 else noise.astype(np.float32)


def loop_segment(source: np.ndarray, offset: int, n: int) -> np.ndarray:
    """``n`` samples of ``source`` from ``offset``, wrapping around (short backgrounds are looped)."""
    if offset + n <= len(source):
        return source[offset : offset + n]
    return source[(offset + np.arange(n)) % len(source)]


def mix_at_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``signal + k * noise`` with ``k`` chosen so active signal power / noise power = ``snr_db``.

    The noise power is that of the very segment mixed in, so the SNR is exact; a silent noise segment
    leaves the signal unchanged.
    """
    noise_power = float(np.mean(np.square(noise, dtype=np.float64)))
    if noise_power <= 0.0:
        return signal
    reference = max(active_power(signal), 10 ** (MIN_REFERENCE_DBFS / 10))
    scale = np.sqrt(reference / (noise_power * 10 ** (snr_db / 10)))
    return (signal + scale * noise).astype(np.float32)
