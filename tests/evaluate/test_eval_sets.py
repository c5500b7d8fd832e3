"""Which negatives each evaluation stream is built from (test split, validation split, calibration).

Observed on the built sets themselves: a stream's audio changes when, and only when, the clips it is
made of change.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

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
