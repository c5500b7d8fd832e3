"""What the main job (:func:`wakesmith.api.quickstart`) reports: one summary per trained model.

The job itself is an API verb; this module only shapes its figures, so it imports no API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from wakesmith.artifact import Artifact
from wakesmith.config import Recipe

if TYPE_CHECKING:
    from wakesmith.evaluate.cascade import CascadeReport
    from wakesmith.evaluate.report import EvalReport, PositiveSetResult

ORDINARY_STREAMS = ("speech", "unseen-speech")
"""The negative streams of ordinary speech (not confusables), from the trained engine and an unseen one."""


def _summary_sets(sets: list[PositiveSetResult]) -> list[str]:
    """The generalization sets the summary shows: whole sets, not their per-processing rows (``a/b``)."""
    return [ps.name for ps in sets if "/" not in ps.name]


@dataclass
class ModelSummary:
    role: str
    model_id: str
    path: Path
    parameters: int
    onnx_bytes: int
    threshold: float
    recall_at: dict[float, float]
    """Recall on the held-out test positives at each target FA/h counted on all test streams
    (speech + confusables; the threshold is the best one for that budget on the test streams)."""
    recall_at_speech: dict[float, float]
    """The same with false accepts counted on the ordinary-speech stream only."""
    recall_generalization: dict[str, dict[float, float]]
    """Generalization set (test-cold, test-quick, unseen-cold, unseen-warm, processed-cold) → target
    FA/h → recall, false accepts counted on ordinary speech of every engine (the speech and
    unseen-speech streams)."""
    frr: float
    """False-reject rate on the test positives at the calibrated default threshold."""
    fa_per_hour: dict[str, float]
    """False accepts per hour on each test stream (speech, confusables) at the calibrated default."""
    stream_hours: dict[str, float]
    test_positives: int
    train_seconds: float
    eval_seconds: float


@dataclass
class QuickstartSummary:
    phrase: str
    dataset: str
    home: Path
    synth_seconds: float
    models: list[ModelSummary] = field(default_factory=list)


def model_summary(
    artifact: Artifact, recipe: Recipe, report: EvalReport, *, train_seconds: float, eval_seconds: float
) -> ModelSummary:
    """The quickstart's figures of one trained, evaluated model (at its calibrated default threshold)."""
    meta = artifact.metadata
    threshold = meta.threshold("default")
    ordinary = [s.name for s in report.streams if s.name in ORDINARY_STREAMS]
    return ModelSummary(
        role=meta.role,
        model_id=meta.model_id,
        path=artifact.path,
        parameters=meta.parameters,
        onnx_bytes=artifact.onnx_path.stat().st_size,
        threshold=threshold,
        recall_at={t: report.recall_at(t) for t in recipe.eval.target_fa_per_hour},
        recall_at_speech={t: report.recall_at(t, "speech") for t in recipe.eval.target_fa_per_hour},
        recall_generalization={
            name: {t: report.recall_at(t, ordinary, positives=name) for t in recipe.eval.target_fa_per_hour}
            for name in _summary_sets(report.positive_sets)
        },
        frr=report.frr_at(threshold),
        fa_per_hour=report.stream_fa_per_hour(threshold),
        stream_hours={s.name: s.hours for s in report.streams},
        test_positives=report.positives,
        train_seconds=train_seconds,
        eval_seconds=eval_seconds,
    )


def cascade_summary(
    report: CascadeReport, judge: Artifact, targets: list[float], *, eval_seconds: float
) -> ModelSummary:
    """The cascade as one more column: sentry at its cascade cutoff → Judge at its cascade default."""
    default = next(p for p in report.operating_points if p.name == "default")
    k = report.thresholds.index(default.threshold)
    ordinary = [s.name for s in report.streams if s.name in ORDINARY_STREAMS]
    return ModelSummary(
        role="cascade",
        model_id=f"{report.sentry_id} → {report.judge_id}",
        path=judge.path,
        parameters=0,
        onnx_bytes=0,
        threshold=default.threshold,
        recall_at={t: report.recall_at(t) for t in targets},
        recall_at_speech={t: report.recall_at(t, "speech") for t in targets},
        recall_generalization={
            name: {t: report.recall_at(t, ordinary, positives=name) for t in targets}
            for name in _summary_sets(report.positive_sets)
        },
        frr=report.frr[k],
        fa_per_hour={s.name: s.fa_per_hour[k] for s in report.streams},
        stream_hours={s.name: s.hours for s in report.streams},
        test_positives=report.positives,
        train_seconds=0.0,
        eval_seconds=eval_seconds,
    )
