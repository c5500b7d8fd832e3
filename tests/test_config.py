"""Typed recipes: defaults < file < overrides, unknown keys refused with a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from wakesmith.config import Recipe, SynthConfig, list_presets, load_recipe, slugify, validate
from wakesmith.data.store import ClipStore
from wakesmith.errors import ConfigError
from wakesmith.home import Home


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


OPTIONAL_TECHNIQUES_OFF: dict[str, object] = {
    "train.ema": False,
    "train.negative_context_p": 0.0,
    "train.cold_start_p": 0.0,
    "train.max_epochs_without_improvement": None,
    "train.class_weights": "none",
    "qat.enabled": False,
    "size_target.max_flash_kb": None,
    "size_target.max_arena_kb": None,
    "features.cmvn": False,
    "augment.level_dbfs": None,
    "augment.snr_db_final": None,
    "augment.tempo_p": 0.0,
    "detector.vad": "none",
}
"""Every opt-in technique of the recipe and the value that switches it off (its default)."""

TECHNIQUE_SECTIONS_PRESENT_BUT_OFF = [
    # Each technique's section written out, switched off, with its *other* settings away from their
    # defaults: none of them may reach the training while the technique is off.
    "qat.enabled=false",
    "qat.start_epoch=1",
    "train.ema=false",
    "train.ema_decay=0.5",
    "train.negative_context_p=0.0",
    "train.cold_start_p=0.0",
    "train.cold_lead_s=[0.3, 0.4]",
    "size_target.max_flash_kb=null",
    "size_target.max_arena_kb=null",
    "augment.snr_db_final=null",
    "augment.tempo_p=0.0",
    "augment.tempo=[0.5, 0.6]",
    # the losses' own settings with the plain BCE objective
    "loss.loss_function=bce",
    "loss.label_smoothing=0.3",
    "loss.triplet_margin=0.7",
    "loss.triplet_start_epoch=2",
    # distillation off, with a teacher named that does not even exist (it must never be loaded)
    "distillation.enabled=false",
    "distillation.teachers=[no-such-model]",
    "distillation.alpha=0.9",
]


def _get(recipe: Recipe, dotted: str) -> object:
    node: object = recipe
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


@pytest.mark.parametrize(("key", "off"), OPTIONAL_TECHNIQUES_OFF.items())
def test_optional_techniques_are_off_by_default(key: str, off: object) -> None:
    assert _get(Recipe(), key) == off
    # ... and in every shipped preset but the ones that opt in on purpose
    assert _get(load_recipe("tiny"), key) == off


def test_synth_settings_refuse_a_language_they_cannot_speak() -> None:
    with pytest.raises(ConfigError, match="language 'nl' is not supported; pick one of en, de, fr"):
        validate(SynthConfig, {"phrase": "hoi katja", "language": "nl"}, "synthesis settings")


def _one_step(home: Home, overrides: list[str]) -> dict[str, torch.Tensor]:
    from wakesmith.events import Emitter
    from wakesmith.train.fit import fit

    steps = ["train.epochs=1", "train.samples_per_epoch=16", "train.batch_size=16", "train.seed=3"]
    recipe = load_recipe("tiny", steps + overrides)
    with ClipStore(home) as store:
        result = fit(recipe, store, home, Emitter())
    assert result.epochs == 1
    return {k: v.detach().clone() for k, v in result.model.state_dict().items()}


@pytest.mark.slow
def test_techniques_switched_off_train_exactly_like_the_plain_pipeline(home_copy: Home) -> None:
    """One seeded training step with every technique's section present (and off) gives the weights
    of the recipe without those sections, bit for bit; the step did move the weights."""
    from wakesmith.train.fit import build_model

    plain = _one_step(home_copy, [])
    with_sections = _one_step(home_copy, TECHNIQUE_SECTIONS_PRESENT_BUT_OFF)
    assert plain.keys() == with_sections.keys()
    for name, value in plain.items():
        torch.testing.assert_close(with_sections[name], value, rtol=0, atol=0, msg=name)
    torch.manual_seed(3)
    untrained = build_model(load_recipe("tiny")).state_dict()
    assert any(not torch.equal(untrained[k], v) for k, v in plain.items() if v.is_floating_point())


def test_slugify() -> None:
    assert slugify("Hey, Katya!") == "hey_katya"
    assert slugify("!!!") == "wake_word"
