"""The training objective and the checkpoint-selection metric."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wakesmith.config import Recipe
from wakesmith.train.task import WakeWordTask, recall_at_fa_budget, recall_near_fa_budget


def test_recall_at_fa_budget_uses_the_allowed_number_of_false_accepts() -> None:
    pos = np.array([0.9, 0.8, 0.6, 0.3])
    neg = np.array([0.1, 0.7, 0.5])
    # 2 hours of negatives at 0.5 FA/h allow exactly one false accept: threshold sits on 0.5
    assert recall_at_fa_budget(pos, neg, 2.0, 0.5) == 0.75
    # no false accept allowed: threshold sits on the top negative (0.7)
    assert recall_at_fa_budget(pos, neg, 1.0, 0.5) == 0.5
    # everything allowed
    assert recall_at_fa_budget(pos, neg, 100.0, 1.0) == 1.0
    assert recall_at_fa_budget(np.zeros(0), neg, 1.0, 1.0) == 0.0


def test_recall_near_the_budget_is_not_decided_by_one_loud_negative() -> None:
    pos = np.linspace(0.5, 0.99, 50)
    neg = np.concatenate([np.linspace(0.0, 0.4, 99), [0.995]])  # one outlier above every positive
    assert recall_at_fa_budget(pos, neg, 0.2, 0.5) == 0.0  # no false accept allowed: the outlier decides
    near = recall_near_fa_budget(pos, neg, 0.2, 0.5, spread=10)
    assert near == 0.9  # 0 at the outlier, 1.0 at each of the next nine thresholds
    assert recall_near_fa_budget(pos, neg, 0.2, 0.5, spread=1) == recall_at_fa_budget(pos, neg, 0.2, 0.5)
    # the budget's allowance still counts: 2 h at 0.5 FA/h lets the outlier through
    assert recall_near_fa_budget(pos, neg, 2.0, 0.5, spread=3) == 1.0
    assert recall_near_fa_budget(np.zeros(0), neg, 1.0, 1.0, spread=5) == 0.0


def _validate(task: WakeWordTask, pos: list[float], neg: list[float], loss: float = 0.0) -> dict[str, float]:
    logged: dict[str, float] = {}
    task.log_dict = lambda values, **_: logged.update(values)  # type: ignore[method-assign]
    scores = torch.tensor(pos + neg)
    task._val_pos, task._val_neg = [scores[: len(pos)]], [scores[len(pos) :]]
    summed = torch.tensor(loss * (len(pos) + len(neg)))  # validation_step sums loss × batch size
    task._val_hard, task._val_loss = [torch.zeros(len(neg), dtype=torch.bool)], [summed]
    task.on_validation_epoch_end()
    return logged


def test_select_false_accepts_changes_the_ranked_figure_only_when_set() -> None:
    pos, neg = [0.6, 0.7, 0.8, 0.9], [0.1, 0.2, 0.3, 0.95]
    plain = _validate(
        WakeWordTask(Constant(torch.zeros(1, 1)), Recipe(), val_hours=0.1, steps_per_epoch=1), pos, neg
    )
    assert plain["val/select"] == plain["val/recall_at_fa"] == 0.0
    assert "val/recall_near_fa" not in plain
    recipe = Recipe.model_validate({"train": {"select_false_accepts": 2}})
    near = _validate(
        WakeWordTask(Constant(torch.zeros(1, 1)), recipe, val_hours=0.1, steps_per_epoch=1), pos, neg
    )
    assert near["val/recall_at_fa"] == 0.0
    assert near["val/select"] == near["val/recall_near_fa"] == 0.5


def test_select_metric_loss_ranks_by_validation_loss_alone() -> None:
    pos, neg = [0.6, 0.7, 0.8, 0.9], [0.1, 0.2, 0.3, 0.4]
    recipe = Recipe.model_validate({"train": {"select_metric": "loss"}})
    task = WakeWordTask(Constant(torch.zeros(1, 1)), recipe, val_hours=0.1, steps_per_epoch=1)
    logged = _validate(task, pos, neg, loss=0.25)
    assert logged["val/recall_at_fa"] == 1.0  # still logged
    assert logged["val/select"] == pytest.approx(-0.25)  # mode "max": lower loss ranks higher
    plain_task = WakeWordTask(Constant(torch.zeros(1, 1)), Recipe(), val_hours=0.1, steps_per_epoch=1)
    plain = _validate(plain_task, pos, neg, loss=0.25)
    assert plain["val/select"] == pytest.approx(1.0 - 0.25e-3)


class Constant(torch.nn.Module):
    """A "model" with fixed logits per step, streaming with stride 1."""

    streaming = True
    stride = 1

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = torch.nn.Parameter(logits.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(len(x), -1)


def test_positive_steps_are_those_that_heard_the_whole_phrase() -> None:
    task = WakeWordTask(Constant(torch.zeros(1, 4)), Recipe(), val_hours=1.0, steps_per_epoch=1)
    mask = task.positive_steps(torch.zeros(3, 4), torch.tensor([0, 2, 99]))
    assert mask.tolist() == [
        [True, True, True, True],
        [False, False, True, True],
        [False, False, False, True],  # the last step always counts
    ]


def test_loss_targets_steps_after_the_phrase_and_every_step_of_negatives() -> None:
    steps = torch.tensor([[-5.0, -5.0, 5.0, 5.0]])  # silent until the phrase ended, then fires
    task = WakeWordTask(Constant(steps), Recipe(), val_hours=1.0, steps_per_epoch=1)
    x = torch.zeros(2, 4, 40)
    w = torch.ones(2)
    end = torch.tensor([2, 2])
    with torch.no_grad():
        pos_loss = float(task._loss(task(x), torch.ones(2), w, end))
        neg_loss = float(task._loss(task(x), torch.zeros(2), w, torch.tensor([-1, -1])))
        early = float(task._loss(task(x), torch.ones(2), w, torch.tensor([0, 0])))
        mixed = float(
            task._loss(task(x), torch.tensor([1.0, 0.0]), torch.tensor([1.0, 3.0]), torch.tensor([2, -1]))
        )
    assert pos_loss < 0.01  # fired on every step after the phrase: nearly no loss
    assert early > 1.0  # had it ended at frame 0, the silent first steps would be misses
    assert neg_loss > 1.0  # a negative that fires anywhere is penalised
    assert abs(mixed - (pos_loss + 3 * neg_loss) / 4) < 1e-5


def test_clip_scores_are_what_a_detector_sees() -> None:
    logits = torch.tensor([[4.0, 0.0, -4.0], [4.0, 0.0, -4.0]])
    task = WakeWordTask(Constant(logits[:1]), Recipe(), val_hours=1.0, steps_per_epoch=1)
    scores = task.clip_scores(logits, torch.tensor([1.0, 0.0]), torch.tensor([1, -1]))
    # positive: best step after the phrase ended (steps 1, 2); negative: best step anywhere
    assert torch.allclose(scores, torch.sigmoid(torch.tensor([0.0, 4.0])))
