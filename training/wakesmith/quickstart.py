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
    from wakesmith.evaluate.report import EvalReport


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
    return ModelSummary(
        role=meta.role,
        model_id=meta.model_id,
        path=artifact.path,
        parameters=meta.parameters,
        onnx_bytes=artifact.onnx_path.stat().st_size,
        threshold=threshold,
        recall_at={t: report.recall_at(t) for t in recipe.eval.target_fa_per_hour},
        recall_at_speech={t: report.recall_at(t, "speech") for t in recipe.eval.target_fa_per_hour},
        frr=report.frr_at(threshold),
        fa_per_hour=report.stream_fa_per_hour(threshold),
        stream_hours={s.name: s.hours for s in report.streams},
        test_positives=report.positives,
        train_seconds=train_seconds,
        eval_seconds=eval_seconds,
    )
