"""A dataset made in code, small enough to train the ``tiny`` recipe on in seconds.

Positives are an 800 Hz tone burst, negatives a 300 Hz one, backgrounds low noise; 20 speakers of 3
takes each so the speaker-grouped split puts both labels in every split. A training job over it runs
the real pipeline (store → features → Lightning → checkpoint → artifact → ONNX) without synthesis.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from wakesmith import api
from wakesmith.data.schema import NewClip
from wakesmith.home import Home

SR = 16_000
DATASET = "tiny_ds"
SPEAKERS = 20
TAKES = 3
FAST = {"train.epochs": 1, "train.samples_per_epoch": 32, "train.checkpoint_every_n_steps": 1}
"""A training job of two steps (seconds)."""


def tone(freq: float, seed: int, seconds: float = 1.0, amp: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    burst = amp * np.sin(2 * np.pi * freq * t) * (np.abs(t - seconds / 2) < seconds / 4)
    return (burst + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def make_dataset(home: Home, dataset: str = DATASET) -> Home:
    items = []
    for spk in range(SPEAKERS):
        for k in range(TAKES):
            items.append(
                NewClip(dataset, "positive", "upload", audio=tone(800, spk * 10 + k), speaker=f"s{spk}")
            )
            items.append(
                NewClip(
                    dataset, "negative", "upload", audio=tone(300, 1000 + spk * 10 + k), speaker=f"s{spk}"
                )
            )
        noise = 0.01 * np.random.default_rng(spk).standard_normal(SR * 2)
        items.append(
            NewClip(dataset, "background", "upload", audio=noise.astype(np.float32), speaker=f"s{spk}")
        )
    store = api.open_store(home)
    store.add_many(items)
    store.assign_splits(dataset)
    store.close()
    return home


def audio_bytes(
    seconds: float = 1.0, *, rate: int = SR, channels: int = 1, fmt: str = "WAV", seed: int = 0
) -> bytes:
    """A tone in a real audio container (WAV 16-bit, FLAC or OGG/Vorbis)."""
    mono = tone(500 + seed, seed, seconds) if rate == SR else _at_rate(seconds, rate, seed)
    audio = np.stack([mono] * channels, axis=1) if channels > 1 else mono
    buf = io.BytesIO()
    subtype = {"WAV": "PCM_16", "FLAC": "PCM_16", "OGG": "VORBIS"}[fmt]
    sf.write(buf, audio, rate, format=fmt, subtype=subtype)
    return buf.getvalue()


def _at_rate(seconds: float, rate: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
