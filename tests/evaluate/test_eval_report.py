"""The evaluation report: built from scores, JSON round trip, plots on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wakesmith.config import DetectorConfig, EvalConfig
from wakesmith.errors import ArtifactError, DatasetError
from wakesmith.evaluate.report import REPORT_FILE, EvalReport, NegativeStream, build_report

STEP = 0.1
MIN_PNG_BYTES = 5_000


def _stream(hours: float, burst_at_s: list[float], level: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scores = rng.beta(0.5, 20, int(hours * 3600 / STEP))
    for t in burst_at_s:
        i = int(t / STEP)
        scores[i : i + 5] = level
    return scores


def _build(**extra: Any) -> EvalReport:
    rng = np.random.default_rng(0)
    # 40 positive clips (1.5 s): 36 peak near 0.95, 4 are missed (peak ~0.3).
    peaks = np.r_[rng.uniform(0.9, 0.99, 36), rng.uniform(0.25, 0.35, 4)]
    pos = []
    for p in peaks:
        clip = rng.beta(0.5, 20, 15)
        clip[10:14] = p
        pos.append(clip)
    # Speech: 30 min, three false accepts at 0.7; confusables: 30 min, bursts at 0.8 and 0.97.
    streams = [
        NegativeStream("speech", [_stream(0.5, [100, 500, 900], 0.7, 1)]),
        NegativeStream(
            "confusables", [_stream(0.25, [60], 0.8, 2), _stream(0.25, [300], 0.97, 3)], hours=0.5
        ),
    ]
    cfg = DetectorConfig(smoothing_window=1, hysteresis=0.1, cooldown_s=2.0)
    eval_cfg = EvalConfig(
        presets={"sensitive": 10.0, "default": 1.5, "strict": 0.1}, target_fa_per_hour=[1.0]
    )
    return build_report(
        "hey_katya-sentry-test",
        "sentry",
        pos,
        streams,
        cfg,
        STEP,
        eval_cfg,
        timings={"scoring_s": 1.5},
        **extra,
    )


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return _build()


def test_presets_with_a_calibrated_threshold_are_measured_at_it() -> None:
    # 0.7777 (off the grid): above the speech bursts (0.7), below both confusable bursts (0.8, 0.97).
    fixed = _build(fixed_thresholds={"default": 0.7777})
    default = fixed.operating_point("default")
    assert default.threshold == 0.7777 and 0.7777 in fixed.thresholds
    assert (default.fa_per_hour, default.recall, default.met) == (2.0, 0.9, False)  # budget 1.5 FA/h
    assert fixed.streams[0].at_operating_points["default"] == 0.0
    assert fixed.streams[1].at_operating_points["default"] == 4.0
    assert fixed.confusion_threshold == 0.7777
    # The other presets are still chosen on these streams.
    assert fixed.operating_point("strict").threshold > 0.97
    # Calibrated on ordinary speech only: the budget counts the speech stream.
    speech_only = _build(fixed_thresholds={"default": 0.7777}, budget_streams=["speech"])
    point = speech_only.operating_point("default")
    assert (point.fa_per_hour, point.met) == (0.0, True)
    assert speech_only.fa_per_hour == fixed.fa_per_hour  # the curves still count every stream
    with pytest.raises(DatasetError, match="budget streams"):
        _build(fixed_thresholds={"default": 0.5}, budget_streams=["kitchen"])


def test_report_measures_the_hand_built_scores(report: EvalReport) -> None:
    assert report.positives == 40
    assert [(s.name, s.hours) for s in report.streams] == [("speech", 0.5), ("confusables", 0.5)]
    # All five bursts fire at a threshold of 0.5: 5 FA in 1 h; speech alone 3 FA in 0.5 h.
    k = report.thresholds.index(0.5)
    assert report.fa_per_hour[k] == pytest.approx(5.0)
    assert report.stream_fa_per_hour(0.5) == pytest.approx({"speech": 6.0, "confusables": 4.0})
    assert report.stream_fa_per_hour(0.5025) == report.stream_fa_per_hour(0.5)  # grid point below
    # Within 1.5 FA/h: above the 0.8 burst, below the 0.97 one; recall 36/40.
    default = report.operating_point("default")
    assert 0.8 < default.threshold <= 0.9
    assert (default.fa_per_hour, default.recall, default.met) == (1.0, 0.9, True)
    assert report.streams[0].at_operating_points["default"] == 0.0
    assert report.streams[1].at_operating_points["default"] == 2.0
    # 0.1 FA/h: above 0.97; only some positives remain.
    strict = report.operating_point("strict")
    assert strict.threshold > 0.97 and strict.fa_per_hour == 0.0 and strict.recall < 0.5
    assert report.operating_point("1 FA/h").threshold == default.threshold
    assert report.recall_at(1.5) == 0.9
    assert report.recall_at(0.0) == strict.recall
    assert 0.0 <= report.eer < 0.15
    assert 0.5 < report.pauc < 1.0 and report.pauc_max_fa_per_hour == 10.0
    assert sum(report.histogram.positive) == 40
    (tn, fp), (fn, tp) = report.confusion
    assert (fn, tp) == (4, 36) and fp <= 2 and tn > 1000
    assert report.timings["scoring_s"] == 1.5 and report.timings["metrics_s"] > 0
    with pytest.raises(ArtifactError, match="default"):
        report.operating_point("nope")


def test_json_round_trip(report: EvalReport) -> None:
    again = EvalReport.from_json(report.to_json())
    assert again == report
    assert json.loads(report.to_json())["operating_points"][1]["name"] == "default"
    assert again.curve().frr.tolist() == report.frr


def test_save_writes_json_and_nontrivial_plots(report: EvalReport, tmp_path: Path) -> None:
    paths = report.save(tmp_path / "model")
    names = sorted(p.name for p in paths)
    assert names == ["confusion.png", "det.png", REPORT_FILE, "scores.png"]
    for p in paths:
        if p.suffix == ".png":
            data = p.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            assert len(data) > MIN_PNG_BYTES, f"{p.name} is only {len(data)} bytes"
    assert EvalReport.load(tmp_path / "model") == report
    assert not [p for p in (tmp_path / "model").iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(ArtifactError, match="evaluate"):
        EvalReport.load(tmp_path)


def test_summary_rows(report: EvalReport) -> None:
    rows = dict(report.summary_rows())
    assert rows["test positives"] == "40"
    assert rows["speech stream"] == "0.50 h"
    assert "recall 90.0 %" in rows["default: threshold for ≤ 1.5 FA/h"]
    assert "EER (clip level)" in rows


def test_empty_inputs_are_refused() -> None:
    cfg = DetectorConfig()
    with pytest.raises(DatasetError, match="positive"):
        build_report("m", "sentry", [], [NegativeStream("speech", [np.zeros(100)])], cfg, STEP)
    with pytest.raises(DatasetError, match="negative"):
        build_report("m", "sentry", [np.ones(10)], [], cfg, STEP)
