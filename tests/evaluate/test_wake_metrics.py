"""Wake-word metrics on small hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from wakesmith.config import DetectorConfig
from wakesmith.errors import DatasetError
from wakesmith.evaluate.metrics import (
    DetCurve,
    clip_detected_for_thresholds,
    confusion_matrix,
    count_false_accepts,
    default_thresholds,
    det_curve,
    eer,
    fa_per_hour,
    frr,
    pauc,
    recall,
    recall_at_fa_per_hour,
    stream_window_max,
    threshold_for_fa_per_hour,
)
from wakesmith.runtime.detector import detect

STEP = 0.1


def plain(**kw: float | int) -> DetectorConfig:
    base: dict[str, float | int] = {
        "threshold": 0.5,
        "smoothing_window": 1,
        "hysteresis": 0.1,
        "cooldown_s": 2.0,
    }
    return DetectorConfig(**{**base, **kw})  # type: ignore[arg-type]


def bursts(seconds: float, at: list[float], level: float = 0.9, length: int = 3) -> np.ndarray:
    scores = np.zeros(round(seconds / STEP))
    for t in at:
        i = round(t / STEP)
        scores[i : i + length] = level
    return scores


def test_two_bursts_one_second_apart_with_2s_cooldown_is_one_false_accept() -> None:
    stream = bursts(60.0, [10.0, 11.0])
    assert count_false_accepts(stream, plain(), STEP) == 1
    assert count_false_accepts(stream, plain(cooldown_s=0.5), STEP) == 2
    assert count_false_accepts(stream, plain(), STEP, threshold=0.95) == 0
    # One minute of audio, one false accept: 60 per hour.
    assert fa_per_hour(1, 60.0 / 3600) == pytest.approx(60.0)


def test_fa_per_hour_and_recall_basics() -> None:
    assert fa_per_hour(3, 1.5) == 2.0
    with pytest.raises(DatasetError, match="negative"):
        fa_per_hour(1, 0.0)
    detected = np.array([True, True, False, True])
    assert recall(detected) == 0.75
    assert frr(detected) == 0.25
    with pytest.raises(DatasetError, match="positive"):
        frr(np.zeros(0, dtype=bool))


def test_clip_detection_is_max_smoothed_score_and_matches_the_detector() -> None:
    rng = np.random.default_rng(0)
    thresholds = default_thresholds()
    for window, hyst, cooldown in [(1, 0.0, 0.0), (3, 0.1, 2.0), (5, 0.3, 0.5)]:
        cfg = plain(smoothing_window=window, hysteresis=hyst, cooldown_s=cooldown)
        clips = [rng.random(rng.integers(1, 40)) ** 2 for _ in range(30)]
        fast = clip_detected_for_thresholds(clips, thresholds, cfg, STEP)
        assert fast.shape == (30, len(thresholds))
        for i, clip in enumerate(clips):
            for j in range(0, len(thresholds), 7):
                c = cfg.model_copy(update={"threshold": float(thresholds[j])})
                assert fast[i, j] == (len(detect(clip, c, STEP)) > 0)
    # Smoothing matters: a lone 0.9 spike after two zeros is averaged down to 0.3.
    spike = [np.array([0.0, 0.0, 0.9, 0.0])]
    assert clip_detected_for_thresholds(
        spike, np.array([0.29, 0.31]), plain(smoothing_window=3), STEP
    ).tolist() == [[True, False]]


def test_default_thresholds_are_dense_near_one() -> None:
    thr = default_thresholds()
    assert thr[0] == 0.0 and thr[-1] == 1.0
    assert np.all(np.diff(thr) > 0)
    assert {0.5, 0.99, 0.995, 0.999, 0.9999, 0.99999, 0.999999} <= {round(t, 9) for t in thr.tolist()}
    decade = thr[(thr > 0.999) & (thr <= 0.9999)]
    assert len(decade) == 10  # ten points per decade of 1 - t near one
    assert 230 < len(thr) < 250


def test_det_curve_on_hand_example() -> None:
    # Negative stream: 1 hour of zeros with bursts at 0.6 (t=100 s) and 0.8 (t=200 s).
    neg = bursts(3600.0, [100.0], 0.6) + bursts(3600.0, [200.0], 0.8)
    # Positives: peaks 0.7, 0.9, 0.95, 0.4.
    pos = [np.array([0.1, p, 0.1]) for p in (0.7, 0.9, 0.95, 0.4)]
    thr = np.array([0.3, 0.5, 0.65, 0.85, 0.92, 0.99])
    curve = det_curve(pos, [neg], 1.0, plain(), STEP, thr)
    assert curve.fa_per_hour.tolist() == [2.0, 2.0, 1.0, 0.0, 0.0, 0.0]
    assert curve.frr.tolist() == pytest.approx([0.0, 0.25, 0.25, 0.5, 0.75, 1.0])
    assert curve.n_positives == 4 and curve.neg_hours == 1.0
    # neg_hours=None derives the duration from the stream length.
    assert det_curve(pos, [neg], None, plain(), STEP, thr).neg_hours == pytest.approx(1.0)

    op = threshold_for_fa_per_hour(curve, 1.0)
    assert (op.threshold, op.fa_per_hour, op.recall, op.met) == (0.65, 1.0, 0.75, True)
    op = threshold_for_fa_per_hour(curve, 0.5)
    assert (op.threshold, op.fa_per_hour, op.recall, op.frr) == (0.85, 0.0, 0.5, 0.5)
    assert recall_at_fa_per_hour(curve, 0.5) == 0.5
    assert recall_at_fa_per_hour(curve, 5.0) == 1.0


def test_unmet_target_reports_the_strictest_threshold() -> None:
    curve = DetCurve(np.array([0.2, 0.5, 0.9]), np.array([9.0, 5.0, 3.0]), np.array([0.0, 0.1, 0.3]), 1.0, 10)
    op = threshold_for_fa_per_hour(curve, 1.0)
    assert (op.threshold, op.fa_per_hour, op.met) == (0.9, 3.0, False)
    assert op.recall == pytest.approx(0.7)
    assert recall_at_fa_per_hour(curve, 1.0) == 0.0


def test_threshold_skips_pockets_where_fa_per_hour_is_not_monotone() -> None:
    curve = DetCurve(
        np.array([0.1, 0.2, 0.3, 0.4]), np.array([4.0, 0.5, 1.5, 0.0]), np.array([0, 0.1, 0.2, 0.3]), 1.0, 10
    )
    assert threshold_for_fa_per_hour(curve, 1.0).threshold == 0.4
    assert threshold_for_fa_per_hour(curve, 2.0).threshold == 0.2


def test_never_rearming_detector_at_threshold_zero_is_not_a_calibration() -> None:
    # Threshold 0: the smoothed score never falls below 0 - hysteresis, so the detector fires once
    # and never re-arms (1 FA in the hour) although it accepts everything.
    neg = np.random.default_rng(0).beta(0.5, 20, 36_000)
    pos = [np.full(10, 0.9)]
    curve = det_curve(pos, [neg], 1.0, plain(cooldown_s=0.5), STEP, np.array([0.0, 0.15, 0.5, 0.95]))
    assert curve.fa_per_hour[0] == 1.0 and curve.fa_per_hour[1] > 100
    op = threshold_for_fa_per_hour(curve, 2.0)
    assert (op.threshold, op.fa_per_hour, op.recall) == (0.5, 0.0, 1.0)


def test_pauc_hand_example() -> None:
    # Recall 0.5 from 0 FA/h, 0.8 from 1 FA/h, 1.0 from 3 FA/h. On [0, 2]: (0.5·1 + 0.8·1) / 2.
    curve = DetCurve(np.array([0.2, 0.5, 0.9]), np.array([3.0, 1.0, 0.0]), np.array([0.0, 0.2, 0.5]), 1.0, 10)
    assert pauc(curve, 2.0) == pytest.approx(0.65)
    assert pauc(curve, 4.0) == pytest.approx((0.5 + 0.8 * 2 + 1.0) / 4)
    perfect = DetCurve(np.array([0.5]), np.array([0.0]), np.array([0.0]), 1.0, 10)
    assert pauc(perfect, 1.0) == 1.0
    hopeless = DetCurve(np.array([0.5]), np.array([7.0]), np.array([0.0]), 1.0, 10)
    assert pauc(hopeless, 1.0) == 0.0


def test_eer_hand_examples() -> None:
    assert eer(np.array([0.8, 0.9]), np.array([0.1, 0.2])) == 0.0
    # At t=0.5: FRR 1/2 (0.4 missed), FAR 1/2 (0.5 accepted).
    assert eer(np.array([0.6, 0.4]), np.array([0.5, 0.3])) == pytest.approx(0.5)
    # Completely inverted scores: everything is wrong.
    assert eer(np.array([0.1, 0.2]), np.array([0.8, 0.9])) == pytest.approx(1.0)
    # 10 positives, 10 negatives, one overlap each: 10 %.
    pos = np.r_[np.linspace(0.6, 0.9, 9), 0.2]
    neg = np.r_[np.linspace(0.0, 0.3, 9), 0.7]
    assert eer(pos, neg) == pytest.approx(0.1)
    with pytest.raises(DatasetError):
        eer(np.zeros(0), np.array([0.1]))


def test_confusion_matrix() -> None:
    cm = confusion_matrix(np.array([1, 1, 1, 0, 0]), np.array([True, False, True, True, False]))
    assert cm.tolist() == [[1, 1], [1, 2]]
    with pytest.raises(ValueError):
        confusion_matrix(np.array([1, 0]), np.array([1]))


def test_stream_window_max() -> None:
    scores = np.array([0.1, 0.9, 0.2, 0.3, 0.0, 0.7, 0.5])
    assert stream_window_max(scores, 3, plain()).tolist() == [0.9, 0.7]
    assert stream_window_max(scores, 10, plain()).tolist() == []
