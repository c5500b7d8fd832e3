"""The evaluation report: what a model measured, in wake-word terms, as JSON plus plots.

:func:`build_report` turns scores (positive test clips, negative test streams) into an
:class:`EvalReport`; the report is plain data (JSON round trip) and draws its own plots on
:meth:`EvalReport.save`. Operating points are chosen on all negative streams together; each stream's
own FA/h at those thresholds is reported beside them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from wakesmith import __version__
from wakesmith.config import DetectorConfig, EvalConfig
from wakesmith.errors import ArtifactError, DatasetError
from wakesmith.evaluate.metrics import (
    DetCurve,
    clip_max_scores,
    confusion_matrix,
    default_thresholds,
    eer,
    fa_per_hour,
    pauc,
    recall_at_fa_per_hour,
    stream_window_max,
    threshold_for_fa_per_hour,
)
from wakesmith.fsio import atomic_write_text
from wakesmith.runtime.detector import detections_for_thresholds

REPORT_FILE = "report.json"
HISTOGRAM_BINS = 50
DEFAULT_PRESET = "default"
DEFAULT_PAUC_MAX_FA_PER_HOUR = 1.0
"""pAUC range when the config names no target; otherwise the largest target FA/h is used."""
_SAME_THRESHOLD = 1e-9


@dataclass(frozen=True)
class NegativeStream:
    """Scores of one kind of negative audio ("speech", "confusables", "background"…).

    ``scores`` holds one array per continuous recording; ``hours`` their duration (``None``: from
    the number of scores and the step).
    """

    name: str
    scores: Sequence[np.ndarray]
    hours: float | None = None


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StreamResult(_Data):
    name: str
    hours: float
    fa_per_hour: list[float]
    """FA/h at each threshold of :attr:`EvalReport.thresholds`."""
    at_operating_points: dict[str, float] = Field(default_factory=dict)
    """Operating point name → FA/h of this stream at its threshold."""


@dataclass(frozen=True)
class PositiveScores:
    """Per-step scores of one generalization set of positive clips (each from a reset state)."""

    scores: Sequence[np.ndarray]
    lead_in_s: float
    description: str


class PositiveSetResult(_Data):
    """FRR of one generalization set (cold start, unseen engine, processed) at every threshold."""

    name: str
    description: str
    count: int
    lead_in_s: float
    frr: list[float]
    """False-reject rate at each threshold of :attr:`EvalReport.thresholds`."""


class OperatingPointResult(_Data):
    name: str
    target_fa_per_hour: float
    threshold: float
    fa_per_hour: float
    """Measured on all negative streams together (a calibrated preset: on the streams it was
    calibrated for, see :func:`build_report`)."""
    recall: float
    frr: float
    met: bool


class Histogram(_Data):
    edges: list[float]
    positive: list[int]
    """Max smoothed score of each positive clip."""
    negative: list[int]
    """Max smoothed score of each clip-long window of the negative streams."""


class EvalReport(_Data):
    model_id: str
    role: str
    step_s: float
    detector: DetectorConfig
    positives: int
    """Number of positive test clips."""
    streams: list[StreamResult]
    thresholds: list[float]
    fa_per_hour: list[float]
    """All negative streams together, per threshold."""
    frr: list[float]
    operating_points: list[OperatingPointResult]
    eer: float
    """Positive clip max scores vs negative window max scores; 1.0 if no negative window was full."""
    pauc: float
    pauc_max_fa_per_hour: float
    histogram: Histogram
    confusion: list[list[int]]
    """Clip level at the default operating point: ``[[TN, FP], [FN, TP]]``, negatives = windows."""
    confusion_threshold: float
    positive_sets: list[PositiveSetResult] = Field(default_factory=list)
    """Recall beyond the held-out test speakers: cold start, unseen engine, processed variants."""
    timings: dict[str, float] = Field(default_factory=dict)
    created: str = Field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    wakesmith_version: str = __version__

    # -- lookups used by the CLI, quickstart and calibration
    def curve(self) -> DetCurve:
        """The combined DET curve as arrays."""
        return DetCurve(
            np.array(self.thresholds),
            np.array(self.fa_per_hour),
            np.array(self.frr),
            sum(s.hours for s in self.streams),
            self.positives,
        )

    def operating_point(self, name: str) -> OperatingPointResult:
        """The operating point called ``name`` (a preset such as ``default``)."""
        for point in self.operating_points:
            if point.name == name:
                return point
        known = ", ".join(p.name for p in self.operating_points)
        raise ArtifactError(f"The report has no operating point {name!r}; it has: {known}.")

    def recall_at(
        self,
        target_fa_per_hour: float,
        stream: str | Sequence[str] | None = None,
        *,
        positives: str | None = None,
    ) -> float:
        """Recall at the lowest threshold within ``target_fa_per_hour`` (0.0 if none is), counting
        false accepts on all streams together or on the named one(s), of the test positives or of
        the generalization set named ``positives``."""
        chosen = None if positives is None else self.positive_set(positives)
        frr, n = (self.frr, self.positives) if chosen is None else (chosen.frr, chosen.count)
        return recall_on(self.thresholds, self.streams, frr, n, target_fa_per_hour, stream)

    def positive_set(self, name: str) -> PositiveSetResult:
        for p in self.positive_sets:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.positive_sets) or "none"
        raise ArtifactError(f"The report has no positive set {name!r}; it has: {known}.")

    def stream_fa_per_hour(self, threshold: float) -> dict[str, float]:
        """Each stream's FA/h at the largest measured threshold not above ``threshold``."""
        k = max(0, int(np.searchsorted(self.thresholds, threshold + _SAME_THRESHOLD, side="right")) - 1)
        return {s.name: s.fa_per_hour[k] for s in self.streams}

    def frr_at(self, threshold: float) -> float:
        """False-reject rate on the positives at the largest measured threshold not above ``threshold``."""
        k = max(0, int(np.searchsorted(self.thresholds, threshold + _SAME_THRESHOLD, side="right")) - 1)
        return self.frr[k]

    # -- serialization
    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> EvalReport:
        return cls.model_validate_json(text)

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def save(self, folder: Path) -> list[Path]:
        """Write ``report.json`` and the plots into ``folder``; returns the paths written."""
        from wakesmith.evaluate.plots import save_plots  # matplotlib only when plots are drawn

        folder = Path(folder)
        paths = [atomic_write_text(folder / REPORT_FILE, self.to_json())]
        return paths + save_plots(self, folder)

    @classmethod
    def load(cls, folder: Path) -> EvalReport:
        path = Path(folder) / REPORT_FILE
        if not path.is_file():
            raise ArtifactError(
                f"{folder} has no {REPORT_FILE}; run `wakesmith evaluate` on the model first."
            )
        return cls.from_json(path.read_text())

    def summary_rows(self) -> list[tuple[str, str]]:
        """(metric, value) rows for the CLI table."""
        rows = [("role", self.role), ("test positives", str(self.positives))]
        rows += [(f"{s.name} stream", f"{s.hours:.2f} h") for s in self.streams]
        for p in self.operating_points:
            flag = "" if p.met else " (target not met)"
            rows.append(
                (
                    f"{p.name}: threshold for ≤ {p.target_fa_per_hour:g} FA/h",
                    f"{p.threshold:.4f}  FA/h {p.fa_per_hour:.2f}  recall {100 * p.recall:.1f} %{flag}",
                )
            )
            for s in self.streams:
                rows.append((f"  FA/h on {s.name}", f"{s.at_operating_points.get(p.name, float('nan')):.2f}"))
        rows += [
            ("EER (clip level)", f"{100 * self.eer:.2f} %"),
            (f"pAUC (0–{self.pauc_max_fa_per_hour:g} FA/h)", f"{self.pauc:.3f}"),
        ]
        rows += [(f"time: {k}", f"{v:.1f} s") for k, v in self.timings.items()]
        return rows


