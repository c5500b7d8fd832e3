"""Edge-export fixtures: the session's calibrated sentry (tests/conftest.py), exported once.

``trained_sentry`` is ``calibrated_sentry``: the tiny recipe trained long enough to detect its phrase on
held-out clips, evaluated so its thresholds are calibrated. The detection tests score the TEST split at
those thresholds (the full-size held-out figures come from ``benchmarks/edge.py`` on the quickstart).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("tensorflow", reason="edge exports need the edge extra (pip install 'wakesmith[edge]')")

from wakesmith import api
from wakesmith.artifact import Artifact
from wakesmith.home import Home


@pytest.fixture(scope="session")
def edge_home(sentry_home: Home) -> Home:
    return sentry_home


@pytest.fixture(scope="session")
def trained_sentry(calibrated_sentry: Artifact) -> Artifact:
    return calibrated_sentry


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
