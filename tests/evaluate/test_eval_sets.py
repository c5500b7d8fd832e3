"""Which negatives each evaluation stream is built from (test split, validation split, calibration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wakesmith.config import load_recipe
from wakesmith.data.store import ClipStore
from wakesmith.evaluate import sets
from wakesmith.events import null_emitter
from wakesmith.home import Home


@pytest.mark.parametrize(
    ("choice", "name", "kinds"),
    [
        ("all", "calibration", {"speech", "", "confusable"}),
        ("ordinary", "calibration-speech", {"speech", ""}),
    ],
)
def test_calibration_stream_counts_the_negatives_the_recipe_names(
    home_copy: Home, monkeypatch: pytest.MonkeyPatch, choice: str, name: str, kinds: set[str]
) -> None:
    built: dict[str, tuple[str, set[str]]] = {}
    real = sets._stream

    def spy(*args: Any, **kw: Any) -> Path:
        built[kw["name"]] = (kw["split"], kw["kinds"])
        return real(*args, **kw)

    monkeypatch.setattr(sets, "_stream", spy)
    recipe = load_recipe("tiny", [f"eval.calibration_negatives={choice}"], phrase="hey katya")
    with ClipStore(home_copy) as store:
        result = sets.build_eval_sets(store, recipe, home_copy, null_emitter())
    assert built[name] == ("val", kinds)
    assert built["speech"] == ("test", {"speech", ""})
    assert built["confusables"] == ("test", {"confusable"})
    assert result.calibration is not None and result.calibration.name.startswith(f"{name}-val-")
    assert result.calibration.is_file()
