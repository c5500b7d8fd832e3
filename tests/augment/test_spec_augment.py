"""SpecAugment: mask count and width, mean fill, determinism, identity when off."""

from __future__ import annotations

import numpy as np
import pytest

from wakesmith.augment import spec_augment, spec_masks
from wakesmith.config import AugmentConfig


@pytest.fixture
def feats() -> np.ndarray:
    return np.random.default_rng(0).uniform(1.0, 25.0, size=(148, 40)).astype(np.float32)


def test_masks_count_width_and_fill(feats: np.ndarray) -> None:
    cfg = AugmentConfig(time_masks=3, time_mask_frames=8, freq_masks=2, freq_mask_bins=5)
    fill = feats.mean()
    for seed in range(50):
        masks = spec_masks(feats.shape, cfg, seed=seed)
        time = [m for m in masks if m["axis"] == "time"]
        freq = [m for m in masks if m["axis"] == "freq"]
        assert len(time) == 3 and len(freq) == 2
        assert all(1 <= m["width"] <= 8 and m["start"] + m["width"] <= 148 for m in time)
        assert all(1 <= m["width"] <= 5 and m["start"] + m["width"] <= 40 for m in freq)
        out = spec_augment(feats, cfg, seed=seed)
        assert out.dtype == np.float32 and out.shape == feats.shape
        expected = np.zeros(feats.shape, bool)
        for m in time:
            expected[m["start"] : m["start"] + m["width"], :] = True
        for m in freq:
            expected[:, m["start"] : m["start"] + m["width"]] = True
        np.testing.assert_array_equal(out == fill, expected)  # random data never equals the mean by chance
        np.testing.assert_array_equal(out[~expected], feats[~expected])


def test_widths_cover_the_whole_range(feats: np.ndarray) -> None:
    cfg = AugmentConfig(time_masks=1, time_mask_frames=8, freq_masks=0)
    widths = {spec_masks(feats.shape, cfg, seed=s)[0]["width"] for s in range(200)}
    assert widths == set(range(1, 9))


def test_deterministic_and_input_untouched(feats: np.ndarray) -> None:
    cfg = AugmentConfig()
    before = feats.copy()
    np.testing.assert_array_equal(spec_augment(feats, cfg, seed=3), spec_augment(feats, cfg, seed=3))
    assert not np.array_equal(spec_augment(feats, cfg, seed=3), spec_augment(feats, cfg, seed=4))
    np.testing.assert_array_equal(feats, before)


@pytest.mark.parametrize("cfg", [AugmentConfig(specaugment=False), AugmentConfig(enabled=False)])
def test_identity_when_off(feats: np.ndarray, cfg: AugmentConfig) -> None:
    out = spec_augment(feats, cfg, seed=0)
    np.testing.assert_array_equal(out, feats)
    assert out is not feats


def test_masks_wider_than_the_array_are_capped() -> None:
    small = np.arange(12, dtype=np.float32).reshape(3, 4)
    cfg = AugmentConfig(time_masks=2, time_mask_frames=10, freq_masks=2, freq_mask_bins=10)
    for seed in range(20):
        for m in spec_masks(small.shape, cfg, seed=seed):
            size = 3 if m["axis"] == "time" else 4
            assert 1 <= m["width"] <= size and m["start"] + m["width"] <= size
    assert spec_augment(np.zeros((0, 40), np.float32), cfg, seed=0).shape == (0, 40)
