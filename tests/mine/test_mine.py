"""``wakesmith mine``: a tiny evaluated sentry's false accepts become train-split hard negatives.

One sentry is trained and evaluated per module (about 20 s on two cores); each test mines in a
private copy of that home. The sentry barely trained, so a threshold at the median of its smoothed
scores on the mining stream fires over and over (a threshold near 0 would fire once: the detector
re-arms only when the score falls ``hysteresis`` below the threshold).
"""

from __future__ import annotations

import json
import shlex
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from wakesmith import api
from wakesmith.artifact import Artifact
from wakesmith.cli.main import app
from wakesmith.config import SAMPLE_RATE, load_recipe
from wakesmith.data.store import ClipStore
from wakesmith.errors import ArtifactError, ConfigError
from wakesmith.events import Emitter
from wakesmith.home import Home
from wakesmith.mine import LEAD_S, MineConfig, mine_hard_negatives, mining_stream
from wakesmith.runtime import OnnxBackend, make_scorer
from wakesmith.runtime.detector import smooth_scores
from wakesmith.runtime.parallel import score_file
from wakesmith.train.data import load_items

pytestmark = pytest.mark.slow

DS = "hey_katya"
HOURS = 0.05  # three minutes of the train split's speech
OVERRIDES = [
    "train.epochs=1",
    "train.samples_per_epoch=64",
    "train.batch_size=16",
    "train.num_workers=0",
    "eval.unseen_engine=none",
    "eval.processed=false",
]


@dataclass(frozen=True)
class Trained:
    home: Home
    model_id: str
    run_name: str
    threshold: float


