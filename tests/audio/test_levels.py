"""Level statistics on synthesized signals with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wakesmith.audio.levels import MAX_SNR_DB, SILENCE_DBFS, level_stats, snr_db

SR = 16_000


def sine(amp: float, seconds: float = 1.0, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def tone_in_noise(noise_rms: float, seed: int = 0) -> np.ndarray:
    """1 s of noise with a 0.5-amplitude tone in the middle half (the 'speech'), as in a wake-word clip."""
    rng = np.random.default_rng(seed)
    audio = noise_rms * rng.standard_normal(SR)
    audio[SR // 4 : 3 * SR // 4] += sine(0.5, 0.5)
    return audio.astype(np.float32)


def test_sine_levels_are_known():
    stats = level_stats(sine(0.5))
    assert stats.rms_dbfs == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.01)  # −9.03
    assert stats.peak_dbfs == pytest.approx(-6.02, abs=0.01)
    assert stats.clipping_fraction == 0.0


def test_silence_is_finite():
    stats = level_stats(np.zeros(SR, np.float32))
    assert (stats.rms_dbfs, stats.peak_dbfs, stats.clipping_fraction, stats.snr_db) == (
        SILENCE_DBFS,
        SILENCE_DBFS,
        0.0,
        0.0,
    )


def test_clipping_fraction_of_an_overdriven_sine():
    stats = level_stats(np.clip(sine(1.2), -1, 1))
    # samples at full scale where |sin| >= 0.999/1.2
    expected = 1 - 2 / math.pi * math.asin(0.999 / 1.2)
    assert stats.clipping_fraction == pytest.approx(expected, abs=0.01)
    assert stats.peak_dbfs == 0.0


def test_snr_of_tone_in_noise_matches_the_definition():
    # loud frames hold tone + noise power, quiet frames noise alone
    for noise_rms in (0.01, 0.003):
        expected = 10 * math.log10((0.125 + noise_rms**2) / noise_rms**2)
        assert snr_db(tone_in_noise(noise_rms)) == pytest.approx(expected, abs=1.0)


def test_snr_orders_clean_above_noisy_above_noise_only():
    clean, noisy = snr_db(tone_in_noise(0.003)), snr_db(tone_in_noise(0.05))
    noise_only = snr_db(np.random.default_rng(1).standard_normal(SR).astype(np.float32) * 0.1)
    assert clean > noisy + 20
    assert noisy > noise_only + 10
    assert noise_only < 2.0


def test_snr_with_digitally_silent_pauses_is_capped():
    audio = np.zeros(SR, np.float32)
    audio[SR // 4 : 3 * SR // 4] = sine(0.5, 0.5)
    assert snr_db(audio) == MAX_SNR_DB


def test_very_short_audio_does_not_fail():
    stats = level_stats(sine(0.5, seconds=0.01))
    assert stats.snr_db == 0.0 and stats.peak_dbfs < 0
