"""Audio fixtures synthesized in code: a voiced, speech-like clip with silence around it."""

from __future__ import annotations

import numpy as np
import pytest

SR = 16_000


def speechlike(seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """Harmonics of a gliding 120–220 Hz pitch with a syllable envelope, plus a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = 120 + 100 * (0.5 + 0.5 * np.sin(2 * np.pi * 1.3 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 2.0 * t), 0, None) ** 2
    audio = 0.3 * voiced * envelope + 0.003 * rng.standard_normal(len(t))
    return np.clip(audio, -1, 1).astype(np.float32)


@pytest.fixture
def clip() -> np.ndarray:
    return speechlike(1.0)


@pytest.fixture
def make_clip():
    return speechlike
