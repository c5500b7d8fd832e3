"""Window placement: positives end near the window end, negatives are cropped or placed."""

from __future__ import annotations

import numpy as np

from wakesmith.audio.pcm import float_to_int16
from wakesmith.config import SAMPLE_RATE, AugmentConfig, load_recipe
from wakesmith.train.data import ClipItem, EpochSampler, WindowDataset
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


def _items(n: int = 12) -> list[ClipItem]:
    rng = np.random.default_rng(0)
    return [
        ClipItem(
            f"clip{i}",
            float_to_int16(0.2 * rng.standard_normal(SAMPLE_RATE)),
            positive=i % 3 == 0,
            weight=1.0,
            kind="positive" if i % 3 == 0 else "negative",
        )
        for i in range(n)
    ]


def test_every_example_of_a_run_gets_its_own_augmentation_seed() -> None:
    """Seeds over four epochs of draws never repeat (a repeat would replay one augmentation), stay in
    numpy's seed range, and another ``train.seed`` gives a run that shares none of them."""
    recipe = load_recipe("tiny", ["train.samples_per_epoch=5000"])
    sampler = EpochSampler(_items(), recipe)

    def run_seeds(base: int) -> list[int]:
        seeds = []
        for epoch in range(4):
            sampler.set_epoch(epoch)
            seeds += [example_seed(base, e, draw) for _, e, draw in sampler]
        return seeds

    seeds = run_seeds(recipe.train.seed)
    assert len(seeds) == len(set(seeds)) == 4 * 5000
    assert min(seeds) >= 0 and max(seeds) < 2**31 - 1
    assert not set(seeds) & set(run_seeds(recipe.train.seed + 1))


def test_an_example_is_its_clip_epoch_and_draw() -> None:
    """Augmentation is recorded, not materialized: two datasets (two DataLoader workers) build the same
    example from the same key, and the next epoch hears the clip differently."""
    recipe = load_recipe("tiny")
    first, second = (WindowDataset(_items(), recipe, backgrounds=[], train=True) for _ in range(2))
    for index in (0, 1):
        feats, *_ = first.example(index, epoch=2, draw=7)
        again, *_ = second.example(index, epoch=2, draw=7)
        np.testing.assert_array_equal(feats, again)
        other_epoch, *_ = second.example(index, epoch=3, draw=7)
        assert not np.array_equal(feats, other_epoch)
