"""Store fixtures: a fresh data home per test and audio synthesized in code."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

from wakesmith.data.store import ClipStore
from wakesmith.home import Home

SR = 16_000


def make_tone(seconds: float = 1.0, freq: float = 440.0, amp: float = 0.3, seed: int = 0) -> np.ndarray:
    """A tone with a little seeded noise (so every seed is a distinct clip) and quiet edges."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    audio = amp * np.sin(2 * np.pi * freq * t) * (np.abs(t - seconds / 2) < seconds / 4)
    return (audio + 0.002 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture
def home(tmp_path) -> Home:
    return Home.resolve(tmp_path / "home")


@pytest.fixture
def store(home) -> Iterator[ClipStore]:
    with ClipStore(home) as s:
        yield s


@pytest.fixture
def tone() -> Callable[..., np.ndarray]:
    return make_tone
