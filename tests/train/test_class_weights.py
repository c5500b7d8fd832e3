"""Class weights from the dataset's balance (``train.class_weights: balanced``)."""

from __future__ import annotations

import pytest
import torch

from wakesmith.config import load_recipe
from wakesmith.data.store import ClipStore
from wakesmith.events import Emitter
from wakesmith.home import Home
from wakesmith.train.data import load_items
from wakesmith.train.fit import fit


def _weights(home: Home, overrides: list[str]) -> list[tuple[bool, str, float]]:
    recipe = load_recipe("tiny", overrides)
    with ClipStore(home) as store:
        return [(i.positive, i.kind, i.weight) for i in load_items(store, recipe, "train")]


def test_balanced_weights_make_both_classes_weigh_the_same(tiny_home: Home) -> None:
    plain = _weights(tiny_home, [])
    for extra in (["train.positive_fraction=0.2"], ["train.balanced_batches=false"]):
        balanced = _weights(tiny_home, ["train.class_weights=balanced", *extra])
        n_pos = sum(p for p, _, _ in plain)
        share = 0.2 if extra[0].endswith("0.2") else n_pos / len(plain)
        # Every clip keeps its own weight (confusables still weigh more), times its class's factor.
        for (p, kind, w), (p2, kind2, w2) in zip(plain, balanced, strict=True):
            assert (p, kind) == (p2, kind2)
            assert w2 == pytest.approx(w * (0.5 / share if p else 0.5 / (1 - share)))
    assert _weights(tiny_home, ["train.class_weights=none"]) == plain


@pytest.mark.slow
def test_balanced_weights_change_a_training_step(home_copy: Home) -> None:
    steps = ["train.epochs=1", "train.samples_per_epoch=16", "train.batch_size=16", "train.seed=3"]

    def step(extra: list[str]) -> dict[str, torch.Tensor]:
        with ClipStore(home_copy) as store:
            model = fit(load_recipe("tiny", steps + extra), store, home_copy, Emitter()).model
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    plain, balanced = step([]), step(["train.class_weights=balanced"])
    assert any(not torch.equal(plain[k], balanced[k]) for k in plain if plain[k].is_floating_point())
