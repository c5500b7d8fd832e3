"""The Judge hears a phrase the same whether the microphone's gain is low or high.

The judge recipe normalizes every analysis window (``features.cmvn``): a gain change shifts every
log-mel value of a window by the same constant, which the per-window mean removes. That holds for
audio as a microphone delivers it — speech over the room's noise floor, both scaled by the gain —
not for digital silence, which stays at the log floor whatever the gain (so the clips here carry a
noise bed 30 dB below the speech, as a quiet room does).
"""

from __future__ import annotations

import numpy as np
import pytest
from model_fixture import JudgeFixture

from wakesmith.augment import active_power
from wakesmith.runtime import OnnxBackend, WindowScorer

GAINS_DB = (-20.0, -10.0, 0.0)
"""Gain below the loudest unclipped version (peak 0.95): 20 dB (the log floor breaks quieter speech)."""
PEAK = 0.95
ROOM_SNR_DB = 30.0


def _in_a_quiet_room(audio: np.ndarray) -> np.ndarray:
    noise = np.random.default_rng(0).standard_normal(len(audio)).astype(np.float32)
    noise *= np.sqrt(active_power(audio) / 10 ** (ROOM_SNR_DB / 10) / np.mean(noise**2))
    return (audio + noise).astype(np.float32)


@pytest.mark.parametrize("clip", ["positive", "held_out_positive", "negative"])
def test_judge_score_does_not_move_with_the_gain(judge_fixture: JudgeFixture, clip: str) -> None:
    from wakesmith.audio.io import read_audio

    scorer = WindowScorer(OnnxBackend.load(judge_fixture.model))
    assert scorer.metadata.features.cmvn  # the judge recipe normalizes each window
    audio = _in_a_quiet_room(read_audio(judge_fixture.model.parent / f"{clip}.wav"))
    loudest = audio * np.float32(PEAK / np.abs(audio).max())
    versions = [(loudest * np.float32(10 ** (g / 20))).astype(np.float32) for g in GAINS_DB]
    levels = [round(10 * np.log10(active_power(x)), 1) for x in versions]  # dBFS of the active speech
    assert levels[-1] - levels[0] == pytest.approx(20.0, abs=0.1)
    scores = [scorer.score_buffer(x) for x in versions]
    assert max(scores) - min(scores) < 0.1, dict(zip(levels, scores, strict=True))
