"""The one LightningModule: loss, optimisation and validation metrics for every wake-word model.

Loss. Models emit one logit per output step ``[B, S]`` (S = 1 for window models). A positive window
ends shortly (``augment.time_shift_ms``) after its phrase: every step that has heard the whole
phrase is a positive target, earlier steps are left out (they heard part of it). Every step of a
negative window must stay low (mean BCE over steps). Each example is weighted (confusables and hard
negatives weigh more). A streaming model must not learn to fire at "the end of a window": the sentry's
windows are longer than its receptive field, so its last steps never see the window's start.

Checkpoint selection. Accuracy says little about a wake word. Validation instead measures recall at a
false-accept budget: from the validation negatives (hours = windows × window length; confusables
and hard negatives count only with ``train.select_negatives: all``) we take the
lowest threshold whose FA/h stays within ``train.val_fa_per_hour`` and report the fraction of
validation positives above it (``val/recall_at_fa``). A short validation set often allows no false
accept at all, so that figure is set by the single loudest negative clip and jumps between epochs;
``train.select_false_accepts`` = N > 1 ranks by the mean recall over the N thresholds that let 0 … N−1
more negatives through (``val/recall_near_fa``, the top of the DET curve). ``val/select`` is the ranked
figure plus a tiny loss tie-breaker so that early epochs with equal recall still rank sensibly —
or, with ``train.select_metric: loss``, minus the validation loss alone (smooth where recall jumps).
"""

from __future__ import annotations

import math

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from wakesmith.config import Recipe
from wakesmith.errors import ConfigError
from wakesmith.train.losses import triplet_loss, two_class_logits

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


