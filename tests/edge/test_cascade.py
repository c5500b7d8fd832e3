"""The cascade as one system: the INT8 sentry in pymicro-wakeword → the gate's buffer → the Judge."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from wakesmith import api
from wakesmith.artifact import Artifact, set_current
from wakesmith.config import SAMPLE_RATE, DetectorConfig
from wakesmith.evaluate.cascade import CASCADE_FILE, CascadeReport
from wakesmith.home import Home
from wakesmith.metadata import ONNX_METADATA_KEY, ModelMetadata
from wakesmith.runtime.cascade import POST_ROLL_S, PRE_ROLL_S, trigger_buffer, trigger_samples

pytestmark = pytest.mark.slow

JUDGE = [
    "model.params={channels: 8, blocks: 1}",
    "train.epochs=1",
    "train.samples_per_epoch=64",
    "train.batch_size=32",
    "train.num_workers=0",
    "eval.speech_hours=0.02",
    "eval.confusable_hours=0.02",
    "eval.calibration_hours=0.02",
    "eval.unseen_positives=6",
    "eval.unseen_speech_clips=6",
    "eval.unseen_speech_hours=0.02",
]


class _Steps:
    """A scorer stand-in with the StreamingScorer's time grid (30 ms steps, first ends at 30 ms)."""

    step_seconds = 0.03
    first_end_s = 0.03


def test_trigger_buffer_is_the_gates_pre_and_post_roll() -> None:
    audio = np.arange(10 * SAMPLE_RATE, dtype=np.float32)
    at = 5 * SAMPLE_RATE
    buf = trigger_buffer(audio, at)
    assert len(buf) == round((PRE_ROLL_S + POST_ROLL_S) * SAMPLE_RATE)
    assert buf[0] == at - PRE_ROLL_S * SAMPLE_RATE and buf[-1] == at + POST_ROLL_S * SAMPLE_RATE - 1
    assert len(trigger_buffer(audio, SAMPLE_RATE)) == round((1 + POST_ROLL_S) * SAMPLE_RATE)  # stream start
    scores = np.zeros(100)
    scores[40:44] = 0.9
    cfg = DetectorConfig(threshold=0.5, smoothing_window=1)
    assert trigger_samples(scores, _Steps(), cfg) == [round((0.03 + 40 * 0.03) * SAMPLE_RATE)]


@pytest.fixture(scope="module")
def cascade(trained_sentry: Artifact, edge_home: Home) -> tuple[CascadeReport, Artifact]:
    api.evaluate(trained_sentry.path, home=edge_home)
    judge = api.train("judge", overrides=JUDGE, home=edge_home).artifact
    api.evaluate(judge.path, home=edge_home)
    return api.evaluate_cascade(trained_sentry.path, judge.path, home=edge_home), judge


def test_cascade_runs_the_int8_sentry_and_only_removes_triggers(cascade) -> None:  # type: ignore[no-untyped-def]
    report, _ = cascade
    assert report.sentry_runtime.startswith("int8 (pymicro-wakeword)")
    assert {s.name for s in report.streams} == {"speech", "confusables", "unseen-speech"}
    assert {p.name for p in report.positive_sets} >= {"test-cold", "unseen-cold"}
    # The Judge can only reject: the cascade never fires more than the sentry alone, on any stream.
    for s in report.streams:
        assert max(s.fa_per_hour) <= report.sentry_alone.fa_per_hour[s.name] + 1e-9, s.name
    # ... and never finds a positive the sentry missed; with a threshold of 0 it accepts every trigger.
    assert report.thresholds[0] == 0.0
    assert 1 - report.frr[0] == pytest.approx(report.sentry_alone.recall["test"])
    assert all(1 - f <= report.sentry_alone.recall["test"] + 1e-9 for f in report.frr)
    for p in report.positive_sets:
        assert 1 - p.frr[0] == pytest.approx(report.sentry_alone.recall[p.name])
    # The processed set is also reported one processing at a time; the rows partition it.
    whole = next(p for p in report.positive_sets if p.name == "processed-cold")
    parts = [p for p in report.positive_sets if p.name.startswith("processed-cold/")]
    assert {p.name for p in parts} >= {"processed-cold/level", "processed-cold/tempo"}
    assert sum(p.count for p in parts) == whole.count