def recall_on(
    thresholds: Sequence[float],
    streams: Sequence[StreamResult],
    frr: Sequence[float],
    n_positives: int,
    target_fa_per_hour: float,
    names: str | Sequence[str] | None = None,
) -> float:
    """Recall at the lowest threshold within ``target_fa_per_hour``, counting false accepts on the
    streams called ``names`` (all when None) together; 0.0 if no threshold meets the target."""
    if names is None:
        wanted = [s.name for s in streams]
    else:
        wanted = [names] if isinstance(names, str) else list(names)
    chosen = [s for s in streams if s.name in wanted]
    missing = set(wanted) - {s.name for s in chosen}
    if missing:
        raise ArtifactError(f"The report has no stream {', '.join(sorted(missing))}.")
    hours = sum(s.hours for s in chosen)
    counts = np.sum([np.array(s.fa_per_hour) * s.hours for s in chosen], axis=0)
    curve = DetCurve(np.array(thresholds), counts / hours, np.array(frr), hours, n_positives)
    return recall_at_fa_per_hour(curve, target_fa_per_hour)


def _operating_targets(eval_cfg: EvalConfig) -> list[tuple[str, float]]:
    named = list(eval_cfg.presets.items())
    extra = [(f"{t:g} FA/h", t) for t in eval_cfg.target_fa_per_hour]
    return named + extra


