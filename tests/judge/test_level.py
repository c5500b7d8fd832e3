"""The Judge hears a phrase the same whether the microphone's gain is low or high.

The judge recipe brings every analysis window to one level before the log mel
(``features.agc_dbfs``), then normalizes it (``features.cmvn``). The clips reach the scorer as int16
PCM, as a microphone delivers them, so the quiet versions carry their own quantization; each clip is
tried in a quiet room (a noise bed 30 dB below the speech) and in digital silence.

Levels are of the active speech (``active_power``): −40, −30 and −20 dBFS, and the loudest version
that does not clip (peak at −1 dBFS, about −17 dBFS active for these clips: synthetic speech has a
crest factor near 16 dB, so active speech at −10 dBFS would be clipped, which changes the sound).
"""

from __future__ import annotations

import numpy as np
import pytest
from model_fixture import JudgeFixture

from wakesmith.audio import float_to_int16
from wakesmith.augment import active_power
from wakesmith.runtime import OnnxBackend, WindowScorer

LEVELS_DBFS = (-40.0, -30.0, -20.0)
"""Levels of the active speech; the loudest unclipped version (peak −1 dBFS) is added to them."""
LOUDEST_PEAK = 10 ** (-1 / 20)
ROOM_SNR_DB = 30.0
MAX_SPREAD = 0.1


def _in_a_quiet_room(audio: np.ndarray) -> np.ndarray:
    noise = np.random.default_rng(0).standard_normal(len(audio)).astype(np.float32)
    noise *= np.sqrt(active_power(audio) / 10 ** (ROOM_SNR_DB / 10) / np.mean(noise**2))
    return (audio + noise).astype(np.float32)


def _at_level(audio: np.ndarray, dbfs: float) -> np.ndarray:
    return float_to_int16(audio * np.float32(np.sqrt(10 ** (dbfs / 10) / active_power(audio))))


@pytest.mark.parametrize("room", ["quiet room", "digital silence"])
@pytest.mark.parametrize("clip", ["positive", "held_out_positive", "negative"])
def test_judge_score_does_not_move_with_the_level(judge_fixture: JudgeFixture, clip: str, room: str) -> None:
    from wakesmith.audio.io import read_audio

    scorer = WindowScorer(OnnxBackend.load(judge_fixture.model))
    assert scorer.metadata.features.agc_dbfs is not None  # the judge recipe normalizes each window's level
    audio = read_audio(judge_fixture.model.parent / f"{clip}.wav")
    audio = _in_a_quiet_room(audio) if room == "quiet room" else audio
    versions = [_at_level(audio, level) for level in LEVELS_DBFS]
    measured = [10 * np.log10(active_power(v.astype(np.float32) / 32768)) for v in versions]
    assert measured == pytest.approx(LEVELS_DBFS, abs=0.2)
    versions.append(float_to_int16(audio * np.float32(LOUDEST_PEAK / np.abs(audio).max())))
    loudest = 10 * np.log10(active_power(versions[-1].astype(np.float32) / 32768))
    scores = {
        round(level, 1): scorer.score_buffer(v)
        for level, v in zip([*LEVELS_DBFS, loudest], versions, strict=True)
    }
    assert max(scores.values()) - min(scores.values()) < MAX_SPREAD, scores


def test_without_gain_normalization_the_level_would_move_the_features(judge_fixture: JudgeFixture) -> None:
    """The property above is the gain normalization's doing, not the model's indifference."""
    from wakesmith.audio.io import read_audio
    from wakesmith.features import create_frontend

    features = WindowScorer(OnnxBackend.load(judge_fixture.model)).metadata.features
    audio = read_audio(judge_fixture.model.parent / "positive.wav")
    quiet = _at_level(audio, LEVELS_DBFS[0])
    loud = float_to_int16(audio * np.float32(LOUDEST_PEAK / np.abs(audio).max()))
    with_agc = create_frontend(features)
    without = create_frontend(features.model_copy(update={"agc_dbfs": None}))
    assert np.abs(with_agc(quiet) - with_agc(loud)).max() < 0.1  # int16 quantization at −40 dBFS
    assert np.abs(without(quiet) - without(loud)).max() > 0.5
