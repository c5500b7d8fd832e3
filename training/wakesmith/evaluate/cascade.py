"""The cascade evaluated as one system: the shipped sentry, the gate's trigger buffer, the Judge.

The sentry runs at its shipped cutoff over every positive clip and negative stream (the INT8 ESPHome
file in pymicro-wakeword when the caller provides it, else its float ONNX, and the report says
which). Each detection is a trigger; the Judge scores the buffer the gate would send
(:func:`wakesmith.runtime.cascade.trigger_buffer`). The cascade fires where the Judge accepts:

- a positive clip is found if any trigger after its lead-in gets a Judge score >= the Judge's
  threshold (its *cascade score* is the best one; -inf when the sentry never fired);
- every accepted trigger on a negative stream is a false accept.

The Judge's trigger thresholds are calibrated *for the cascade* on validation speakers (positives and
a speech + confusables stream), one per preset, then measured on the test sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from pydantic import BaseModel, ConfigDict, Field

from wakesmith.artifact import Artifact
from wakesmith.config import SAMPLE_RATE, DetectorConfig, EvalConfig
from wakesmith.data.store import ClipStore
from wakesmith.errors import DatasetError
from wakesmith.evaluate.metrics import DetCurve, default_thresholds, fa_per_hour, threshold_for_fa_per_hour
from wakesmith.evaluate.report import OperatingPointResult, PositiveSetResult, StreamResult, recall_on
from wakesmith.evaluate.sets import EvalSets, PositiveSet, build_eval_sets
from wakesmith.events import Emitter
from wakesmith.fsio import atomic_write_text
from wakesmith.home import Home
from wakesmith.metadata import Threshold
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.cascade import POST_ROLL_S, PRE_ROLL_S, trigger_buffer, trigger_samples
from wakesmith.runtime.parallel import score_file
from wakesmith.runtime.scorers import Scorer, WindowScorer

STAGE = "cascade"
CASCADE_FILE = "cascade.json"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SentryAlone(_Data):
    """The sentry by itself at its shipped cutoff: what the cascade is compared with."""

    recall: dict[str, float]
    """Positive set name (``test`` for the warm held-out speakers) → recall."""
    fa_per_hour: dict[str, float]
    """Stream name → FA/h (each trigger counts)."""


class CascadeReport(_Data):
    sentry_id: str
    judge_id: str
    sentry_runtime: str
    """``int8 (pymicro-wakeword)``: the ESPHome file as the satellite runs it; else the float ONNX."""
    sentry_threshold: float
    pre_roll_s: float
    post_roll_s: float
    positives: int
    thresholds: list[float]
    """The Judge's trigger threshold grid."""
    frr: list[float]
    """Held-out test positives (warm), per threshold."""
    streams: list[StreamResult]
    positive_sets: list[PositiveSetResult] = Field(default_factory=list)
    operating_points: list[OperatingPointResult]
    """Calibrated presets (on validation speakers), measured here on all test streams together."""
    sentry_alone: SentryAlone

    def recall_at(
        self, target: float, stream: str | Sequence[str] | None = None, *, positives: str | None = None
    ) -> float:
        """Cascade recall at the best Judge threshold for ``target`` FA/h on the named streams (all)."""
        chosen = (
            None if positives is None else next((p for p in self.positive_sets if p.name == positives), None)
        )
        if positives is not None and chosen is None:
            raise DatasetError(f"The cascade report has no positive set {positives!r}.")
        frr, n = (self.frr, self.positives) if chosen is None else (chosen.frr, chosen.count)
        return recall_on(self.thresholds, self.streams, frr, n, target, stream)

    def save(self, folder: Path, name: str = CASCADE_FILE) -> Path:
        return atomic_write_text(Path(folder) / name, self.model_dump_json(indent=2))


@dataclass(frozen=True)
class Triggers:
    """The Judge's score of every sentry trigger, per clip (positives) or per stream (negatives)."""

    judge_scores: list[np.ndarray]
    hours: float = 0.0


def _clip_triggers(sentry: Scorer, judge: WindowScorer, cfg: DetectorConfig, clips: PositiveSet) -> Triggers:
    skip = round(clips.lead_in_s * SAMPLE_RATE)
    out = []
    for clip in clips.clips:
        ats = [a for a in trigger_samples(sentry.score(clip), sentry, cfg) if a >= skip]
        out.append(np.array([judge.score_buffer(trigger_buffer(clip, a)) for a in ats], dtype=np.float64))
    return Triggers(out)


