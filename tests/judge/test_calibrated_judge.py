"""The Judge on the judge model as ``api.evaluate`` calibrated it, on clips it never trained on.

Every other Judge test serves ``judge_fixture.model``, whose threshold is set by hand between two
TRAINING clips: those test the service. This one loads ``judge_fixture.calibrated`` (the same training,
the thresholds evaluation calibrated, untouched) and judges the first TEST-split positive and negative
clip (taken in store order, not chosen by score) as trigger buffers. Measured on the tiny dataset: the
held-out positive scores 0.69 and the negative (a confusable) 0.04 against a calibrated 0.44 (0.66 and
0.10 against 0.365 on an earlier version of the dataset), so the verdicts have margin both ways.
"""

from __future__ import annotations

from model_fixture import JudgeFixture

from wakesmith.audio.io import read_audio
from wakesmith.judge.engine import ACCEPT, REJECT, JudgeModel
from wakesmith.judge.settings import ModelSettings


def test_the_calibrated_judge_accepts_a_held_out_positive_and_rejects_a_held_out_negative(
    judge_fixture: JudgeFixture,
) -> None:
    model = JudgeModel(ModelSettings(path=judge_fixture.calibrated, name="hey_katya"))
    calibrated = {t.name: t.threshold for t in model.metadata.thresholds}
    assert set(calibrated) == {"sensitive", "default", "strict"}
    assert model.trigger_threshold == model.metadata.trigger_threshold("default")
    assert model.threshold == calibrated["default"] and 0.0 < model.threshold < 1.0
    # the plumbing tests' file is this one with only its default threshold moved by hand
    hand_set = {
        t.name: t.threshold for t in JudgeModel(ModelSettings(path=judge_fixture.model)).metadata.thresholds
    }
    assert hand_set == {**calibrated, "default": judge_fixture.threshold}

    accepted = model.verify(read_audio(judge_fixture.held_out_positive))
    rejected = model.verify(read_audio(judge_fixture.held_out_negative))
    scores = (
        f"positive {accepted.confidence:.3f}, negative {rejected.confidence:.3f}, thresholds {calibrated}"
    )
    assert accepted.prediction and accepted.label == ACCEPT, scores
    assert not rejected.prediction and rejected.label == REJECT, scores
    assert accepted.confidence >= model.trigger_threshold > rejected.confidence, scores