@dataclass(frozen=True)
class _StreamCounts:
    """Detections per threshold and duration of each negative stream, plus the budget streams' sum."""

    counts: list[np.ndarray]
    hours: list[float]
    budget_counts: np.ndarray
    budget_hours: float


def _count_streams(
    streams: Sequence[NegativeStream],
    thr: np.ndarray,
    cfg: DetectorConfig,
    step_s: float,
    budget_streams: Sequence[str] | None,
) -> _StreamCounts:
    counts: list[np.ndarray] = []
    hours: list[float] = []
    for stream in streams:
        c = np.zeros(len(thr), dtype=np.int64)
        for scores in stream.scores:
            c += detections_for_thresholds(scores, thr, cfg, step_s)
        counts.append(c)
        n_steps = sum(len(s) for s in stream.scores)
        hours.append(stream.hours if stream.hours is not None else n_steps * step_s / 3600.0)
    budget = [i for i, st in enumerate(streams) if budget_streams is None or st.name in budget_streams]
    if not budget:
        known = ", ".join(st.name for st in streams)
        raise DatasetError(f"None of the budget streams {list(budget_streams or [])} is among: {known}.")
    budget_counts = np.sum([counts[i] for i in budget], axis=0)
    return _StreamCounts(counts, hours, budget_counts, sum(hours[i] for i in budget))


def _operating_points(
    eval_cfg: EvalConfig, curve: DetCurve, fixed: Mapping[str, float], counted: _StreamCounts
) -> list[OperatingPointResult]:
    """Each preset: at its fixed threshold (FA/h on the budget streams) or the lowest that meets it."""
    thr, frr = curve.thresholds, curve.frr

    def point(name: str, target: float) -> OperatingPointResult:
        if name not in fixed:
            return OperatingPointResult(name=name, **asdict(threshold_for_fa_per_hour(curve, target)))
        k = int(np.searchsorted(thr, fixed[name]))
        fa = fa_per_hour(int(counted.budget_counts[k]), counted.budget_hours)
        return OperatingPointResult(
            name=name,
            target_fa_per_hour=target,
            threshold=float(thr[k]),
            fa_per_hour=fa,
            recall=float(1.0 - frr[k]),
            frr=float(frr[k]),
            met=fa <= target,
        )

    return [point(name, target) for name, target in _operating_targets(eval_cfg)]


def _stream_results(
    streams: Sequence[NegativeStream],
    counted: _StreamCounts,
    thr: np.ndarray,
    points: Sequence[OperatingPointResult],
) -> list[StreamResult]:
    index = {p.name: int(np.searchsorted(thr, p.threshold)) for p in points}
    return [
        StreamResult(
            name=s.name,
            hours=h,
            fa_per_hour=[fa_per_hour(x, h) for x in c.tolist()],
            at_operating_points={name: fa_per_hour(int(c[k]), h) for name, k in index.items()},
        )
        for s, h, c in zip(streams, counted.hours, counted.counts, strict=True)
    ]


def _clip_level(
    pos_clip_scores: Sequence[np.ndarray],
    peaks: np.ndarray,
    streams: Sequence[NegativeStream],
    cfg: DetectorConfig,
    cm_threshold: float,
) -> dict[str, Any]:
    """EER, histogram and confusion matrix: negative windows as long as a typical positive clip."""
    window = max(1, int(np.median([len(s) for s in pos_clip_scores])))
    neg_windows = np.concatenate(
        [stream_window_max(s, window, cfg) for st in streams for s in st.scores] + [np.zeros(0)]
    )
    finite_pos = peaks[np.isfinite(peaks)]
    edges = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    y_true = np.concatenate([np.ones(len(peaks), bool), np.zeros(len(neg_windows), bool)])
    y_pred = np.concatenate([peaks >= cm_threshold, neg_windows >= cm_threshold])
    return {
        "eer": eer(finite_pos, neg_windows) if len(finite_pos) and len(neg_windows) else 1.0,
        "histogram": Histogram(
            edges=edges.tolist(),
            positive=np.histogram(np.clip(finite_pos, 0, 1), edges)[0].tolist(),
            negative=np.histogram(np.clip(neg_windows, 0, 1), edges)[0].tolist(),
        ),
        "confusion": confusion_matrix(y_true, y_pred).tolist(),
        "confusion_threshold": cm_threshold,
    }


