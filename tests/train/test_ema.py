"""``train.ema``: validation, checkpoints and the saved model use the moving average of the weights."""

from __future__ import annotations

import pytest
import torch

from wakesmith import api
from wakesmith.home import Home

pytestmark = pytest.mark.slow

SETTLED = "model.reset_state_"
"""The tiny sentry's reset offsets (``reset: silence``) are set after training, from the weights shipped."""
OVERRIDES = ["train.epochs=2", "train.samples_per_epoch=128", "train.batch_size=16", "train.num_workers=0"]


def _weights(path: object) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=False)


def test_ema_checkpoints_and_ships_the_averaged_weights(home_copy: Home) -> None:
    summary = api.train(
        "tiny", overrides=[*OVERRIDES, "train.ema=true", "train.ema_decay=0.9"], home=home_copy
    )
    best = _weights(summary.run_dir / "checkpoints" / "best.ckpt")
    # Lightning's EMA callback stores the average as the state dict and the raw weights beside it.
    raw = {k: v for k, v in best["current_model_state"].items() if k.startswith("model.")}
    averaged = {k: v for k, v in best["state_dict"].items() if k.startswith("model.")}
    assert raw.keys() == averaged.keys()
    moved = [k for k in raw if raw[k].is_floating_point() and not torch.equal(raw[k], averaged[k])]
    assert moved, "the averaged weights are the raw ones: EMA did nothing"
    shipped = _weights(summary.artifact.path / "model.pt")["state_dict"]
    for key, value in averaged.items():
        if key.startswith(SETTLED):
            continue
        assert torch.equal(shipped[key.removeprefix("model.")], value), key


def test_without_ema_the_checkpoint_is_the_plain_one(home_copy: Home) -> None:
    summary = api.train("tiny", overrides=OVERRIDES, home=home_copy)
    best = _weights(summary.run_dir / "checkpoints" / "best.ckpt")
    assert "current_model_state" not in best
    shipped = _weights(summary.artifact.path / "model.pt")["state_dict"]
    for key, value in best["state_dict"].items():
        if key.startswith("model.") and not key.startswith(SETTLED):
            assert torch.equal(shipped[key.removeprefix("model.")], value), key
