"""Evaluate a model artifact the way it will run: its exported ONNX file through the streaming runtime.

1. Calibrate: score the validation positives and the calibration stream (validation speakers), pick
   the threshold of every preset (``eval.presets``: name → FA/h), store them in the artifact's
   metadata and inside the ONNX file.
2. Test: score the test positives and the test streams (``speech``, ``confusables``: speakers never
   heard in training; ``unseen-speech``: an engine never heard), the generalization sets (cold start,
   unseen engine, processed), and save the report (JSON + plots) in the artifact.
"""

from __future__ import annotations

import math
import time

import numpy as np

from wakesmith.artifact import Artifact, Threshold
from wakesmith.data.store import ClipStore
from wakesmith.evaluate.report import EvalReport, NegativeStream, PositiveScores, build_report
from wakesmith.evaluate.sets import build_eval_sets
from wakesmith.events import Emitter
from wakesmith.home import Home
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.parallel import score_file
from wakesmith.runtime.scorers import Scorer, make_scorer

STAGE = "evaluate"


def score_clips(scorer: Scorer, clips: list[np.ndarray], *, skip_s: float = 0.0) -> list[np.ndarray]:
    """Scores of each clip from a fresh stream, keeping the steps that end at or after ``skip_s``.

    Positives start with ``eval.lead_in_s`` of room noise: a detection there would be a false
    accept, not a hit, and the front end's start-up transient lives there too, so those steps are
    dropped before deciding whether the wake word was detected.
    """
    first = max(0, math.ceil((skip_s - scorer.first_end_s) / scorer.step_seconds - 1e-9))
    return [scorer.score(c)[first:] for c in clips]


def evaluate_artifact(
    artifact: Artifact, store: ClipStore, home: Home, emitter: Emitter, *, calibrate: bool = True
) -> EvalReport:
    meta = artifact.metadata
    recipe = artifact.recipe()
    sets = build_eval_sets(store, recipe, home, emitter)
    scorer = make_scorer(OnnxBackend.load(artifact.onnx_path))
    step = scorer.step_seconds
    cfg = meta.detector
    emitter.started(STAGE, total=4, message=f"scoring {artifact.onnx_path.name}")
    timings: dict[str, float] = {}

    if calibrate:
        t0 = time.perf_counter()
        assert sets.calibration is not None
        cal = build_report(
            meta.model_id,
            meta.role,
            score_clips(scorer, sets.val_positives, skip_s=recipe.eval.lead_in_s),
            [NegativeStream("calibration", [score_file(scorer, sets.calibration)])],
            cfg,
            step,
            recipe.eval,
        )
        meta.thresholds = [
            Threshold(
                name=name,
                threshold=cal.operating_point(name).threshold,
                target_fa_per_hour=target,
                fa_per_hour=cal.operating_point(name).fa_per_hour,
                recall=cal.operating_point(name).recall,
            )
            for name, target in recipe.eval.presets.items()
        ]
        meta.detector = cfg.model_copy(update={"threshold": meta.threshold("default")})
        cal.save(artifact.path / "calibration")
        artifact.update_metadata(meta)  # metadata.json and the copy inside model.onnx
        timings["calibration_s"] = time.perf_counter() - t0
        emitter.progress(STAGE, 2, 4, "calibrated")

    t1 = time.perf_counter()
    pos = score_clips(scorer, sets.test_positives, skip_s=recipe.eval.lead_in_s)
    streams = [NegativeStream(name, [score_file(scorer, path)]) for name, path in sets.streams.items()]
    generalization: dict[str, PositiveScores] = {}
    for name, ps in sets.positive_sets.items():
        scores = score_clips(scorer, ps.clips, skip_s=ps.lead_in_s)
        generalization[name] = PositiveScores(scores, ps.lead_in_s, ps.description)
        for sub, (idx, part) in ps.subsets(name).items():
            generalization[sub] = PositiveScores([scores[i] for i in idx], part.lead_in_s, part.description)
    timings["scoring_s"] = time.perf_counter() - t1
    report = build_report(
        meta.model_id,
        meta.role,
        pos,
        streams,
        meta.detector,
        step,
        recipe.eval,
        timings=timings,
        fixed_thresholds={t.name: t.threshold for t in meta.thresholds},
        budget_streams=["speech"] if recipe.eval.calibration_negatives == "ordinary" else None,
        positive_sets=generalization,
    )
    for path in report.save(artifact.path):
        emitter.saved(STAGE, str(path))
    emitter.finished(STAGE, f"default threshold {meta.threshold('default'):.3f}")
    return report