def _stream_triggers(sentry: Scorer, judge: WindowScorer, cfg: DetectorConfig, path: Path) -> Triggers:
    scores = score_file(sentry, path)
    ats = trigger_samples(scores, sentry, cfg)
    pre, post = round(PRE_ROLL_S * SAMPLE_RATE), round(POST_ROLL_S * SAMPLE_RATE)
    judged = []
    for a in ats:
        start = max(0, a - pre)
        audio, _ = sf.read(str(path), start=start, stop=a + post, dtype="float32")
        judged.append(judge.score_buffer(trigger_buffer(audio, a - start)))
    return Triggers(
        [np.array(judged, dtype=np.float64)], hours=sf.info(str(path)).frames / SAMPLE_RATE / 3600
    )


def _frr(per_clip: Triggers, thr: np.ndarray) -> np.ndarray:
    best = np.array([s.max() if len(s) else -np.inf for s in per_clip.judge_scores])
    return 1.0 - (best[:, None] >= thr[None, :]).mean(axis=0)


def _set_result(name: str, clips: PositiveSet, triggers: Triggers, thr: np.ndarray) -> PositiveSetResult:
    frr = _frr(triggers, thr).tolist()
    return PositiveSetResult(
        name=name, description=clips.description, count=len(clips.clips), lead_in_s=clips.lead_in_s, frr=frr
    )


def _counts(stream: Triggers, thr: np.ndarray) -> np.ndarray:
    scores = np.concatenate(stream.judge_scores) if stream.judge_scores else np.zeros(0)
    return (scores[:, None] >= thr[None, :]).sum(axis=0)


def calibrate(
    sentry: Scorer,
    judge: WindowScorer,
    cfg: DetectorConfig,
    val_positives: PositiveSet,
    calibration: Path,
    presets: dict[str, float],
) -> dict[str, OperatingPointResult]:
    """The Judge's trigger threshold for each preset (name → FA/h), chosen on validation audio."""
    thr = default_thresholds()
    frr = _frr(_clip_triggers(sentry, judge, cfg, val_positives), thr)
    stream = _stream_triggers(sentry, judge, cfg, calibration)
    fa = np.array([fa_per_hour(int(c), stream.hours) for c in _counts(stream, thr)])
    curve = DetCurve(thr, fa, frr, stream.hours, len(val_positives.clips))
    return {
        name: OperatingPointResult(name=name, **asdict(threshold_for_fa_per_hour(curve, target)))
        for name, target in presets.items()
    }


def evaluate_cascade(
    *,
    sentry: Scorer,
    sentry_label: str,
    sentry_cfg: DetectorConfig,
    judge: WindowScorer,
    sentry_id: str,
    judge_id: str,
    test: EvalSets,
    calibrated: dict[str, OperatingPointResult],
    eval_cfg: EvalConfig,
) -> CascadeReport:
    """Measure the cascade on the test sets at the calibrated Judge thresholds (and over a grid)."""
    thr = np.unique(np.concatenate([default_thresholds(), [p.threshold for p in calibrated.values()]]))
    warm = PositiveSet(test.test_positives, eval_cfg.lead_in_s, "held-out speakers, warm")
    sets = {"test": warm, **test.positive_sets}
    clip_triggers = {name: _clip_triggers(sentry, judge, sentry_cfg, ps) for name, ps in sets.items()}
    for name, ps in list(sets.items()):
        for sub, (idx, part) in ps.subsets(name).items():
            sets[sub] = part
            clip_triggers[sub] = Triggers([clip_triggers[name].judge_scores[i] for i in idx])
    stream_triggers = {
        name: _stream_triggers(sentry, judge, sentry_cfg, p) for name, p in test.streams.items()
    }
    if not stream_triggers:
        raise DatasetError("No negative test streams to measure the cascade's false accepts on.")

    streams = [
        StreamResult(
            name=name, hours=t.hours, fa_per_hour=[fa_per_hour(int(c), t.hours) for c in _counts(t, thr)]
        )
        for name, t in stream_triggers.items()
    ]
    total = sum(t.hours for t in stream_triggers.values())
    all_counts = np.sum([_counts(t, thr) for t in stream_triggers.values()], axis=0)
    frr = _frr(clip_triggers["test"], thr)
    points = []
    for name, cal in calibrated.items():
        k = int(np.searchsorted(thr, cal.threshold))
        fa = fa_per_hour(int(all_counts[k]), total)
        points.append(
            OperatingPointResult(
                name=name, target_fa_per_hour=cal.target_fa_per_hour, threshold=float(thr[k]), fa_per_hour=fa,
                recall=float(1 - frr[k]), frr=float(frr[k]), met=fa <= cal.target_fa_per_hour,
            )
        )  # fmt: skip
        for s in streams:
            s.at_operating_points[name] = s.fa_per_hour[k]
    return CascadeReport(
        sentry_id=sentry_id,
        judge_id=judge_id,
        sentry_runtime=sentry_label,
        sentry_threshold=sentry_cfg.threshold,
        pre_roll_s=PRE_ROLL_S,
        post_roll_s=POST_ROLL_S,
        positives=len(test.test_positives),
        thresholds=thr.tolist(),
        frr=frr.tolist(),
        streams=streams,
        positive_sets=[_set_result(n, sets[n], t, thr) for n, t in clip_triggers.items() if n != "test"],
        operating_points=points,
        sentry_alone=SentryAlone(
            recall={
                n: float(np.mean([len(s) > 0 for s in t.judge_scores])) for n, t in clip_triggers.items()
            },
            fa_per_hour={
                n: fa_per_hour(sum(len(s) for s in t.judge_scores), t.hours)
                for n, t in stream_triggers.items()
            },
        ),
    )


