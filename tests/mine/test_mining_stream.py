"""The mining stream and the checks before any model runs: no trained model needed, seconds each."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

from wakesmith import api
from wakesmith.config import SAMPLE_RATE
from wakesmith.data import ClipStore, NewClip
from wakesmith.errors import ArtifactError, ConfigError, DatasetError
from wakesmith.events import Emitter
from wakesmith.home import Home
from wakesmith.mine import FALLBACK_SPEAKER, MineConfig, MiningStream, mining_stream

DS = "hey_katya"
HOURS = 0.005  # 18 s


def _tone(seed: int, seconds: float = 0.6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * (200 + 40 * seed) * t) + 0.01 * rng.standard_normal(t.size)).astype(
        np.float32
    )


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home.resolve(tmp_path / "home").ensure()


def _add(store: ClipStore, seed: int, label: str, split: str, kind: str = "", speaker: str = "") -> str:
    meta = {"kind": kind} if kind else {}
    clip = NewClip(DS, label, "synthetic", audio=_tone(seed), speaker=speaker, split=split, meta=meta)
    return store.add_many([clip])[0].id


def test_the_stream_is_the_train_splits_ordinary_speech_only(home: Home) -> None:
    store = ClipStore(home)
    ordinary = {
        _add(store, 1, "negative", "train", "speech", "alice"),
        _add(store, 2, "negative", "train", "", "bob"),  # imported speech: no kind
    }
    _add(store, 3, "negative", "train", "confusable", "alice")
    _add(store, 4, "hard_negative", "train", speaker="alice")
    _add(store, 5, "positive", "train", speaker="alice")
    _add(store, 6, "negative", "val", "speech", "carol")
    _add(store, 7, "negative", "test", "speech", "dave")
    _add(store, 8, "background", "train")
    stream = mining_stream(store, home, DS, hours=HOURS, emitter=Emitter())
    assert stream.path.parent == home.streams / DS and stream.path.is_file()
    assert set(stream.clip_ids) == ordinary and set(stream.speakers) == {"alice", "bob"}
    assert stream.starts[0] == 0 and np.all(np.diff(stream.starts) > 0)

    # cached: the same inputs give the same file; a layout lost (a crash after the stream) rebuilds both
    again = mining_stream(store, home, DS, hours=HOURS, emitter=Emitter())
    assert again.path == stream.path and again.clip_ids == stream.clip_ids
    stream.path.with_name(f"{stream.path.stem}.layout.json").unlink()
    rebuilt = mining_stream(store, home, DS, hours=HOURS, emitter=Emitter())
    assert np.array_equal(rebuilt.starts, stream.starts) and rebuilt.clip_ids == stream.clip_ids

    # hard negatives (what mining adds) leave the stream as it was; new speech makes a new one
    _add(store, 9, "hard_negative", "train", speaker="bob")
    assert mining_stream(store, home, DS, hours=HOURS, emitter=Emitter()).digest == stream.digest
    _add(store, 10, "negative", "train", "speech", "erin")
    assert mining_stream(store, home, DS, hours=HOURS, emitter=Emitter()).digest != stream.digest
    assert mining_stream(store, home, DS, hours=2 * HOURS, emitter=Emitter()).path != stream.path


def test_a_train_split_without_ordinary_speech_is_refused(home: Home) -> None:
    store = ClipStore(home)
    _add(store, 1, "negative", "train", "confusable", "alice")
    _add(store, 2, "negative", "val", "speech", "bob")
    with pytest.raises(DatasetError, match="train split of 'hey_katya' has no ordinary negative speech"):
        mining_stream(store, home, DS, hours=HOURS, emitter=Emitter())
    assert not list(home.streams.rglob("*.wav"))


def test_a_clip_gets_the_speaker_it_was_cut_from() -> None:
    stream = MiningStream(
        Path("s.wav"),
        "d",
        starts=np.array([0, 1000, 5000]),
        lengths=np.array([800, 3000, 1000]),
        clip_ids=["a", "b", "c"],
        speakers=["ann", "", "cy"],
    )
    assert stream.sources(500, 1500) == (["a", "b"], "ann")  # b is heard more but has no speaker
    assert stream.sources(0, 700) == (["a"], "ann")
    assert stream.sources(4100, 4400) == ([], "cy")  # a gap: the nearest clip with a speaker
    nobody = MiningStream(Path("s.wav"), "d", np.array([0]), np.array([10]), ["a"], [""])
    assert nobody.sources(0, 10) == (["a"], FALLBACK_SPEAKER)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": 0}, "mine more than 0 hours"),
        ({"hours": -1.0}, "mine more than 0 hours"),
        ({"threshold": 1.5}, "between 0 and 1"),
        ({"max_clips": 0}, "keep at least 1 clip"),
    ],
)
def test_bad_settings_are_refused_before_any_work(home: Home, kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        api.mine("no-such-model", home=home, **kwargs)


def test_an_unknown_model_is_refused(home: Home) -> None:
    with pytest.raises(ArtifactError, match=r"No model 'no-such-model'.*wakesmith models"):
        api.mine("no-such-model", home=home)


def test_the_api_defaults_are_the_configs() -> None:
    params = inspect.signature(api.mine).parameters
    for name, spec in MineConfig.model_fields.items():
        assert params[name].default == spec.default, name
