"""The main job: from a typed phrase to calibrated, exported sentry and judge models.

Every step is resumable: synthesis is skipped once it completed for the same settings, training
resumes from its last checkpoint, and a finished training is not repeated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from wakesmith.artifact import set_current
from wakesmith.config import SynthConfig, load_recipe, slugify
from wakesmith.events import Emitter
from wakesmith.home import Home


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


def run_quickstart(
    phrase: str,
    *,
    synth: SynthConfig | None,
    recipes: list[str | Path],
    overrides: list[str],
    home: Home,
    emitter: Emitter,
) -> QuickstartSummary:
    from wakesmith import api

    dataset = slugify(phrase)
    synth_cfg = (synth or SynthConfig()).model_copy(update={"phrase": phrase})
    t0 = time.perf_counter()
    api.synthesize(synth_cfg, dataset=dataset, home=home, emitter=emitter)
    summary = QuickstartSummary(phrase, dataset, home.root, time.perf_counter() - t0)

    for name in recipes:
        recipe = load_recipe(name, overrides, phrase=phrase)
        t1 = time.perf_counter()
        trained = api.train(recipe, home=home, emitter=emitter)
        t2 = time.perf_counter()
        report = api.evaluate(trained.artifact.path, home=home, emitter=emitter)
        t3 = time.perf_counter()
        meta = trained.artifact.metadata
        set_current(home, meta.role, meta.model_id)
        threshold = meta.threshold("default")
        summary.models.append(
            ModelSummary(
                role=meta.role,
                model_id=meta.model_id,
                path=trained.artifact.path,
                parameters=meta.parameters,
                onnx_bytes=trained.artifact.onnx_path.stat().st_size,
                threshold=threshold,
                recall_at={t: report.recall_at(t) for t in recipe.eval.target_fa_per_hour},
                recall_at_speech={t: report.recall_at(t, "speech") for t in recipe.eval.target_fa_per_hour},
                frr=report.frr_at(threshold),
                fa_per_hour=report.stream_fa_per_hour(threshold),
                stream_hours={s.name: s.hours for s in report.streams},
                test_positives=report.positives,
                train_seconds=t2 - t1,
                eval_seconds=t3 - t2,
            )
        )
    return summary
