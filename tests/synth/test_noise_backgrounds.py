"""Synthetic backgrounds: spectral shape, level, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, ConfigError
from wakesmith.synth import backgrounds as bg

SLOPE_BAND_HZ = (50.0, 4000.0)


def _psd(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f, p = welch(x, fs=SAMPLE_RATE, nperseg=4096)
    return f, p


def _slope(x: np.ndarray) -> float:
    """Slope of log10 power against log10 frequency: 0 white, −1 pink, −2 brown."""
    f, p = _psd(x)
    band = (f >= SLOPE_BAND_HZ[0]) & (f <= SLOPE_BAND_HZ[1])
    return float(np.polyfit(np.log10(f[band]), np.log10(p[band]), 1)[0])


@pytest.mark.parametrize(
    ("colour", "slope"), [("white", 0.0), ("pink", -1.0), ("brown", -2.0), ("blue", 1.0)]
)
def test_coloured_noise_has_the_right_spectral_slope(colour: str, slope: float) -> None:
    x = bg.noise(colour, 10.0, seed=1, rms_db=-30)
    assert x.dtype == np.float32 and x.size == 10 * SAMPLE_RATE
    assert _slope(x) == pytest.approx(slope, abs=0.1)


@pytest.mark.parametrize("kind", ["white", "pink", "brown", "hum", "fan"])
def test_levels_and_determinism(kind: str) -> None:
    a = bg.make_background(kind, 3.0, seed=7, rms_db=-25)
    b = bg.make_background(kind, 3.0, seed=7, rms_db=-25)
    c = bg.make_background(kind, 3.0, seed=8, rms_db=-25)
    assert bg.rms_dbfs(a) == pytest.approx(-25, abs=0.2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.abs(a).max() <= bg.PEAK_LIMIT
    assert abs(float(np.mean(a))) < 1e-3  # no DC offset


def test_loud_request_is_limited_instead_of_clipping() -> None:
    x = bg.noise("white", 1.0, seed=0, rms_db=-3)
    assert np.abs(x).max() <= bg.PEAK_LIMIT
    assert bg.rms_dbfs(x) < -3  # scaled down to keep the peak below full scale


def test_hum_sits_on_the_mains_frequency_and_its_harmonics() -> None:
    x = bg.hum(4.0, seed=3, mains_hz=60.0)
    f, p = _psd(x)
    peak = f[np.argmax(p)]
    assert min(abs(peak - 60 * k) for k in range(1, 5)) < 5
    floor = np.median(p[(f > 1000) & (f < 4000)])
    assert p[np.argmin(abs(f - 60))] > 1e3 * floor


def test_fan_noise_is_low_frequency_heavy() -> None:
    f, p = _psd(bg.fan(5.0, seed=2))
    assert p[(f > 50) & (f < 500)].mean() > 30 * p[(f > 3000) & (f < 6000)].mean()


def test_babble_sums_several_talkers() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    clips = [(0.3 * np.sin(2 * np.pi * f0 * t) * (t < 0.7)).astype(np.float32) for f0 in (150, 220, 310)]
    x = bg.babble(clips, 5.0, seed=4, rms_db=-28)
    assert x.size == 5 * SAMPLE_RATE and bg.rms_dbfs(x) == pytest.approx(-28, abs=0.2)
    # Overlapping talkers fill the pauses: few 50 ms frames are silent.
    frames = x[: x.size // 800 * 800].reshape(-1, 800)
    assert np.mean(np.sqrt((frames**2).mean(axis=1)) < 1e-4) < 0.2
    assert np.array_equal(x, bg.babble(clips, 5.0, seed=4, rms_db=-28))


def test_bad_input() -> None:
    with pytest.raises(ConfigError, match="colour"):
        bg.noise("purple", 1.0, seed=0)
    with pytest.raises(ConfigError, match="kind"):
        bg.make_background("rain", 1.0, seed=0)
    with pytest.raises(ConfigError):
        bg.noise("white", 0.0, seed=0)
    with pytest.raises(AudioError):
        bg.babble([np.zeros(100, dtype=np.float32)], 1.0, seed=0)
