"""Data echoing (``train.echo``): every prepared example trained on ``echo`` times, in new batches."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from wakesmith import api
from wakesmith.home import Home
from wakesmith.train.data import EchoedBatches


class _Sampler(torch.utils.data.SequentialSampler):
    epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


def _loader(n: int = 40, batch: int = 8) -> DataLoader:
    ids = torch.arange(n)
    data = TensorDataset(ids, ids.float() * 10)
    return DataLoader(data, batch_size=batch, sampler=_Sampler(data))


def _ids(batches: list) -> list[list[int]]:  # type: ignore[type-arg]
    return [b[0].tolist() for b in batches]


def test_each_example_is_dealt_echo_times_into_new_batches() -> None:
    loader = _loader()
    echoed = EchoedBatches(loader, echo=3, seed=0)
    batches = list(echoed)
    assert len(batches) == len(echoed) == 3 * len(loader)
    assert all(len(b[0]) == 8 for b in batches)
    assert Counter(i for ids in _ids(batches) for i in ids) == {i: 3 for i in range(40)}
    assert all(torch.equal(b[1], b[0].float() * 10) for b in batches)  # fields stay paired
    # Echoes are reshuffled, not repeated: no dealt batch is one of the loader's batches.
    fresh = {tuple(ids) for ids in _ids(list(loader))}
    assert not fresh & {tuple(ids) for ids in _ids(batches)}
    # An echo never leaves its pool of three fresh batches (examples stay recent).
    assert {i // 24 for i in _ids(batches)[0]} == {0}


def test_the_order_follows_the_seed_and_the_epoch_and_a_short_tail_still_counts() -> None:
    loader = _loader(n=44)  # 5 full batches and a tail of 4
    echoed = EchoedBatches(loader, echo=2, seed=0)
    first = _ids(list(echoed))
    assert first == _ids(list(EchoedBatches(loader, echo=2, seed=0)))
    assert first != _ids(list(EchoedBatches(loader, echo=2, seed=1)))
    assert len(first) == len(echoed) == 12
    assert Counter(i for ids in first for i in ids) == {i: 2 for i in range(44)}
    echoed.sampler.set_epoch(1)  # what Lightning calls through the attribute
    assert _ids(list(echoed)) != first


@pytest.mark.slow
def test_a_training_with_echo_takes_echo_times_the_steps(home_copy: Home) -> None:
    overrides = ["train.epochs=1", "train.samples_per_epoch=64", "train.batch_size=16"]
    plain = api.train("tiny", overrides=overrides, home=home_copy)
    echoed = api.train("tiny", overrides=[*overrides, "train.echo=3"], home=home_copy)
    assert _steps(plain.run_dir) == 4 and _steps(echoed.run_dir) == 12


def _steps(run_dir: Path) -> int:
    return int(torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"])
