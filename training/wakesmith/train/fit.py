"""Run a training: build model and data from a recipe, fit with Lightning, resume, pick the best.

A run lives in ``<home>/runs/<dataset>-<role>-<recipe digest>-<dataset lineage>/``; starting the same
recipe on the same data again resumes from ``checkpoints/last.ckpt`` (written every
``train.checkpoint_every_n_steps`` steps and at every epoch end), so a killed run loses at most that
many steps. A finished run is not retrained: fitting it again just reloads the best checkpoint.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from torch import nn

from wakesmith.config import SAMPLE_RATE, Recipe
from wakesmith.data.store import ClipStore
from wakesmith.events import Emitter
from wakesmith.home import Home
from wakesmith.models import WakeModel, create_model
from wakesmith.train.data import WakeDataModule, on_cuda
from wakesmith.train.task import WakeWordTask

log = logging.getLogger(__name__)

STAGE = "train"
PROGRESS_EVERY_N_BATCHES = 10


@dataclass
class FitResult:
    model: WakeModel
    run_dir: Path
    best_checkpoint: Path
    best_score: float
    epochs: int
    resumed_from_step: int
    samples_per_second: float
    history: list[dict[str, Any]] = field(default_factory=list)


class EventCallback(Callback):
    """Translates Lightning's loop into the wakesmith event vocabulary."""

    def __init__(self, emitter: Emitter, total_steps: int) -> None:
        self.emitter = emitter
        self.total_steps = total_steps
        self.history: list[dict[str, Any]] = []
        self.samples = 0
        self.started = 0.0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.started = time.perf_counter()
        self.emitter.started(STAGE, total=self.total_steps, message=f"from step {trainer.global_step}")

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self.samples += len(batch[0])
        if trainer.global_step % PROGRESS_EVERY_N_BATCHES == 0:
            loss = trainer.callback_metrics.get("train/loss")
            msg = f"epoch {trainer.current_epoch} loss {float(loss):.4f}" if loss is not None else ""
            self.emitter.progress(STAGE, trainer.global_step, self.total_steps, msg)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Not on_validation_epoch_end: Lightning calls callbacks' epoch-end hooks before the module's,
        # where the task logs this epoch's metrics, so they would hold the previous epoch's.
        if trainer.sanity_checking:
            return
        values = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
        values["epoch"] = trainer.current_epoch
        if pl_module.device.type == "cuda":  # GPU memory telemetry: the epoch's peak, then reset
            values["gpu_memory_mib"] = torch.cuda.max_memory_allocated(pl_module.device) / 2**20
            torch.cuda.reset_peak_memory_stats(pl_module.device)
        self.history.append(values)
        self.emitter.metric(STAGE, **values)

    @property
    def samples_per_second(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.samples / elapsed if elapsed > 0 else 0.0


def run_dir_for(home: Home, recipe: Recipe, lineage: str) -> Path:
    return home.runs / f"{recipe.dataset_name}-{recipe.role}-{recipe.digest()}-{lineage[:8]}"


def _step_of(ckpt: Path) -> int:
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    return int(state.get("global_step", 0))


def build_model(recipe: Recipe) -> WakeModel:
    from wakesmith.features import create_frontend

    frontend = create_frontend(recipe.features)
    window = frontend.num_frames(round(recipe.train.clip_seconds * SAMPLE_RATE))
    return create_model(recipe.model.name, frontend.dim, window_frames=window, **recipe.model.params)


def silence_frame(recipe: Recipe) -> torch.Tensor:
    """The front end's feature frame for digital silence (after its start-up), ``[D]``."""
    from wakesmith.features import create_frontend

    frames = create_frontend(recipe.features)(np.zeros(SAMPLE_RATE, dtype=np.float32))
    return torch.from_numpy(np.ascontiguousarray(frames[-1], dtype=np.float32))


def load_weights(model: nn.Module, checkpoint: Path) -> None:
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"]
    model.load_state_dict({k.removeprefix("model."): v for k, v in state.items() if k.startswith("model.")})


def _quiet_lightning() -> None:
    """Lightning reports its set-up (GPU/TPU availability, tips) at INFO; our events say what matters."""
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=r".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=r".*does not have many workers.*")


def _prepare_run_dir(recipe: Recipe, home: Home, lineage: str) -> tuple[Path, Path]:
    """The run folder (one per recipe and dataset state), its recipe written, and its checkpoints folder."""
    run_dir = run_dir_for(home, recipe, lineage)
    ckpt_dir = run_dir / "checkpoints"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "recipe.yaml").write_text(recipe.to_yaml())
    return run_dir, ckpt_dir


def _callbacks(
    recipe: Recipe, ckpt_dir: Path, events: EventCallback
) -> tuple[list[Callback], ModelCheckpoint]:
    """Progress events, the best and the last checkpoint, and the opt-in EMA and QAT; plus the best one."""
    best = ModelCheckpoint(
        dirpath=ckpt_dir,
        filename="best",
        monitor="val/select",
        mode="max",
        save_top_k=1,
        enable_version_counter=False,
    )
    last = ModelCheckpoint(
        dirpath=ckpt_dir,
        filename="step",
        save_top_k=0,
        save_last=True,
        every_n_train_steps=recipe.train.checkpoint_every_n_steps,
        enable_version_counter=False,
    )
    callbacks: list[Callback] = [events, best, last]
    if recipe.train.ema:
        from lightning.pytorch.callbacks import EMAWeightAveraging

        callbacks.append(EMAWeightAveraging(decay=recipe.train.ema_decay))
    if recipe.qat.enabled:
        from wakesmith.train.qat import QatCallback

        callbacks.append(QatCallback(recipe.qat.start_epoch, recipe.qat.backend))
    return callbacks, best


