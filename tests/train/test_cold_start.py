"""Cold-start positives: the phrase shortly after a reset, its end found through speed and tempo."""

from __future__ import annotations

import numpy as np
import torch

from wakesmith.config import SAMPLE_RATE, AugmentConfig, FeatureConfig, Recipe
from wakesmith.features import create_frontend
from wakesmith.train.data import ClipItem, TeacherInput, WindowDataset
from wakesmith.train.examples import place
from wakesmith.train.task import WakeWordTask

OFF = {"noise_p": 0.0, "rir_p": 0.0, "pitch_p": 0.0, "speed_p": 0.0, "gain_db": (0.0, 0.0)}


def _burst(seconds: float = 0.8) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def test_cold_placement_starts_within_the_lead() -> None:
    clip, window = _burst(), int(2.5 * SAMPLE_RATE)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        out, p = place(clip, window, positive=True, rng=rng, cfg=AugmentConfig(), cold_lead_s=(0.1, 1.0))
        assert 0.1 * SAMPLE_RATE <= p.offset <= 1.0 * SAMPLE_RATE
        assert p.end == p.offset + len(clip) and p.crop == 0
        assert not out[: p.offset].any() and not out[p.end :].any()


def _dataset(cold_start_p: float = 1.0, **augment: object) -> WindowDataset:
    recipe = Recipe(
        augment={**OFF, "specaugment": False, **augment},
        train={"cold_start_p": cold_start_p, "cold_lead_s": (0.2, 0.6), "clip_seconds": 2.5},
    )
    items = [ClipItem("p", (_burst() * 32768).astype(np.int16), True, 1.0, "positive")]
    return WindowDataset(items, recipe, backgrounds=[], train=True)


def _active(window: np.ndarray) -> np.ndarray:
    """Samples above a tenth of the peak (the tempo stretch smears a burst's edges by a few ms)."""
    return np.flatnonzero(np.abs(window) > 0.1 * np.abs(window).max())


def test_the_phrase_end_is_exact_through_speed_and_tempo() -> None:
    """Talker augmentations change the clip before it is placed: the example's end is where it ends."""
    for augment in ({}, {"speed_p": 1.0, "speed": (0.8, 1.2)}, {"tempo_p": 1.0, "tempo": (0.8, 1.2)}):
        for cold in (1.0, 0.0):
            ds = _dataset(cold_start_p=cold, **augment)
            for draw in range(6):
                window, end = ds.waveform(0, 0, draw)
                active = _active(window)
                assert len(window) == ds.window
                assert abs(active[-1] + 1 - end) < 0.02 * SAMPLE_RATE, (augment, cold, draw)
                if cold:  # the phrase starts within the cold lead (0.2–0.6 s)
                    assert 0.15 * SAMPLE_RATE <= active[0] <= 0.65 * SAMPLE_RATE, (augment, draw)
                else:  # the phrase ends within the time shift of the window's end
                    assert ds.window - end <= 0.25 * SAMPLE_RATE + 1, (augment, draw)


def test_cold_examples_target_the_steps_right_after_the_phrase() -> None:
    recipe = Recipe()
    task = WakeWordTask(torch.nn.Identity(), recipe, val_hours=1.0, steps_per_epoch=1)
    task.model.streaming, task.model.stride = True, 3  # type: ignore[assignment]
    span = task.positive_span_frames
    steps = 80  # 240 frames
    mask = task.positive_steps(torch.zeros(2, steps), torch.tensor([90, 237]))
    last_frame = (np.arange(steps) + 1) * 3 - 1
    cold = mask[0].numpy()
    assert cold.any() and not cold[-1]  # a cold window's last steps are no target
    assert (last_frame[cold] >= 90).all() and (last_frame[cold] <= 90 + span).all()
    assert mask[1].numpy()[last_frame >= 237].all()  # a window whose phrase ends at its end: as before


def test_a_teacher_hears_a_cold_phrase_where_it_was_trained_to() -> None:
    """Distillation: the teacher's window ends at the student's window end, unless a positive's phrase
    ends earlier than the teacher's trained tail allows (a cold start); then it ends a mid tail after the
    phrase — the teacher must hear the phrase it is asked about, not the silence after it."""
    raw = FeatureConfig(name="waveform", window_ms=20, hop_ms=20)
    teacher = TeacherInput(raw, int(1.5 * SAMPLE_RATE), tail_samples=2000, max_tail_samples=4000)
    rng = np.random.default_rng(0)
    window = rng.standard_normal(int(2.5 * SAMPLE_RATE)).astype(np.float32)
    ds = _dataset()
    ds.teacher_inputs = [(create_frontend(raw), teacher)]

    def heard(end_sample: int) -> np.ndarray:
        (feats,) = ds._teacher_features(window, end_sample)
        return feats.numpy().reshape(-1)

    n = teacher.window_samples
    for end in (-1, len(window) - 3000):  # a negative; a warm positive within the trained tail
        np.testing.assert_array_equal(heard(end), window[-n:])
    cold_end = int(1.7 * SAMPLE_RATE)
    got = heard(cold_end)
    stop = cold_end + teacher.tail_samples
    np.testing.assert_array_equal(got, window[stop - n : stop])
    early = int(0.9 * SAMPLE_RATE)  # the window reaches before the student's: silence in front
    got = heard(early)
    pad = n - (early + teacher.tail_samples)
    assert len(got) == n and not got[:pad].any()
    np.testing.assert_array_equal(got[pad:], window[: early + teacher.tail_samples])
