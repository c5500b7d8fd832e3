"""``train.precision: bf16-mixed`` trains (autocast on CPU too) and ships float32 weights."""

from __future__ import annotations

import pytest
import torch

from wakesmith import api
from wakesmith.home import Home

pytestmark = pytest.mark.slow

OVERRIDES = ["train.epochs=1", "train.samples_per_epoch=64", "train.batch_size=16", "train.num_workers=0"]


def _weights(summary: api.TrainSummary) -> dict[str, torch.Tensor]:
    return torch.load(summary.artifact.weights_path, map_location="cpu", weights_only=False)["state_dict"]


def test_bf16_mixed_precision_trains_and_ships_float32(home_copy: Home) -> None:
    plain = _weights(api.train("tiny", overrides=OVERRIDES, home=home_copy))
    summary = api.train("tiny", overrides=[*OVERRIDES, "train.precision=bf16-mixed"], home=home_copy)
    mixed = _weights(summary)
    assert plain.keys() == mixed.keys()
    floats = [k for k, v in mixed.items() if v.is_floating_point()]
    assert all(mixed[k].dtype == torch.float32 and torch.isfinite(mixed[k]).all() for k in floats)
    assert any(not torch.equal(plain[k], mixed[k]) for k in floats)  # the bf16 forward changed the steps
    assert summary.history and all(h["val/loss"] == h["val/loss"] for h in summary.history)  # not NaN