def run_cascade(
    sentry_artifact: Artifact,
    judge_artifact: Artifact,
    store: ClipStore,
    home: Home,
    emitter: Emitter,
    *,
    sentry: tuple[Scorer, str, DetectorConfig],
    ship: bool = True,
) -> CascadeReport:
    """Calibrate the Judge's trigger thresholds for the cascade and measure it. With ``ship`` the
    thresholds go into the judge artifact (``cascade_thresholds``) and the report beside them
    (``cascade.json``); without it the judge is left as it is and the report is saved as
    ``cascade-<sentry id>.json`` in the judge's folder."""
    scorer, label, cfg = sentry
    s_recipe, j_recipe = sentry_artifact.recipe(), judge_artifact.recipe()
    if s_recipe.dataset_name != j_recipe.dataset_name:
        raise DatasetError(
            f"The sentry was trained on {s_recipe.dataset_name!r}, the judge on {j_recipe.dataset_name!r}: "
            "a cascade is evaluated on one dataset's held-out speakers."
        )
    judge = WindowScorer(OnnxBackend.load(judge_artifact.onnx_path))
    emitter.started(STAGE, total=3, message=f"cascade {sentry_artifact.model_id} → {judge_artifact.model_id}")
    test = build_eval_sets(store, s_recipe, home, emitter)
    val = build_eval_sets(store, j_recipe, home, emitter)  # the judge's: val speech + confusables
    assert val.calibration is not None
    val_pos = PositiveSet(val.val_positives, j_recipe.eval.lead_in_s, "validation speakers")
    calibrated = calibrate(scorer, judge, cfg, val_pos, val.calibration, j_recipe.eval.presets)
    emitter.progress(STAGE, 1, 3, "calibrated the judge's trigger thresholds")
    report = evaluate_cascade(
        sentry=scorer, sentry_label=label, sentry_cfg=cfg, judge=judge,
        sentry_id=sentry_artifact.model_id, judge_id=judge_artifact.model_id,
        test=test, calibrated=calibrated, eval_cfg=s_recipe.eval,
    )  # fmt: skip
    if not ship:
        saved = report.save(judge_artifact.path, f"cascade-{sentry_artifact.model_id}.json")
        emitter.saved(STAGE, str(saved))
        emitter.finished(STAGE, f"cascade measured; {judge_artifact.model_id}'s thresholds left as they were")
        return report
    emitter.saved(STAGE, str(report.save(judge_artifact.path)))
    meta = judge_artifact.metadata
    meta.cascade_thresholds = [
        Threshold(name=name, threshold=p.threshold, target_fa_per_hour=p.target_fa_per_hour,
                  fa_per_hour=p.fa_per_hour, recall=p.recall)
        for name, p in calibrated.items()
    ]  # fmt: skip
    judge_artifact.update_metadata(meta)
    emitter.finished(STAGE, f"cascade default: judge threshold {calibrated['default'].threshold:.3f}")
    return report
