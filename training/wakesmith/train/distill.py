"""Knowledge distillation: a frozen teacher (or two) wrapped around the same training task.

:class:`DistillationTask` is :class:`~wakesmith.train.task.WakeWordTask` plus soft targets: every
training batch carries, after the task's five fields, each teacher's features of the **same**
augmented audio (its own front end over the last ``teacher window`` of the student's window; see
``WindowDataset``). The loss is ``(1 − alpha) · task loss + alpha · T² · KL(teacher ‖ student)``
on the window's wake probability softened by the temperature, where the student's window logit is
its best step as a detector reads it (:meth:`window_logits`). With two teachers the soft target is
their mixture, each weighted per example by its confidence in the true label. ``align`` pairs add
feature distillation through learnable projectors (:class:`FeatureAlignment`).

Validation, checkpoint selection and the saved model are the plain task's: the teachers and
projectors never reach the artifact (the projectors live in training checkpoints, so a resumed
run continues with them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from wakesmith.artifact import resolve_artifact
from wakesmith.config import SAMPLE_RATE, AlignConfig, Recipe
from wakesmith.errors import ConfigError
from wakesmith.home import Home
from wakesmith.models import WakeModel
from wakesmith.train.data import TeacherInput
from wakesmith.train.losses import soft_binary_kl
from wakesmith.train.task import WakeWordTask

ROLE_REFS = ("sentry", "judge")


@dataclass
class Teacher:
    """A frozen trained model and the input it expects."""

    name: str
    model: WakeModel
    input: TeacherInput


def load_teachers(refs: Sequence[str], home: Home) -> list[Teacher]:
    """The trained models named by ``distillation.teachers`` (model ids or artifact folders), frozen."""
    from wakesmith.runtime.backends import TorchBackend

    teachers = []
    for ref in refs:
        if ref in ROLE_REFS or ref.startswith("current:"):
            raise ConfigError(
                f"distillation.teachers: name the teacher by its model id (`wakesmith models`), not "
                f"{ref!r}: the current model changes, and a run is identified by its recipe."
            )
        artifact = resolve_artifact(ref, home)
        if not artifact.weights_path.is_file():
            raise ConfigError(
                f"Teacher {ref!r} has no torch weights ({artifact.weights_path}); distillation needs a "
                "trained model folder with model.pt."
            )
        backend = TorchBackend.load(artifact.path)
        model = backend.graph.model
        assert isinstance(model, WakeModel)
        model.eval().requires_grad_(False)
        recipe = artifact.recipe()
        window = round(recipe.train.clip_seconds * SAMPLE_RATE)
        lo, hi = (round(ms * SAMPLE_RATE / 1000) for ms in recipe.augment.time_shift_ms)
        spec = TeacherInput(
            backend.metadata.features, window, tail_samples=(lo + hi) // 2, max_tail_samples=hi
        )
        teachers.append(Teacher(artifact.model_id, model, spec))
    return teachers


def pooled(output: Tensor | tuple[Tensor, ...], layout: str) -> Tensor:
    """A layer's output as one vector per example ``[B, C]``: the mean over time (and frequency).

    ``channels_first`` reads ``[B, C, ...]`` (convolutions), ``channels_last`` ``[B, ..., C]``
    (linear layers, attention blocks). A layer returning a tuple (a streaming block: output, state)
    contributes its first element."""
    h = output[0] if isinstance(output, tuple) else output
    if h.dim() == 2:
        return h
    if layout == "channels_last":
        h = h.movedim(-1, 1)
    return h.flatten(2).mean(2)


class LayerTap:
    """Keeps the last output of named modules (forward hooks)."""

    def __init__(self, model: nn.Module, names: Sequence[str]) -> None:
        modules = dict(model.named_modules())
        missing = [n for n in names if n not in modules]
        if missing:
            known = ", ".join(n for n in modules if n)
            raise ConfigError(
                f"distillation.align names no layer {', '.join(map(repr, missing))} of "
                f"{type(model).__name__}; its layers: {known}."
            )
        self.outputs: dict[str, Tensor | tuple[Tensor, ...]] = {}
        self.handles: list[RemovableHandle] = [
            modules[n].register_forward_hook(self._keep(n)) for n in dict.fromkeys(names)
        ]

    def _keep(self, name: str) -> Callable[[nn.Module, object, Tensor | tuple[Tensor, ...]], None]:
        def hook(module: nn.Module, args: object, output: Tensor | tuple[Tensor, ...]) -> None:
            self.outputs[name] = output

        return hook

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles, self.outputs = [], {}


class FeatureAlignment(nn.Module):
    """Learnable linear projectors from student layers to teacher layers, and their loss.

    Per pair: ``MSE(normalize(P · pooled(student layer)), normalize(pooled(teacher layer)))``, summed
    over the pairs (the L2 normalization makes layers of any scale comparable)."""

    def __init__(
        self, pairs: Sequence[AlignConfig], student_dims: Sequence[int], teacher_dims: Sequence[int]
    ):
        super().__init__()
        self.pairs = list(pairs)
        self.projectors = nn.ModuleList(
            nn.Linear(s, t) for s, t in zip(student_dims, teacher_dims, strict=True)
        )

    def forward(self, student: Sequence[Tensor], teacher: Sequence[Tensor]) -> Tensor:
        total = student[0].new_zeros(())
        for proj, s, t in zip(self.projectors, student, teacher, strict=True):
            total = total + F.mse_loss(F.normalize(proj(s.float()), dim=1), F.normalize(t.float(), dim=1))
        return total


class DistillationTask(WakeWordTask):
    """The training task with soft targets from frozen teachers (``distillation.enabled``)."""

    def __init__(
        self,
        model: WakeModel,
        recipe: Recipe,
        *,
        teachers: Sequence[Teacher],
        val_hours: float,
        steps_per_epoch: int,
        student_frames: int,
    ) -> None:
        super().__init__(model, recipe, val_hours=val_hours, steps_per_epoch=steps_per_epoch)
        self.teachers = tuple(teachers)  # a tuple: not submodules, so never trained nor checkpointed
        cfg = recipe.distillation
        self.student_tap = LayerTap(model, [p.student for p in cfg.align])
        self.teacher_taps = [
            LayerTap(t.model, [p.teacher for p in cfg.align if p.teacher_index == i])
            for i, t in enumerate(self.teachers)
        ]
        self.alignment = FeatureAlignment(cfg.align, *self._probe_dims(student_frames)) if cfg.align else None

    def _probe_dims(self, student_frames: int) -> tuple[list[int], list[int]]:
        """The pooled widths of the aligned layers, from one forward pass of zeros."""
        cfg = self.recipe.distillation
        student = self.model
        assert isinstance(student, WakeModel)
        training = student.training
        student.eval()
        with torch.no_grad():
            student(torch.zeros(1, student_frames, student.input_dim))
            for t in self.teachers:
                frames = _teacher_frames(t)
                t.model(torch.zeros(1, frames, t.model.input_dim))
        student.train(training)
        student_dims = [
            pooled(self.student_tap.outputs[p.student], p.student_layout).shape[1] for p in cfg.align
        ]
        teacher_dims = [
            pooled(self.teacher_taps[p.teacher_index].outputs[p.teacher], p.teacher_layout).shape[1]
            for p in cfg.align
        ]
        return student_dims, teacher_dims

    def on_fit_start(self) -> None:
        for t in self.teachers:
            t.model.to(self.device)

    def on_fit_end(self) -> None:
        """The trained student leaves without hooks (it is exported next); the teachers go back to the CPU."""
        self.student_tap.remove()
        for tap, t in zip(self.teacher_taps, self.teachers, strict=True):
            tap.remove()
            t.model.cpu()

    def window_logits(self, logits: Tensor, target: Tensor, end_frame: Tensor) -> Tensor:
        """``[B]``: the student's logit for the window as a detector reads it (the logit of
        :meth:`clip_scores`: the best step after the phrase for a positive, the best step anywhere
        for a negative)."""
        masked = logits.float().masked_fill(~self.positive_steps(logits, end_frame), float("-inf"))
        return torch.where(target > 0.5, masked.amax(1), logits.float().amax(1))

    def soft_targets(self, teacher_logits: Sequence[Tensor], target: Tensor) -> Tensor:
        """``[B]`` softened teacher probabilities; with two teachers, mixed per example by confidence."""
        cfg = self.recipe.distillation
        soft = torch.stack([torch.sigmoid(t / cfg.temperature) for t in teacher_logits])  # [N, B]
        if len(teacher_logits) == 1 or not cfg.confidence_weighting:
            return soft.mean(0)
        probs = torch.stack([torch.sigmoid(t) for t in teacher_logits])
        confidence = torch.where(target[None] > 0.5, probs, 1 - probs) + 1e-6
        return (soft * confidence).sum(0) / confidence.sum(0)

    def training_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> Tensor:
        x, target, weight, hard, end_frame = batch[:5]
        teacher_x = batch[5:]
        cfg = self.recipe.distillation
        task_loss, logits = self.objective(x, target, weight, hard, end_frame)
        with torch.no_grad():
            teacher_logits = [
                t.model(tx).float().amax(1) for t, tx in zip(self.teachers, teacher_x, strict=True)
            ]
        soft = self.soft_targets(teacher_logits, target)
        kd = soft_binary_kl(self.window_logits(logits, target, end_frame), soft, cfg.temperature)
        kd = (kd * weight).sum() / weight.sum()
        loss = (1 - cfg.alpha) * task_loss + cfg.alpha * kd
        if self.alignment is not None:
            student = [pooled(self.student_tap.outputs[p.student], p.student_layout) for p in cfg.align]
            teacher = [
                pooled(self.teacher_taps[p.teacher_index].outputs[p.teacher], p.teacher_layout).detach()
                for p in cfg.align
            ]
            align = self.alignment(student, teacher)
            self.log("train/align", align, batch_size=len(x))
            loss = loss + cfg.feature_weight * align
        self.log_dict({"train/task": task_loss, "train/kd": kd}, batch_size=len(x))
        self.log("train/loss", loss, prog_bar=True, batch_size=len(x))
        return loss


def _teacher_frames(teacher: Teacher) -> int:
    from wakesmith.features import create_frontend

    return create_frontend(teacher.input.features).num_frames(teacher.input.window_samples)
