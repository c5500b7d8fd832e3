"""Typed recipes: defaults < file < overrides, unknown keys refused with a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from wakesmith.config import Recipe, list_presets, load_recipe, slugify
from wakesmith.errors import ConfigError


def test_defaults_file_overrides_precedence(tmp_path: Path) -> None:
    recipe_file = tmp_path / "r.yaml"
    recipe_file.write_text("train:\n  epochs: 7\n  lr: 0.01\n")
    assert Recipe().train.epochs == 20
    assert load_recipe(recipe_file).train.epochs == 7
    r = load_recipe(recipe_file, ["train.epochs=3"])
    assert (r.train.epochs, r.train.lr) == (3, 0.01)
    assert load_recipe(recipe_file, ["train.epochs=3"], phrase="ok nabu").phrase == "ok nabu"


@pytest.mark.parametrize(
    ("override", "suggestion"),
    [("train.epoch=3", "epochs"), ("trian.epochs=3", "train"), ("features.nmels=20", "n_mels")],
)
def test_unknown_key_is_refused_with_a_suggestion(override: str, suggestion: str) -> None:
    with pytest.raises(ConfigError, match=f"unknown key .*Did you mean '{suggestion}'"):
        load_recipe("sentry", [override])


def test_unknown_key_in_a_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  nam: sentry_tcn\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*'model\.nam'.*Did you mean 'name'"):
        load_recipe(bad)


def test_wrong_type_and_bad_values_are_explained() -> None:
    with pytest.raises(ConfigError, match=r"train\.epochs"):
        load_recipe(None, ["train.epochs=many"])
    with pytest.raises(ConfigError, match="positive integer"):
        load_recipe(None, ["train.epochs=0"])
    with pytest.raises(ConfigError, match="key=value"):
        load_recipe(None, ["train.epochs"])


def test_unknown_preset_suggests_a_known_one() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'sentry'"):
        load_recipe("sentyr")


@pytest.mark.parametrize("name", list_presets())
def test_every_preset_loads_and_round_trips(name: str, tmp_path: Path) -> None:
    recipe = load_recipe(name)
    dumped = tmp_path / "dump.yaml"
    dumped.write_text(recipe.to_yaml())
    again = load_recipe(dumped)
    assert again == recipe
    assert again.digest() == recipe.digest()


def test_optional_techniques_are_off_by_default() -> None:
    r = Recipe()
    assert r.train.ema is False
    assert r.features.cmvn is False
    assert r.augment.snr_db_final is None
    assert r.detector.vad == "none"


def test_slugify() -> None:
    assert slugify("Hey, Katya!") == "hey_katya"
    assert slugify("!!!") == "wake_word"
