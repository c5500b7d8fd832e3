"""Window placement: positives end near the window end, negatives are cropped or placed."""

from __future__ import annotations

import numpy as np

from wakesmith.config import SAMPLE_RATE, AugmentConfig
from wakesmith.train.examples import example_seed, fit_length, place

WINDOW = int(1.5 * SAMPLE_RATE)


def test_positive_ends_within_the_time_shift_of_the_window_end() -> None:
    cfg = AugmentConfig(time_shift_ms=(100.0, 200.0))
    clip = np.ones(8000, dtype=np.float32)
    for seed in range(20):
        out, placement = place(clip, WINDOW, positive=True, rng=np.random.default_rng(seed), cfg=cfg)
        assert out.shape == (WINDOW,)
        last = int(np.flatnonzero(out)[-1])
        tail_ms = (WINDOW - 1 - last) * 1000 / SAMPLE_RATE
        assert 100 - 0.1 <= tail_ms <= 200 + 0.1
        assert placement.crop == 0


def test_long_positive_keeps_its_end() -> None:
    clip = np.arange(2 * WINDOW, dtype=np.float32)
    out, placement = place(
        clip, WINDOW, positive=True, rng=np.random.default_rng(0), cfg=AugmentConfig(time_shift_ms=(0.0, 0.0))
    )
    assert out[-1] == clip[-1]
    assert placement.crop == WINDOW


def test_negative_is_cropped_or_placed_whole() -> None:
    rng = np.random.default_rng(3)
    long_clip = np.arange(3 * WINDOW, dtype=np.float32) + 1
    out, _ = place(long_clip, WINDOW, positive=False, rng=rng, cfg=AugmentConfig())
    assert np.all(np.diff(out) == 1)  # a contiguous crop
    short = np.ones(100, dtype=np.float32)
    out, p = place(short, WINDOW, positive=False, rng=rng, cfg=AugmentConfig())
    assert out.sum() == 100 and out[p.offset : p.offset + 100].sum() == 100


def test_fit_length_keeps_the_end() -> None:
    x = np.arange(10, dtype=np.float32)
    assert fit_length(x, 4).tolist() == [6, 7, 8, 9]
    assert fit_length(x, 12).tolist() == [0, 0, *range(10)]


def test_example_seed_is_deterministic_and_varies() -> None:
    assert example_seed(0, 1, 2) == example_seed(0, 1, 2)
    assert len({example_seed(0, e, i) for e in range(5) for i in range(100)}) == 500
