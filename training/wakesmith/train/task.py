"""The one LightningModule: loss, optimisation and validation metrics for every wake-word model.

Loss. Models emit one logit per output step ``[B, S]`` (S = 1 for window models). A positive window
ends just after its phrase, so only its *last* step is a positive target; every step of a negative
window must stay low, so negatives are penalised at every step (mean BCE over steps). Each example
is weighted (confusables and hard negatives weigh more).

Checkpoint selection. Accuracy says little about a wake word. Validation instead measures recall at a
false-accept budget: from the validation negatives (hours = windows × window length; confusables
and hard negatives count only with ``train.select_negatives: all``) we take the
lowest threshold whose FA/h stays within ``train.val_fa_per_hour`` and report the fraction of
validation positives above it (``val/recall_at_fa``). ``val/select`` adds a tiny loss tie-breaker so
that early epochs with equal recall still rank sensibly.
"""

from __future__ import annotations

import math

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from wakesmith.config import Recipe

SELECT_LOSS_WEIGHT = 1e-3


def recall_at_fa_budget(pos: np.ndarray, neg: np.ndarray, neg_hours: float, fa_per_hour: float) -> float:
    """Recall of ``pos`` scores at the lowest threshold whose FA/h on ``neg`` scores is within budget.

    Each negative window can false-accept at most once (windows are shorter than the cooldown).
    """
    if len(pos) == 0:
        return 0.0
    allowed = math.floor(fa_per_hour * neg_hours + 1e-9)
    neg_sorted = np.sort(neg)[::-1]
    # threshold strictly above the (allowed+1)-th highest negative score
    threshold = neg_sorted[allowed] if allowed < len(neg_sorted) else -np.inf
    return float(np.mean(pos > threshold))


class WakeWordTask(L.LightningModule):
    def __init__(self, model: nn.Module, recipe: Recipe, *, val_hours: float, steps_per_epoch: int) -> None:
        super().__init__()
        self.model = model
        self.recipe = recipe
        self.val_hours = val_hours
        self.steps_per_epoch = max(1, steps_per_epoch)
        self._val_pos: list[torch.Tensor] = []
        self._val_neg: list[torch.Tensor] = []
        self._val_hard: list[torch.Tensor] = []
        self._val_loss: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def _loss(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        pos_loss = F.binary_cross_entropy_with_logits(
            logits[:, -1], torch.ones_like(target), reduction="none"
        )
        neg_loss = F.binary_cross_entropy_with_logits(
            logits, torch.zeros_like(logits), reduction="none"
        ).mean(1)
        per_example = torch.where(target > 0.5, pos_loss, neg_loss)
        return (per_example * weight).sum() / weight.sum()

    @staticmethod
    def clip_scores(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Score of a window as a detector sees it: last step for positives, max over steps for negatives."""
        probs = torch.sigmoid(logits.float())
        return torch.where(target > 0.5, probs[:, -1], probs.max(1).values)

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        x, target, weight = batch[:3]
        loss = self._loss(self(x), target, weight)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(x))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        x, target, weight, hard = batch
        logits = self(x)
        self._val_loss.append(self._loss(logits, target, weight).detach() * len(x))
        scores = self.clip_scores(logits, target).detach().cpu()
        self._val_pos.append(scores[target > 0.5])
        self._val_neg.append(scores[target <= 0.5])
        self._val_hard.append(hard.cpu()[target <= 0.5])

    def on_validation_epoch_end(self) -> None:
        pos = torch.cat(self._val_pos).numpy() if self._val_pos else np.zeros(0)
        neg = torch.cat(self._val_neg).numpy() if self._val_neg else np.zeros(0)
        hard = torch.cat(self._val_hard).numpy().astype(bool) if self._val_hard else np.zeros(0, bool)
        if self.recipe.train.select_negatives == "ordinary":
            neg = neg[~hard]
        n = max(1, len(pos) + len(hard))
        loss = float(torch.stack(self._val_loss).sum()) / n if self._val_loss else 0.0
        recall = recall_at_fa_budget(pos, neg, self.val_hours, self.recipe.train.val_fa_per_hour)
        self.log_dict(
            {
                "val/loss": loss,
                "val/recall_at_fa": recall,
                "val/select": recall - SELECT_LOSS_WEIGHT * loss,
            }
        )
        self._val_pos.clear()
        self._val_neg.clear()
        self._val_hard.clear()
        self._val_loss.clear()

    def configure_optimizers(self):
        cfg = self.recipe.train
        opt = torch.optim.AdamW(self.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        total = max(1, cfg.epochs * self.steps_per_epoch)
        warmup = max(1, int(cfg.warmup_epochs * self.steps_per_epoch))

        def schedule(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            progress = min(1.0, (step - warmup) / max(1, total - warmup))
            return 0.5 * (1.0 + math.cos(math.pi * progress))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