@pytest.fixture(scope="module")
def trained(tiny_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    root = tmp_path_factory.mktemp("mine") / "home"
    shutil.copytree(tiny_home.root, root, ignore=shutil.ignore_patterns("runs", "models", "streams"))
    home = Home.resolve(root).ensure()
    summary = api.train("tiny", overrides=OVERRIDES, home=home)
    api.evaluate(summary.artifact.path, home=home)
    stream = mining_stream(ClipStore(home), home, DS, hours=HOURS, emitter=Emitter())
    scorer = make_scorer(OnnxBackend.load(summary.artifact.onnx_path))
    smoothed = smooth_scores(score_file(scorer, stream.path), summary.metadata.detector.smoothing_window)
    threshold = round(float(np.median(smoothed)), 3)
    return Trained(home, summary.artifact.model_id, summary.run_dir.name, threshold)


@pytest.fixture
def home(trained: Trained, tmp_path: Path) -> Home:
    """A private copy of the trained home (model, stream cache and all but the training runs)."""
    shutil.copytree(trained.home.root, tmp_path / "home", ignore=shutil.ignore_patterns("runs"))
    return Home.resolve(tmp_path / "home").ensure()


def _mined(store: ClipStore, split: str | None = None) -> list:
    return [c for c in store.clips(DS, split=split) if c.source == "mined"]


def test_false_accepts_become_train_hard_negatives_once(trained: Trained, home: Home) -> None:
    store = ClipStore(home)
    held_out = {s: store.lineage_hash(DS, split=s) for s in ("val", "test")}
    speakers = {c.speaker for c in store.clips(DS, split="train")}

    report = api.mine(trained.model_id, hours=HOURS, threshold=trained.threshold, home=home)
    assert report.clips_added > 0 and report.already_present == 0 and report.beyond_cap == 0
    assert report.false_accepts == report.clips_added and report.preset == "custom"
    assert report.stream_hours == pytest.approx(HOURS, rel=0.01)
    assert report.fa_per_hour == pytest.approx(report.false_accepts / report.stream_hours)
    assert report.recipe == home.models / trained.model_id / "recipe.yaml"

    mined = _mined(store)
    assert sorted(c.id for c in mined) == sorted(report.clip_ids)
    assert {(c.label, c.split) for c in mined} == {("hard_negative", "train")}
    assert not _mined(store, "val") and not _mined(store, "test")
    assert {s: store.lineage_hash(DS, split=s) for s in ("val", "test")} == held_out  # untouched
    assert {c.speaker for c in mined} <= speakers  # the train speakers the speech came from
    longest = 2.0 + LEAD_S  # the tiny recipe's train.clip_seconds, plus the run-up
    assert max(c.duration_s for c in mined) == pytest.approx(longest)
    info = mined[0].meta_dict()["mined"]
    assert info["model_id"] == trained.model_id and info["score"] >= trained.threshold
    assert info["end_s"] - info["start_s"] == pytest.approx(mined[0].duration_s, abs=1 / SAMPLE_RATE)
    assert info["stream"] == report.stream.name

    # a re-split moves each mined clip with its speaker: they stay in train
    store.assign_splits(DS)
    assert {c.split for c in _mined(store)} == {"train"}

    again = api.mine(trained.model_id, hours=HOURS, threshold=trained.threshold, home=home)
    assert (again.clips_added, again.already_present) == (0, report.clips_added)
    assert again.false_accepts == report.false_accepts and len(_mined(store)) == report.clips_added


def test_retraining_with_the_same_recipe_is_a_new_run_on_the_mined_clips(
    trained: Trained, home: Home
) -> None:
    report = api.mine(trained.model_id, hours=HOURS, threshold=trained.threshold, home=home)
    assert report.clips_added > 0
    recipe = load_recipe(report.recipe)  # what `wakesmith mine` tells you to train next
    assert recipe.digest() == load_recipe("tiny", OVERRIDES).digest()
    items = {i.clip_id: i for i in load_items(ClipStore(home), recipe, "train")}
    assert all(items[cid].kind == "hard_negative" for cid in report.clip_ids)
    assert {items[cid].weight for cid in report.clip_ids} == {recipe.train.hard_negative_weight}

    summary = api.train(report.recipe, home=home)
    assert summary.run_dir.name != trained.run_name  # the dataset's lineage changed
    assert (
        summary.metadata.dataset_lineage != Artifact(home.models / trained.model_id).metadata.dataset_lineage
    )


def test_max_clips_keeps_the_highest_scoring(trained: Trained, home: Home) -> None:
    report = api.mine(trained.model_id, hours=HOURS, threshold=trained.threshold, max_clips=2, home=home)
    assert report.clips_added == 2 and report.beyond_cap == report.false_accepts - 2 > 0
    everything = api.mine(trained.model_id, hours=HOURS, threshold=trained.threshold, home=home)
    assert everything.already_present == 2
    scores = sorted((c.meta_dict()["mined"]["score"] for c in _mined(ClipStore(home))), reverse=True)
    kept = {c.meta_dict()["mined"]["score"] for c in _mined(ClipStore(home)) if c.id in report.clip_ids}
    assert kept == set(scores[:2])


def test_an_uncalibrated_model_is_refused(trained: Trained, home: Home) -> None:
    source = home.models / trained.model_id
    bare = home.models / "uncalibrated"
    shutil.copytree(source, bare)
    meta = json.loads((bare / "metadata.json").read_text())
    (bare / "metadata.json").write_text(json.dumps({**meta, "model_id": "uncalibrated", "thresholds": []}))
    with pytest.raises(ArtifactError, match=r"not calibrated.*run `wakesmith evaluate uncalibrated` first"):
        api.mine("uncalibrated", home=home)
    with pytest.raises(ArtifactError, match="not calibrated"):  # a threshold of one's own does not help
        api.mine("uncalibrated", threshold=0.5, home=home)
    assert not _mined(ClipStore(home))


def test_an_unknown_preset_names_the_presets(trained: Trained, home: Home) -> None:
    with pytest.raises(ConfigError, match=r"no 'strickt' threshold\. Did you mean 'strict'"):
        api.mine(trained.model_id, preset="strickt", home=home)


class FailingStore(ClipStore):
    """Fails after the clips' audio is durable, before their rows commit (a crash mid-mining)."""

    def _write_files(self, pcm_by_path: dict[str, bytes]) -> None:
        super()._write_files(pcm_by_path)
        raise RuntimeError("power cut")


def test_a_failure_while_adding_leaves_nothing_half_written(trained: Trained, home: Home) -> None:
    artifact = Artifact(home.models / trained.model_id)
    before = ClipStore(home).files.stored()
    cfg = MineConfig(hours=HOURS, threshold=trained.threshold)
    with pytest.raises(RuntimeError, match="power cut"):
        mine_hard_negatives(artifact, FailingStore(home), home, cfg, Emitter())
    store = ClipStore(home)
    assert not _mined(store) and store.files.stored() == before
    assert api.mine(trained.model_id, hours=HOURS, threshold=trained.threshold, home=home).clips_added > 0


def test_cli_prints_the_report_and_the_next_command(trained: Trained, home: Home) -> None:
    args = ["mine", trained.model_id, "--home", str(home.root), "--hours", str(HOURS)]
    result = CliRunner().invoke(app, [*args, "--threshold", str(trained.threshold), "--max-clips", "3"])
    assert result.exit_code == 0, result.output
    assert "clips added" in result.output and "FA/h on the mining stream" in result.output
    line = next(x for x in result.output.splitlines() if x.startswith("next: "))
    recipe = home.models / trained.model_id / "recipe.yaml"
    assert shlex.split(line.removeprefix("next: ")) == [
        "wakesmith",
        "train",
        str(recipe),
        "--home",
        str(home.root),
    ]
    assert Counter(c.split for c in _mined(ClipStore(home))) == {"train": 3}

    again = CliRunner().invoke(app, [*args, "--threshold", str(trained.threshold), "--max-clips", "3"])
    assert again.exit_code == 0 and "no new hard negatives" in again.output and "next:" not in again.output
    bad = CliRunner().invoke(app, [*args[:-1], "0"])
    assert bad.exit_code == 2 and "mine more than 0 hours" in bad.output and "Traceback" not in bad.output
