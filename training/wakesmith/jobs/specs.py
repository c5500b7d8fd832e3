"""What a job runs: one typed spec per job kind, each mapped onto :mod:`wakesmith.api` calls.

The stages a training job reports, in order: ``data`` (the dataset is checked; a retrain imports the
Judge's captures first), ``train``, ``evaluate`` (calibration), ``export`` — each a
``stage_started`` … ``stage_finished`` run of events from :mod:`wakesmith.events`.

A job that changes a dataset's clips also emits :func:`dataset_event`: a synthesis when it ends (also
when it failed or was cancelled part-way, as some clips may be stored; not when it was skipped as
already done), a retrain once its import stored captures. It is the event the studio publishes for
its own dataset changes; ``/api/status`` relays it from the job's stored events under topic
``dataset``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from wakesmith import api
from wakesmith.artifact import read_current, resolve_artifact
from wakesmith.config import SynthConfig
from wakesmith.data.schema import unknown_dataset
from wakesmith.errors import ConfigError, DatasetError, WakesmithError
from wakesmith.evaluate.report import EvalReport
from wakesmith.events import Emitter, Event
from wakesmith.home import Home

DATA_STAGE = "data"
DATASET_STAGE = "dataset"
"""The stage of :func:`dataset_event`: no job runs a stage of this name."""
COMPARE_FA_PER_HOUR = 0.5
"""A trained model is compared with the current one by held-out recall at this false-accept rate."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainSpec(_Spec):
    """Train a sentry or a judge on a dataset (``POST /api/train``)."""

    dataset_id: str = Field(min_length=1, max_length=100)
    kind: Literal["sentry", "judge"] = "sentry"
    recipe: str | None = Field(default=None, max_length=200)
    """A preset name (``tiny``, ``sentry``, ``judge``…); default: the preset named like ``kind``."""
    overrides: dict[str, Any] = Field(default_factory=dict)
    """Dotted recipe keys → values, as ``--set key=value`` on the CLI (``{"train.epochs": 5}``)."""
    evaluate: bool = True
    """Calibrate the thresholds after training (needs confusables and long speech in the dataset)."""
    exports: list[str] = Field(default_factory=list)
    """Export formats to write after evaluation (``esphome`` for a ``custom_wake_words`` deploy)."""
    phrase: str = Field(default="", max_length=200)
    """The wake phrase the model is named and exported for; empty: the studio fills in the dataset's
    (the phrase it was made with, or, for a retrain, the current model's)."""

    def override_list(self) -> list[str]:
        # JSON is YAML: each value parses back to the value given.
        given = [f"dataset={self.dataset_id}"] + (
            [f"phrase={json.dumps(self.phrase)}"] if self.phrase else []
        )
        return given + [f"{k}={json.dumps(v)}" for k, v in self.overrides.items()]


class SynthSpec(_Spec):
    """Synthesize speech into a dataset (``POST /api/datasets/{id}/synthesize``)."""

    dataset_id: str
    synth: SynthConfig


class RetrainSpec(TrainSpec):
    """Import the Judge's captured hard negatives, then train (``POST /api/retrain``)."""

    dataset_id: str = ""
    kind: Literal["sentry", "judge"] = "judge"
    hard_negatives_folder: Path | None = None


JobSpec = TrainSpec | SynthSpec | RetrainSpec
SPECS: dict[str, type[_Spec]] = {"train": TrainSpec, "synthesize": SynthSpec, "retrain": RetrainSpec}


def parse_spec(kind: str, spec: dict[str, Any]) -> _Spec:
    if kind not in SPECS:
        raise ConfigError(f"Unknown job kind {kind!r}; kinds: {', '.join(SPECS)}.")
    return SPECS[kind].model_validate(spec)


def retrain_dataset(home: Home, kind: str, given: str) -> str:
    """The dataset a retrain uses: the one given, else the one the current model of ``kind`` learnt."""
    if given:
        return given
    if kind not in read_current(home):
        raise DatasetError(
            f"There is no current {kind} model to retrain; give dataset_id, or train and bless a "
            f"{kind} first."
        )
    return resolve_artifact(kind, home).metadata.dataset


def check_spec(spec: TrainSpec, home: Home) -> None:
    """Refuse a training request before it is queued: its recipe and overrides must validate and
    train the asked role; a plain training's dataset must have clips (a retrain's may still be filled
    by its import)."""
    api.load_train_recipe(spec.recipe or spec.kind, spec.override_list(), spec.kind)
    if not isinstance(spec, RetrainSpec):
        known = api.datasets(home=home)
        if not known.get(spec.dataset_id):
            raise unknown_dataset(spec.dataset_id, list(known))


