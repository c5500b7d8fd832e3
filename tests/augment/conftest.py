"""Synthesized audio for augmentation tests."""

from __future__ import annotations

import numpy as np
import pytest

SR = 16_000


@pytest.fixture
def tone() -> np.ndarray:
    """1.5 s of a steady 440 Hz tone at -13 dBFS (fully active, so its power is unambiguous)."""
    t = np.arange(int(1.5 * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.fixture
def backgrounds() -> list[np.ndarray]:
    rng = np.random.default_rng(42)
    babble = 0.05 * rng.standard_normal(3 * SR) * (1 + np.sin(2 * np.pi * 0.5 * np.arange(3 * SR) / SR))
    hum = 0.1 * np.sin(2 * np.pi * 50 * np.arange(SR // 2) / SR)  # shorter than a clip: gets looped
    return [babble.astype(np.float32), hum.astype(np.float32)]
