"""The front-end interface, its registry, and the pieces every front end shares.

A front end turns 16 kHz mono audio into frames of features. Frame ``t`` covers samples
``[t * hop, t * hop + window)``: there is no centre padding, so a clip of ``n`` samples gives
``1 + (n - window) // hop`` frames (none when ``n < window``). That definition is what makes a
streaming front end possible: a frame is emitted as soon as its last sample has arrived, and the
concatenated streaming frames equal the batch frames for any chunking of the audio.

This module needs numpy only (plus the core): the Judge runtime imports it without the training stack.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np

from wakesmith.audio.pcm import float_to_int16, int16_to_float
from wakesmith.config import SAMPLE_RATE, FeatureConfig
from wakesmith.errors import AudioError, ConfigError
from wakesmith.registry import Registry

SAMPLES_PER_MS = SAMPLE_RATE // 1000

Features = np.ndarray
"""``[frames, dim]`` float32."""


class StreamingFrontend(ABC):
    """Incremental form of a front end: push audio as it arrives, get the frames it completes."""

    dim: int

    @abstractmethod
    def push(self, audio: np.ndarray) -> Features:
        """Consume a chunk of any length; return the ``[n_new_frames, dim]`` frames it completed."""

    @abstractmethod
    def reset(self) -> None:
        """Forget all buffered audio and state, as if freshly created."""


class Frontend(ABC):
    """A registered front end: batch features for a clip, or a streaming form of the same."""

    config: FeatureConfig
    dim: int
    window_samples: int
    hop_samples: int
    licences: tuple[dict[str, str], ...] = ()
    """Pretrained parts the front end runs, as licence-manifest entries (none for computed features)."""

    @abstractmethod
    def __call__(self, audio: np.ndarray) -> Features:
        """Features of a whole clip, ``[num_frames(len(audio)), dim]`` float32."""

    @abstractmethod
    def stream(self) -> StreamingFrontend:
        """A fresh streaming front end whose concatenated output equals ``self(audio)``."""

    def window_features(self, audio: np.ndarray, starts: Sequence[int], length: int) -> np.ndarray:
        """``[len(starts), num_frames(length), dim]``: the features of ``audio[s : s + length]`` for each
        start, as ``self`` computes them clip by clip (front ends may share work between windows)."""
        if not len(starts):
            return np.zeros((0, self.num_frames(length), self.dim), dtype=np.float32)
        return np.stack([self(audio[s : s + length]) for s in starts]).astype(np.float32, copy=False)

    def num_frames(self, n_samples: int) -> int:
        """Frames produced by a clip of ``n_samples`` samples (0 when shorter than one window)."""
        if n_samples < self.window_samples:
            return 0
        return 1 + (n_samples - self.window_samples) // self.hop_samples

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, window={self.window_samples}, hop={self.hop_samples})"


FRONTENDS: Registry[Callable[[FeatureConfig], Frontend]] = Registry("front end")


def create_frontend(cfg: FeatureConfig) -> Frontend:
    """The front end named by ``cfg.name``, built from ``cfg`` (bad sizes raise ConfigError)."""
    return FRONTENDS.get(cfg.name)(cfg)


def list_frontends() -> list[str]:
    """Names of the registered front ends."""
    return FRONTENDS.names()


def ms_to_samples(ms: float, what: str) -> int:
    """A duration in milliseconds as a whole, positive number of 16 kHz samples."""
    samples = ms * SAMPLES_PER_MS
    if samples < 1 or abs(samples - round(samples)) > 1e-6:
        raise ConfigError(
            f"features.{what}={ms} ms is not a positive whole number of samples at {SAMPLE_RATE} Hz "
            f"(1 sample = {1 / SAMPLES_PER_MS} ms); pick a multiple of {1 / SAMPLES_PER_MS} ms."
        )
    return round(samples)


def as_float_audio(audio: np.ndarray) -> np.ndarray:
    """Validate mono audio and return it as float32 (int16 PCM through :func:`.int16_to_float`)."""
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise AudioError(f"Expected mono audio as a 1-D array, got shape {audio.shape}; mix down first.")
    if audio.dtype == np.int16:
        return int16_to_float(audio)
    if not np.issubdtype(audio.dtype, np.floating):
        raise AudioError(f"Expected float audio in [-1, 1] or int16 PCM, got dtype {audio.dtype}.")
    if audio.size and not np.isfinite(audio).all():
        raise AudioError("Audio contains NaN or infinite samples; check the decoder or the augmentation.")
    return audio.astype(np.float32, copy=False)


def as_pcm16(audio: np.ndarray) -> np.ndarray:
    """Validate mono audio and return it as int16 PCM (float through :func:`.float_to_int16`)."""
    audio = np.asarray(audio)
    if audio.dtype == np.int16 and audio.ndim == 1:
        return audio
    # The shared conversion makes int16 → float → int16 exact, so a clip loaded from disk reaches the
    # micro front end with exactly the samples the device would see.
    return float_to_int16(as_float_audio(audio))


class FramedStream(StreamingFrontend):
    """Streaming for front ends whose frames depend only on their own samples (logmel, mfcc).

    It keeps the samples of the next, not yet complete frame and runs the batch function on them plus
    the new chunk; frames are therefore computed by exactly the code that computes batch frames.
    """

    def __init__(self, batch: Callable[[np.ndarray], Features], *, dim: int, window: int, hop: int) -> None:
        self._batch = batch
        self.dim = dim
        self._window = window
        self._hop = hop
        self._pending = np.zeros(0, dtype=np.float32)

    def push(self, audio: np.ndarray) -> Features:
        buf = np.concatenate([self._pending, as_float_audio(audio)])
        if len(buf) < self._window:
            self._pending = buf
            return np.zeros((0, self.dim), dtype=np.float32)
        n_frames = 1 + (len(buf) - self._window) // self._hop
        self._pending = buf[n_frames * self._hop :]
        return self._batch(buf)

    def reset(self) -> None:
        self._pending = np.zeros(0, dtype=np.float32)
