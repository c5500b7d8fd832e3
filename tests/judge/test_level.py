"""The Judge hears a phrase the same whether it is spoken far from the microphone or close to it."""

from __future__ import annotations

import numpy as np
import pytest
from model_fixture import JudgeFixture

from wakesmith.augment import active_power
from wakesmith.runtime import OnnxBackend, WindowScorer

LEVELS_DBFS = (-40.0, -30.0, -20.0, -10.0)


def _at_level(audio: np.ndarray, dbfs: float) -> np.ndarray:
    return (audio * np.sqrt(10 ** (dbfs / 10) / active_power(audio))).astype(np.float32)


@pytest.mark.parametrize("clip", ["positive", "negative"])
def test_judge_score_barely_moves_across_levels(
    judge_fixture: JudgeFixture, clip: str, request: pytest.FixtureRequest
) -> None:
    scorer = WindowScorer(OnnxBackend.load(judge_fixture.model))
    assert scorer.metadata.features.cmvn  # the judge recipe normalizes each window
    audio = request.getfixturevalue(clip)
    scores = [scorer.score_buffer(_at_level(audio, level)) for level in LEVELS_DBFS]
    assert max(scores) - min(scores) < 0.1, dict(zip(LEVELS_DBFS, scores, strict=True))
