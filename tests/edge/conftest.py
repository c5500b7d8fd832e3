"""Edge-export fixtures: one sentry trained on the tiny dataset, exported once per session.

The tiny recipe trains for a few seconds; here it trains longer (more steps on the same tiny data)
with four blocks (a 1.8 s receptive field, as the full sentry) so that the model really detects its
phrase on *training* clips, which is what the detection tests
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
    "model.params.blocks=4",
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


@pytest.fixture(scope="session")
def random_sentry():  # type: ignore[no-untyped-def]
    """An untrained ``sentry_tcn`` with non-trivial BatchNorm statistics (for fast format tests)."""
    import torch

    from wakesmith.models import create_model

    torch.manual_seed(0)
    model = create_model("sentry_tcn", 40, channels=16, blocks=3)
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.rand(8, 120, 40) * 26)
    return model.eval()


@pytest.fixture(scope="session")
def feature_stream():  # type: ignore[no-untyped-def]
    """Two minutes of plausible micro features: smooth random fields in the front end's 0–26 range."""
    import numpy as np

    rng = np.random.default_rng(0)
    frames = 12_000
    base = rng.uniform(4, 14, (frames // 50 + 1, 40)).repeat(50, axis=0)[:frames]
    return [np.clip(base + rng.normal(0, 2.5, (frames, 40)), 0, 26).astype(np.float32)]


@pytest.fixture(scope="session")
def sentry_metadata(random_sentry):  # type: ignore[no-untyped-def]
    from wakesmith.config import DetectorConfig, FeatureConfig, ModelConfig
    from wakesmith.metadata import ModelMetadata

    return ModelMetadata(
        model_id="hey-test-sentry",
        role="sentry",
        phrase="hey test",
        features=FeatureConfig(name="micro"),
        model=ModelConfig(name="sentry_tcn", params={"channels": 16, "blocks": 3}),
        streaming=True,
        stride=3,
        state_shapes=[list(s.shape) for s in random_sentry.initial_state(1)],
        detector=DetectorConfig(threshold=0.6, smoothing_window=3),
    )