def _positive_set_results(
    positive_sets: Mapping[str, PositiveScores], cfg: DetectorConfig, thr: np.ndarray
) -> list[PositiveSetResult]:
    return [
        PositiveSetResult(
            name=name,
            description=ps.description,
            count=len(ps.scores),
            lead_in_s=ps.lead_in_s,
            frr=(1.0 - (clip_max_scores(ps.scores, cfg)[:, None] >= thr[None, :]).mean(axis=0)).tolist(),
        )
        for name, ps in positive_sets.items()
    ]


def build_report(
    model_id: str,
    role: str,
    pos_clip_scores: Sequence[np.ndarray],
    streams: Sequence[NegativeStream],
    cfg: DetectorConfig,
    step_s: float,
    eval_cfg: EvalConfig | None = None,
    thresholds: np.ndarray | None = None,
    timings: dict[str, float] | None = None,
    fixed_thresholds: dict[str, float] | None = None,
    budget_streams: Sequence[str] | None = None,
    positive_sets: Mapping[str, PositiveScores] | None = None,
) -> EvalReport:
    """Measure everything the report holds from raw per-step scores.

    Positive clips are scored with a fresh detector each; each negative recording too. Operating
    points: every preset of ``eval_cfg.presets`` (by name) and every ``target_fa_per_hour``. A preset
    named in ``fixed_thresholds`` (the calibrated thresholds a model ships with) is measured at that
    threshold; the others are the lowest threshold that meets their target on these very streams
    (the usual "recall at X FA/h" figure, chosen with hindsight). A fixed preset's FA/h and ``met``
    count the streams named in ``budget_streams`` (default: all), the negatives it was calibrated on.
    ``positive_sets`` (cold start, unseen engine…) get their FRR at every threshold.
    """
    t0 = time.perf_counter()
    eval_cfg = eval_cfg or EvalConfig()
    fixed = dict(fixed_thresholds or {})
    if not streams:
        raise DatasetError("No negative test streams to measure false accepts on; add negative test clips.")
    grid = default_thresholds() if thresholds is None else np.asarray(thresholds, dtype=np.float64)
    thr = np.unique(np.concatenate([grid, np.asarray(list(fixed.values()), dtype=np.float64)]))
    peaks = clip_max_scores(pos_clip_scores, cfg)
    if len(peaks) == 0:
        raise DatasetError(
            "No positive test clips to measure recall on; add wake-word clips to the test split."
        )
    frr = 1.0 - (peaks[:, np.newaxis] >= thr[np.newaxis, :]).mean(axis=0)

    counted = _count_streams(streams, thr, cfg, step_s, budget_streams)
    total_hours = sum(counted.hours)
    combined = np.array([fa_per_hour(c, total_hours) for c in np.sum(counted.counts, axis=0).tolist()])
    curve = DetCurve(thr, combined, frr, total_hours, len(peaks))
    points = _operating_points(eval_cfg, curve, fixed, counted)
    default = next((p for p in points if p.name == DEFAULT_PRESET), None)
    clip_level = _clip_level(
        pos_clip_scores, peaks, streams, cfg, default.threshold if default else cfg.threshold
    )
    pauc_max = max((t for _, t in _operating_targets(eval_cfg)), default=DEFAULT_PAUC_MAX_FA_PER_HOUR)

    return EvalReport(
        model_id=model_id,
        role=role,
        step_s=step_s,
        detector=cfg,
        positives=len(peaks),
        streams=_stream_results(streams, counted, thr, points),
        thresholds=thr.tolist(),
        fa_per_hour=combined.tolist(),
        frr=frr.tolist(),
        operating_points=points,
        pauc=pauc(curve, pauc_max),
        pauc_max_fa_per_hour=pauc_max,
        positive_sets=_positive_set_results(positive_sets or {}, cfg, thr),
        timings={**(timings or {}), "metrics_s": time.perf_counter() - t0},
        **clip_level,
    )
