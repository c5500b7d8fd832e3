"""Which negatives each evaluation stream is built from (test split, validation split, calibration).

Observed on the built sets themselves: a stream's audio changes when, and only when, the clips it is
made of change.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from wakesmith.config import load_recipe
from wakesmith.data.store import ClipStore
from wakesmith.errors import DatasetError
from wakesmith.evaluate.sets import EvalSets, build_eval_sets
from wakesmith.events import null_emitter
from wakesmith.home import Home


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build(home: Home, choice: str) -> EvalSets:
    recipe = load_recipe("tiny", [f"eval.calibration_negatives={choice}"], phrase="hey katya")
    with ClipStore(home) as store:
        return build_eval_sets(store, recipe, home, null_emitter())


def _is_confusable(meta: str | dict | None) -> bool:
    info = json.loads(meta) if isinstance(meta, str) and meta else (meta or {})
    return isinstance(info, dict) and info.get("kind") == "confusable"


def _delete(home: Home, split: str, kind: str, *, every: int = 1) -> None:
    """Soft-delete every ``every``-th ``split`` negative of one kind (``confusable`` or ``speech``)."""
    with ClipStore(home) as store:
        clips = [
            c
            for c in store.clips("hey_katya", split=split, label="negative")
            if _is_confusable(c.meta) == (kind == "confusable")
        ]
        assert clips, f"the tiny dataset has {kind} negatives in its {split} split"
        for clip in clips[::every]:
            store.delete(clip.id)


@pytest.mark.parametrize(("choice", "hears_confusables"), [("all", True), ("ordinary", False)])
def test_calibration_stream_is_built_from_the_validation_negatives_the_recipe_names(
    home_copy: Home, choice: str, hears_confusables: bool
) -> None:
    before = _build(home_copy, choice)
    assert before.calibration is not None and before.calibration.is_file()
    tests_before = {name: _digest(path) for name, path in before.streams.items()}

    _delete(home_copy, "val", "confusable")
    after = _build(home_copy, choice)
    assert after.calibration is not None
    # The calibration stream hears the validation confusables exactly when the recipe says so ...
    assert (_digest(after.calibration) != _digest(before.calibration)) is hears_confusables
    # ... and the test streams never hear the validation split at all.
    assert {name: _digest(path) for name, path in after.streams.items()} == tests_before


def test_ordinary_calibration_needs_ordinary_validation_speech(home_copy: Home) -> None:
    _delete(home_copy, "val", "speech")
    with pytest.raises(DatasetError, match=r"val split.*calibration"):
        _build(home_copy, "ordinary")
    assert _build(home_copy, "all").calibration is not None  # the confusables alone still make one


def test_test_streams_are_built_from_the_test_split_by_kind(home_copy: Home) -> None:
    before = _build(home_copy, "all")
    _delete(home_copy, "test", "confusable", every=2)
    after = _build(home_copy, "all")
    # A new test-split lineage rebuilds both test streams: the speech stream hears no confusable, so
    # it comes out the same; the confusables stream lost half its clips.
    assert after.streams["speech"] != before.streams["speech"]
    assert _digest(after.streams["speech"]) == _digest(before.streams["speech"])
    assert _digest(after.streams["confusables"]) != _digest(before.streams["confusables"])
    _delete(home_copy, "test", "speech")
    with pytest.raises(DatasetError, match=r"test split.*speech stream"):
        _build(home_copy, "all")


def test_distinct_speech_fills_the_ordinary_streams_with_utterances_heard_once(home_copy: Home) -> None:
    """``eval.distinct_speech``: the split's clips once, then everyday speech by its own espeak-ng
    speakers until the stream is full — the same audio on every build; confusables never change."""
    sets = [
        "eval.calibration_negatives=ordinary",
        "eval.speech_hours=0.05",
        "eval.calibration_hours=0.05",
        "eval.unseen_engine=none",
        "eval.processed=false",
    ]
    recipe = load_recipe("tiny", sets, phrase="hey katya")
    distinct = load_recipe("tiny", [*sets, "eval.distinct_speech=true"], phrase="hey katya")
    with ClipStore(home_copy) as store:
        plain = build_eval_sets(store, recipe, home_copy, null_emitter())
        first = build_eval_sets(store, distinct, home_copy, null_emitter())
        for path in [first.streams["speech"], first.calibration]:
            assert path is not None and path.name.endswith("-distinct.wav")
        built = {name: _digest(p) for name, p in first.streams.items()}
        calibration = _digest(first.calibration)  # type: ignore[arg-type]
        for path in [*first.streams.values(), first.calibration]:
            path.unlink()  # type: ignore[union-attr]
        again = build_eval_sets(store, distinct, home_copy, null_emitter())
    assert {name: _digest(p) for name, p in again.streams.items()} == built
    assert _digest(again.calibration) == calibration  # type: ignore[arg-type]
    assert built["speech"] != _digest(plain.streams["speech"])
    assert built["confusables"] == _digest(plain.streams["confusables"])


def test_speech_runs_are_the_split_speakers_everyday_speech() -> None:
    from itertools import islice
    from random import Random

    from wakesmith.synth.evalspeech import espeak_voices, run_texts, speech_runs
    from wakesmith.synth.lexicon import read_words

    speakers = ["espeak:en-us+m3", "espeak:en-gb", "piper:joe#0", "espeak:en-us+m3"]
    assert espeak_voices(speakers) == [("en-gb", ""), ("en-us", "m3")]
    words = read_words()
    texts = list(islice(run_texts("hey katya", Random(1), words, "en"), 200))
    assert all(15 <= len(t.split()) <= 40 and "hey katya" not in t.lower() for t in texts)
    assert len(set(texts)) == len(texts)
    one, two = (list(islice(speech_runs("hey katya", speakers, seed=3, dictionary=words), 4)) for _ in "ab")
    for a, b in zip(one, two, strict=True):
        assert a.dtype == np.float32 and len(a) > 16000 and np.array_equal(a, b)
    with pytest.raises(DatasetError, match="espeak-ng speakers"):
        next(speech_runs("hey katya", ["piper:joe#0"], seed=3, dictionary=words))
