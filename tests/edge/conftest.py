"""Edge-export fixtures: one sentry trained on the tiny dataset, exported once per session.

The tiny recipe trains for a few seconds; here it trains longer (more steps on the same tiny data)
so that the model really detects its phrase on *training* clips, which is what the detection tests
use (the held-out figures come from ``benchmarks/edge.py`` on the full-size quickstart).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("tensorflow", reason="edge exports need the edge extra (pip install 'wakesmith[edge]')")

from wakesmith import api
from wakesmith.artifact import Artifact
from wakesmith.home import Home

TRAINED = [
    "train.epochs=12",
    "train.samples_per_epoch=640",
    "train.batch_size=32",
    "train.num_workers=0",
    "train.checkpoint_every_n_steps=1000",
    "augment.enabled=false",
]


@pytest.fixture(scope="session")
def edge_home(tiny_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Home:
    target = tmp_path_factory.mktemp("edge") / "home"
    shutil.copytree(tiny_home.root, target, ignore=shutil.ignore_patterns("runs", "models", "streams"))
    return Home.resolve(target).ensure()


@pytest.fixture(scope="session")
def trained_sentry(edge_home: Home) -> Artifact:
    return api.train("tiny", overrides=TRAINED, home=edge_home).artifact


@pytest.fixture(scope="session")
def esphome_manifest(trained_sentry: Artifact, edge_home: Home) -> Path:
    return api.export(trained_sentry.path, "esphome", home=edge_home)