def _trainer(recipe: Recipe, run_dir: Path, callbacks: list[Callback]) -> L.Trainer:
    return L.Trainer(
        max_epochs=recipe.train.epochs,
        accelerator=recipe.train.accelerator,
        devices=1,
        precision=recipe.train.precision,
        callbacks=callbacks,
        logger=CSVLogger(run_dir, name="logs", version=0),
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=PROGRESS_EVERY_N_BATCHES,
        default_root_dir=run_dir,
    )


def _load_best(
    model: WakeModel, recipe: Recipe, best: ModelCheckpoint, ckpt_dir: Path, resume: Path
) -> tuple[WakeModel, Path, float]:
    """The best checkpoint's weights (the last one if none was selected), in the plain architecture."""
    best_path = Path(best.best_model_path) if best.best_model_path else ckpt_dir / "best.ckpt"
    if not best_path.is_file():
        best_path = resume
    load_weights(model, best_path)
    # Back from train.channels_last, if set (torch's stubs lack the memory_format overload).
    model = model.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    if recipe.qat.enabled:
        from wakesmith.train.qat import strip_qat

        model = strip_qat(model)  # back to the plain architecture the artifact and exporters load
    model.settle_reset(silence_frame(recipe))
    model.eval()
    score = float(best.best_model_score) if best.best_model_score is not None else float("nan")
    return model, best_path, score


def _task(
    model: WakeModel, recipe: Recipe, teachers: list[Any], data: WakeDataModule, steps_per_epoch: int
) -> WakeWordTask:
    """The training task: the plain one, or with ``distillation.enabled`` the one wrapping teachers."""
    val_hours = data.val_hours(include_hard=recipe.train.select_negatives == "all")
    if not teachers:
        return WakeWordTask(model, recipe, val_hours=val_hours, steps_per_epoch=steps_per_epoch)
    from wakesmith.features import create_frontend
    from wakesmith.train.distill import DistillationTask

    frames = create_frontend(recipe.features).num_frames(round(recipe.train.clip_seconds * SAMPLE_RATE))
    return DistillationTask(
        model,
        recipe,
        teachers=teachers,
        val_hours=val_hours,
        steps_per_epoch=steps_per_epoch,
        student_frames=frames,
    )


CHANNELS_LAST_ON_CPU = (
    "train.channels_last is for CUDA devices and is ignored on the CPU (there, torch 2.13's channels-last "
    "convolution backward crashed the process); this run trains in the usual layout."
)


def fit(recipe: Recipe, store: ClipStore, home: Home, emitter: Emitter) -> FitResult:
    """Train ``recipe`` on its dataset's train split, validate on its val split, return the best model."""
    _quiet_lightning()
    L.seed_everything(recipe.train.seed, workers=True, verbose=False)
    lineage = store.lineage_hash(recipe.dataset_name)
    run_dir, ckpt_dir = _prepare_run_dir(recipe, home, lineage)

    teachers = []
    if recipe.distillation.enabled:
        from wakesmith.train.distill import load_teachers

        teachers = load_teachers(recipe.distillation.teachers, home)
    # Cached validation features are valid for one dataset state (its backgrounds shape the examples).
    data = WakeDataModule(
        store,
        recipe,
        cache_dir=home.cache / "features" / lineage[:12],
        teacher_inputs=[t.input for t in teachers],
    )
    data.setup("fit")
    steps_per_epoch = len(data.train_dataloader())
    model = build_model(recipe)
    if recipe.train.channels_last and on_cuda(recipe):
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    elif recipe.train.channels_last:
        emitter.warning(STAGE, CHANNELS_LAST_ON_CPU)
    task = _task(model, recipe, teachers, data, steps_per_epoch)
    events = EventCallback(emitter, total_steps=steps_per_epoch * recipe.train.epochs)
    callbacks, best = _callbacks(recipe, ckpt_dir, events)

    resume = ckpt_dir / "last.ckpt"
    resumed_from = _step_of(resume) if resume.is_file() else 0
    if resumed_from:
        emitter.warning(STAGE, f"resuming {run_dir.name} from step {resumed_from}")
    trainer = _trainer(recipe, run_dir, callbacks)
    trainer.fit(task, datamodule=data, ckpt_path=str(resume) if resume.is_file() else None)

    model, best_path, score = _load_best(model, recipe, best, ckpt_dir, resume)
    emitter.finished(STAGE, f"best val/select {score:.4f}", checkpoint=str(best_path))
    return FitResult(
        model=model,
        run_dir=run_dir,
        best_checkpoint=best_path,
        best_score=score,
        epochs=trainer.current_epoch,
        resumed_from_step=resumed_from,
        samples_per_second=events.samples_per_second,
        history=events.history,
    )
