"""The training objective and the checkpoint-selection metric."""

from __future__ import annotations

import numpy as np
import torch

from wakesmith.config import Recipe
from wakesmith.train.task import WakeWordTask, recall_at_fa_budget


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


class Constant(torch.nn.Module):
    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = torch.nn.Parameter(logits.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(len(x), -1)


def test_loss_targets_last_step_of_positives_and_every_step_of_negatives() -> None:
    steps = torch.tensor([[-5.0, -5.0, 5.0]])  # low, low, then fires at the last step
    task = WakeWordTask(Constant(steps), Recipe(), val_hours=1.0, steps_per_epoch=1)
    x = torch.zeros(2, 3, 40)
    w = torch.ones(2)
    pos_loss = task._loss(task(x), torch.ones(2), w)
    neg_loss = task._loss(task(x), torch.zeros(2), w)
    assert float(pos_loss) < 0.01  # the positive fired at its end: nearly no loss
    assert float(neg_loss) > 1.0  # the negative fired at one step: penalised
    # weights scale an example's share of the loss
    mixed = task._loss(task(x), torch.tensor([1.0, 0.0]), torch.tensor([1.0, 3.0]))
    assert abs(float(mixed) - (float(pos_loss) + 3 * float(neg_loss)) / 4) < 1e-5


def test_clip_scores_are_what_a_detector_sees() -> None:
    logits = torch.tensor([[0.0, 4.0, -4.0], [0.0, 4.0, -4.0]])
    scores = WakeWordTask.clip_scores(logits, torch.tensor([1.0, 0.0]))
    assert torch.allclose(scores, torch.sigmoid(torch.tensor([-4.0, 4.0])))
