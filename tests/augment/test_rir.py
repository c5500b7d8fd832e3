"""Synthetic room impulse responses decay at the requested RT60."""

from __future__ import annotations

import numpy as np
import pytest

from wakesmith.augment import make_rirs, schroeder_rt60, synthetic_rir
from wakesmith.errors import AudioError, ConfigError


@pytest.mark.parametrize("rt60", [0.15, 0.3, 0.5, 0.8])
@pytest.mark.parametrize("drr_db", [-3.0, 3.0, 9.0])
def test_schroeder_decay_gives_back_the_rt60(rt60: float, drr_db: float) -> None:
    for seed in range(3):
        rir = synthetic_rir(rt60, seed=seed, direct_to_reverb_db=drr_db)
        assert abs(schroeder_rt60(rir) / rt60 - 1) < 0.2


def test_shape_energy_and_direct_to_reverb_ratio() -> None:
    rir = synthetic_rir(0.4, seed=1, direct_to_reverb_db=6.0)
    assert rir.dtype == np.float32 and rir.ndim == 1
    assert abs(len(rir) - 0.4 * 1.1 * 16_000) <= 1
    assert np.sum(rir.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-5)
    assert np.argmax(np.abs(rir)) == 0  # the direct path comes first
    drr = 10 * np.log10(rir[0] ** 2 / np.sum(rir[1:].astype(np.float64) ** 2))
    assert drr == pytest.approx(6.0, abs=0.01)


def test_deterministic_per_seed() -> None:
    np.testing.assert_array_equal(synthetic_rir(0.3, seed=4), synthetic_rir(0.3, seed=4))
    assert not np.array_equal(synthetic_rir(0.3, seed=4), synthetic_rir(0.3, seed=5))


def test_make_rirs_spans_the_range() -> None:
    rirs = make_rirs(12, seed=0, rt60_range=(0.2, 0.6))
    assert len(rirs) == 12
    rt60s = np.array([schroeder_rt60(r) for r in rirs])
    assert rt60s.min() > 0.16 and rt60s.max() < 0.72
    assert rt60s.max() - rt60s.min() > 0.15
    assert all(
        np.array_equal(a, b) for a, b in zip(rirs, make_rirs(12, seed=0, rt60_range=(0.2, 0.6)), strict=True)
    )


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="rt60"):
        synthetic_rir(0.0, seed=0)
    impulse = np.zeros(1000)
    impulse[0] = 1.0
    with pytest.raises(AudioError, match="-25 dB"):
        schroeder_rt60(impulse)