def dataset_event(dataset: str, action: str, **data: Any) -> Event:
    """``dataset`` changed: a ``stage_finished`` of stage :data:`DATASET_STAGE`, ``message`` the
    action (``recording_added``, ``synthesized``…), ``data`` ``{"dataset": dataset, **data}``. The
    studio publishes it for changes it makes; a job emits it for changes the job makes."""
    return Event("stage_finished", DATASET_STAGE, message=action, data={"dataset": dataset, **data})


def changed_dataset(event: Event) -> str | None:
    """The dataset a :func:`dataset_event` names (None for any other event)."""
    dataset = event.data.get("dataset")
    if event.name != "stage_finished" or event.stage != DATASET_STAGE or not isinstance(dataset, str):
        return None
    return dataset


def run_spec(kind: str, spec: dict[str, Any], home: Home, emitter: Emitter) -> dict[str, Any]:
    """Run one job; returns its result (JSON-able). Errors propagate to the worker."""
    parsed = parse_spec(kind, spec)
    if isinstance(parsed, SynthSpec):
        summary: Any = None
        try:
            summary = api.synthesize(parsed.synth, dataset=parsed.dataset_id, home=home, emitter=emitter)
        finally:
            if summary is None:  # failed or cancelled: a batch of clips may be stored already
                emitter.emit(dataset_event(parsed.dataset_id, "synthesis_stopped"))
            elif not summary.skipped:  # a skipped synthesis had completed before: nothing changed
                emitter.emit(dataset_event(parsed.dataset_id, "synthesized", added=summary.added))
        return {"dataset_id": parsed.dataset_id, "failed": getattr(summary, "failed", 0)}
    assert isinstance(parsed, TrainSpec)
    emitter.started(DATA_STAGE, total=2)
    if isinstance(parsed, RetrainSpec):
        phrase = parsed.phrase
        if not phrase and parsed.kind in read_current(home):
            phrase = resolve_artifact(parsed.kind, home).metadata.phrase  # the wake word being retrained
        parsed = parsed.model_copy(
            update={"dataset_id": retrain_dataset(home, parsed.kind, parsed.dataset_id), "phrase": phrase}
        )
        if parsed.hard_negatives_folder is not None:
            report = api.import_captures(parsed.hard_negatives_folder, dataset=parsed.dataset_id, home=home)
            emitter.metric(
                DATA_STAGE, hard_negatives_imported=report.hard_negatives, skipped=len(report.skipped)
            )
            if report.hard_negatives or report.positives:
                emitter.emit(
                    dataset_event(
                        parsed.dataset_id,
                        "captures_imported",
                        hard_negatives=report.hard_negatives,
                        positives=report.positives,
                    )
                )
    emitter.progress(DATA_STAGE, 1, 2, "checking the dataset")
    health = api.health(parsed.dataset_id, home=home)
    for warning in health.warnings:
        emitter.warning(DATA_STAGE, warning)
    emitter.finished(DATA_STAGE, f"{health.clips} clips", clips=health.clips, by_label=health.by_label)
    recipe = api.load_train_recipe(parsed.recipe or parsed.kind, parsed.override_list(), parsed.kind)
    current = home.models / read_current(home)[parsed.kind] if parsed.kind in read_current(home) else None
    trained = api.train(recipe, home=home, emitter=emitter)
    path = trained.artifact.path
    comparison = None
    if parsed.evaluate:
        api.evaluate(path, home=home, emitter=emitter)
        comparison = compare_to_current(path, current)
    exported = [str(api.export(path, fmt, home=home, emitter=emitter)) for fmt in parsed.exports]
    return {
        "model_id": trained.artifact.model_id,
        "path": str(path),
        "best_score": trained.best_score,
        "resumed_from_step": trained.resumed_from_step,
        "exports": exported,
        "comparison": comparison,
    }


def compare_to_current(new: Path, current: Path | None) -> dict[str, Any]:
    """The new model against the one that was current when the job started, on their held-out reports:
    recall of the test positives at :data:`COMPARE_FA_PER_HOUR` on every negative stream. ``better``
    when the new recall is higher, or when there is no current model (or report) to beat.

    Each report was measured on the dataset as it was when that model was evaluated: after a retrain
    that added hard negatives, the new model's test streams hold them too, so a tie goes to the old one.
    """
    recall = EvalReport.load(new).recall_at(COMPARE_FA_PER_HOUR)
    metric = f"recall at {COMPARE_FA_PER_HOUR:g} FA/h"
    old: float | None = None
    if current is not None and current.is_dir() and current.resolve() != new.resolve():
        try:
            old = EvalReport.load(current).recall_at(COMPARE_FA_PER_HOUR)
        except WakesmithError:
            old = None  # never evaluated: nothing to beat
    better = old is None or recall > old
    return {
        "metric": metric,
        "new": round(recall, 4),
        "current": None if old is None else round(old, 4),
        "current_model": None if current is None else current.name,
        "better": better,
    }