def test_cascade_thresholds_ship_in_the_judge(cascade) -> None:  # type: ignore[no-untyped-def]
    report, judge = cascade
    meta = Artifact(judge.path).metadata
    assert [t.name for t in meta.cascade_thresholds] == ["sensitive", "default", "strict"]
    by_name = {p.name: p.threshold for p in report.operating_points}
    assert {t.name: t.threshold for t in meta.cascade_thresholds} == by_name
    embedded = {p.key: p.value for p in onnx.load(str(judge.onnx_path)).metadata_props}[ONNX_METADATA_KEY]
    assert ModelMetadata.from_json(embedded).cascade_thresholds == meta.cascade_thresholds
    saved = CascadeReport.model_validate_json((judge.path / CASCADE_FILE).read_text())
    assert saved == report
    assert json.loads(saved.model_dump_json())["sentry_threshold"] == report.sentry_threshold


def test_another_sentrys_cascade_is_reported_without_changing_the_judge(  # type: ignore[no-untyped-def]
    cascade, trained_sentry: Artifact, edge_home: Home, tmp_path
) -> None:
    """The judge's cascade thresholds belong to the sentry deployed beside it: a cascade with a sentry
    that is not the current one (an experiment) is measured and saved apart, the judge left as it was."""
    _, judge = cascade
    before = {p.name: p.read_bytes() for p in judge.path.iterdir() if p.is_file()}
    assert not api.is_current(trained_sentry, home=edge_home)  # trained, evaluated, never blessed
    report = api.evaluate_cascade(trained_sentry.path, judge.path, home=edge_home, ship=False)
    after = {p.name: p.read_bytes() for p in judge.path.iterdir() if p.is_file()}
    side = f"cascade-{trained_sentry.model_id}.json"
    assert CascadeReport.model_validate_json(after.pop(side)) == report
    assert after == before  # metadata, ONNX file and cascade.json untouched
    elsewhere = Home(tmp_path)
    set_current(elsewhere, "sentry", trained_sentry.model_id)
    assert api.is_current(trained_sentry, home=elsewhere)


def test_the_judge_verifies_triggers_at_its_cascade_threshold(cascade) -> None:  # type: ignore[no-untyped-def]
    from wakesmith.judge.engine import JudgeModel
    from wakesmith.judge.settings import ModelSettings

    report, judge = cascade
    model = JudgeModel(ModelSettings(path=judge.onnx_path))
    default = next(p.threshold for p in report.operating_points if p.name == "default")
    assert model.trigger_threshold == pytest.approx(default)
    assert model.threshold == pytest.approx(Artifact(judge.path).metadata.threshold("default"))
    pinned = JudgeModel(ModelSettings(path=judge.onnx_path, threshold=0.42))
    assert pinned.trigger_threshold == pinned.threshold == 0.42


def test_the_cascade_runs_the_sentry_at_its_cascade_preset(
    cascade, trained_sentry: Artifact, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A sentry calibrated with a ``cascade`` preset (the sentry recipe's) runs at that manifest's cutoff
    in front of the Judge; without one, at the default manifest's (the tiny recipe has none)."""
    import shutil

    from wakesmith.events import null_emitter

    copy = Artifact(shutil.copytree(trained_sentry.path, tmp_path / trained_sentry.model_id))
    manifest = sorted(p for p in (copy.path / "esphome").glob("*.json") if p.name.count(".") == 1)[0]
    _, label, cfg = api._shipped_sentry(copy, null_emitter())
    assert label == f"int8 (pymicro-wakeword), {manifest.name}"
    assert cfg.threshold == json.loads(manifest.read_text())["micro"]["probability_cutoff"]
    doc = json.loads(manifest.read_text())
    doc["micro"]["probability_cutoff"] = 0.42
    stem = manifest.name.split(".")[0]
    (manifest.parent / f"{stem}.{api.CASCADE_PRESET}.json").write_text(json.dumps(doc))
    _, label, cfg = api._shipped_sentry(copy, null_emitter())
    assert label.endswith(f"{stem}.cascade.json") and cfg.threshold == 0.42