def recall_near_fa_budget(
    pos: np.ndarray, neg: np.ndarray, neg_hours: float, fa_per_hour: float, spread: int
) -> float:
    """Mean of :func:`recall_at_fa_budget` over budgets that allow 0 … ``spread``−1 extra false accepts.

    ``spread`` = 1 is recall at the budget itself. More averages the recall at the thresholds set by
    the next-loudest negatives too, so one outlier clip moves the figure by at most 1/``spread``.
    """
    if len(pos) == 0:
        return 0.0
    allowed = math.floor(fa_per_hour * neg_hours + 1e-9)
    neg_sorted = np.sort(neg)[::-1]
    recalls = [
        float(np.mean(pos > (neg_sorted[k] if k < len(neg_sorted) else -np.inf)))
        for k in range(allowed, allowed + max(1, spread))
    ]
    return float(np.mean(recalls))


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

    @property
    def positive_span_frames(self) -> int:
        """How long after the phrase's end a step is still a positive target: the longest tail a
        positive window has after its phrase (``augment.time_shift_ms``), plus a step of margin.
        Later steps of a cold-start window (``train.cold_start_p``) are neither target: they have
        heard the phrase, but a detector need not keep firing long after it."""
        stride = int(getattr(self.model, "stride", 1))
        tail_ms = self.recipe.augment.time_shift_ms[1]
        return math.ceil(tail_ms / self.recipe.features.hop_ms) + 2 * stride

    def positive_steps(self, logits: torch.Tensor, end_frame: torch.Tensor) -> torch.Tensor:
        """[B, S] mask of the steps that have heard the whole phrase, up to
        :attr:`positive_span_frames` after it (at least one step: the last, if none has).

        Step ``i`` of a streaming model has seen frames up to ``(i + 1) * stride - 1``; a window
        model's single step sees the whole window.
        """
        steps = logits.shape[1]
        if not getattr(self.model, "streaming", False) or steps == 1:
            return torch.ones_like(logits, dtype=torch.bool)
        stride = int(getattr(self.model, "stride", 1))
        last_frame = (torch.arange(steps, device=logits.device) + 1) * stride - 1
        after = last_frame[None, :] - end_frame[:, None]
        mask = (after >= 0) & (after <= self.positive_span_frames)
        mask[:, -1] |= ~mask.any(1)
        return mask

    def _loss(
        self,
        logits: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor,
        end_frame: torch.Tensor,
        classes: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Weighted mean over examples of the per-step loss: BCE, or cross-entropy over ``classes``
        ``[B, S, 2]`` (``loss.loss_function: cross_entropy``)."""
        logits = logits.float()
        pos_mask = self.positive_steps(logits, end_frame).float()
        if classes is None:
            pos_step = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits), reduction="none")
            neg_step = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits), reduction="none")
        else:
            flat = classes.float().flatten(0, 1)
            smoothing = self.recipe.loss.label_smoothing
            ones = torch.ones(len(flat), dtype=torch.long, device=flat.device)
            pos_step = F.cross_entropy(flat, ones, reduction="none", label_smoothing=smoothing)
            neg_step = F.cross_entropy(flat, ones * 0, reduction="none", label_smoothing=smoothing)
            pos_step, neg_step = pos_step.view_as(logits), neg_step.view_as(logits)
        pos_loss = (pos_step * pos_mask).sum(1) / pos_mask.sum(1)
        per_example = torch.where(target > 0.5, pos_loss, neg_step.mean(1))
        return (per_example * weight).sum() / weight.sum()

    def outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits ``[B, S]``, and with ``cross_entropy`` the two-class logits ``[B, S, 2]``."""
        if self.recipe.loss.loss_function == "cross_entropy":
            return two_class_logits(self.model, x)
        return self(x), None

    def objective(
        self,
        x: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor,
        hard: torch.Tensor,
        end_frame: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The training loss of a batch under ``loss.loss_function``, and the model's logits."""
        cfg = self.recipe.loss
        logits, classes = self.outputs(x)
        loss = self._loss(logits, target, weight, end_frame, classes)
        if cfg.loss_function == "triplet_loss" and self.current_epoch >= cfg.triplet_start_epoch:
            labels = torch.where(target > 0.5, 1, torch.where(hard, 2, 0))
            embed = getattr(self.model, "embed", None)
            if embed is None:
                raise ConfigError(
                    f"loss.loss_function=triplet_loss: {type(self.model).__name__} has no embed()."
                )
            metric = triplet_loss(embed(x), labels, margin=cfg.triplet_margin, mining=cfg.triplet_mining)
            self.log("train/triplet", metric, batch_size=len(x))
            loss = loss + cfg.triplet_weight * metric
        return loss, logits

    def clip_scores(
        self, logits: torch.Tensor, target: torch.Tensor, end_frame: torch.Tensor
    ) -> torch.Tensor:
        """Score of a window as a detector sees it: for positives the best step after the phrase
        ended, for negatives the best step anywhere."""
        probs = torch.sigmoid(logits.float())
        after = torch.where(self.positive_steps(logits, end_frame), probs, torch.zeros_like(probs))
        return torch.where(target > 0.5, after.max(1).values, probs.max(1).values)

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        loss, _ = self.objective(*batch[:5])
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch[0]))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        x, target, weight, hard, end_frame = batch[:5]
        logits, classes = self.outputs(x)
        self._val_loss.append(self._loss(logits, target, weight, end_frame, classes).detach() * len(x))
        scores = self.clip_scores(logits, target, end_frame).detach().cpu()
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
        cfg = self.recipe.train
        recall = recall_at_fa_budget(pos, neg, self.val_hours, cfg.val_fa_per_hour)
        values = {"val/loss": loss, "val/recall_at_fa": recall}
        ranked = recall
        if cfg.select_false_accepts > 1:
            ranked = recall_near_fa_budget(
                pos, neg, self.val_hours, cfg.val_fa_per_hour, cfg.select_false_accepts
            )
            values["val/recall_near_fa"] = ranked
        select = -loss if cfg.select_metric == "loss" else ranked - SELECT_LOSS_WEIGHT * loss
        self.log_dict({**values, "val/select": select})
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
