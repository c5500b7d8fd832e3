"""Scorers: audio in, one score per model step out, streaming, through any :class:`Backend`.

- :class:`StreamingScorer` (sentry): streaming front end → frames buffered to multiples of the stride
  → the backend with its state threaded through → the scores of the steps each chunk completes.
- :class:`WindowScorer` (judge): a ring buffer of audio; every hop, once a whole window is there, the
  window's features (batch front end) are scored. Windows end on a fixed grid of the stream's time,
  ``k * hop``, so the scores never depend on how the audio was chunked.

Step ``i`` of either scorer is complete at audio time ``first_end_s + i * step_seconds``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import ArtifactError, ConfigError
from wakesmith.features import Frontend, as_float_audio, create_frontend
from wakesmith.metadata import ModelMetadata
from wakesmith.runtime.backends import Backend
from wakesmith.runtime.graph import FEATURES, SCORES, state_input, state_output

DEFAULT_BLOCK_STEPS = 500
"""Streaming steps per backend call when a chunk completes many (a one-hour file in ~240 calls)."""
DEFAULT_BATCH_WINDOWS = 32
"""Judge windows per backend call when a chunk completes many."""

_EMPTY = np.zeros(0, dtype=np.float32)


class Scorer(Protocol):
    """What detectors, evaluation and servers use: push audio, get scores at a fixed step."""

    metadata: ModelMetadata

    @property
    def step_seconds(self) -> float: ...

    @property
    def first_end_s(self) -> float: ...

    def push(self, audio: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...

    def score(self, audio: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class StatefulBackend(Protocol):
    """A backend that keeps a streaming model's state inside (a TFLite file's resource variables)
    instead of taking it as inputs: ``reset`` starts a fresh stream."""

    def reset(self) -> None: ...


class StreamingScorer:
    """Scores a streaming (sentry) model step by step; see the module docstring."""

    def __init__(
        self, backend: Backend, *, frontend: Frontend | None = None, block_steps: int = DEFAULT_BLOCK_STEPS
    ) -> None:
        self.backend = backend
        self.metadata = backend.metadata
        if not self.metadata.streaming:
            raise ArtifactError(
                f"Model {self.metadata.model_id!r} is a window model: score it with WindowScorer."
            )
        if block_steps < 1:
            raise ConfigError(f"block_steps must be at least 1 (got {block_steps}).")
        self.frontend = frontend or create_frontend(self.metadata.features)
        self.default_frontend = frontend is None
        """The front end the metadata describes (so the same scorer can be rebuilt from the file)."""
        self.block_steps = block_steps
        # State tensors the backend takes as inputs (none when it keeps the state inside).
        self._state_shapes = self.metadata.state_shapes if len(backend.input_names) > 1 else []
        self._stream = self.frontend.stream()
        self._pending = np.zeros((0, self.frontend.dim), dtype=np.float32)
        self._state: list[np.ndarray] = []
        self.reset()

    @property
    def step_seconds(self) -> float:
        return self.metadata.stride * self.frontend.hop_samples / SAMPLE_RATE

    @property
    def first_end_s(self) -> float:
        last_frame_start = (self.metadata.stride - 1) * self.frontend.hop_samples
        return (last_frame_start + self.frontend.window_samples) / SAMPLE_RATE

    def reset(self) -> None:
        """Start a new stream: front end, pending frames and model state back to zero."""
        self._stream.reset()
        self._pending = np.zeros((0, self.frontend.dim), dtype=np.float32)
        self._state = [np.zeros(shape, dtype=np.float32) for shape in self._state_shapes]
        if isinstance(self.backend, StatefulBackend):
            self.backend.reset()

    def push(self, audio: np.ndarray) -> np.ndarray:
        """Consume a chunk of audio (any length); return the scores of the steps it completed."""
        frames = self._stream.push(as_float_audio(audio))
        if len(frames):
            self._pending = np.concatenate([self._pending, frames.astype(np.float32, copy=False)])
        stride = self.metadata.stride
        n_steps = len(self._pending) // stride
        scores = []
        for start in range(0, n_steps, self.block_steps):
            stop = min(n_steps, start + self.block_steps)
            block = np.ascontiguousarray(self._pending[start * stride : stop * stride][None])
            feeds = {FEATURES: block} | {state_input(i): s for i, s in enumerate(self._state)}
            out = self.backend.forward(feeds)
            scores.append(out[SCORES].reshape(-1))
            self._state = [out[state_output(i)] for i in range(len(self._state))]
        self._pending = self._pending[n_steps * stride :]
        return np.concatenate(scores).astype(np.float32, copy=False) if scores else _EMPTY.copy()

    def score(self, audio: np.ndarray) -> np.ndarray:
        """Scores of a whole clip as a fresh stream (resets the scorer)."""
        self.reset()
        return self.push(audio)


def window_samples_for(frontend: Frontend, frames: int) -> int:
    """The fewest audio samples from which ``frontend`` makes ``frames`` frames."""
    samples = frontend.window_samples + (frames - 1) * frontend.hop_samples
    if frontend.num_frames(samples) != frames or frontend.num_frames(samples - 1) >= frames:
        raise ArtifactError(f"Front end {frontend!r} does not frame audio as the runtime expects.")
    return samples


class WindowScorer:
    """Scores a window (judge) model every ``hop_s`` seconds; see the module docstring."""

    def __init__(
        self,
        backend: Backend,
        hop_s: float | None = None,
        *,
        frontend: Frontend | None = None,
        batch_windows: int = DEFAULT_BATCH_WINDOWS,
    ) -> None:
        self.backend = backend
        self.metadata = backend.metadata
        if self.metadata.streaming or self.metadata.window_frames is None:
            raise ArtifactError(
                f"Model {self.metadata.model_id!r} is a streaming model: score it with StreamingScorer."
            )
        hop_s = self.metadata.detector.judge_hop_ms / 1000 if hop_s is None else hop_s
        self.hop_samples = round(hop_s * SAMPLE_RATE)
        if self.hop_samples < 1 or batch_windows < 1:
            raise ConfigError(
                f"The judge hop ({hop_s} s) and batch_windows ({batch_windows}) must be positive."
            )
        self.frontend = frontend or create_frontend(self.metadata.features)
        self.window_frames: int = self.metadata.window_frames
        self.window_samples = window_samples_for(self.frontend, self.window_frames)
        self.batch_windows = batch_windows
        # Window k ends at sample k * hop; the first one is the first that holds a whole window.
        self._first_end = -(-self.window_samples // self.hop_samples) * self.hop_samples
        self._buffer = _EMPTY
        self._buffer_start = 0
        self._total = 0
        self._next_end = self._first_end

    @property
    def step_seconds(self) -> float:
        return self.hop_samples / SAMPLE_RATE

    @property
    def first_end_s(self) -> float:
        return self._first_end / SAMPLE_RATE

    def reset(self) -> None:
        """Start a new stream: empty buffer, stream time back to zero."""
        self._buffer = _EMPTY
        self._buffer_start = 0
        self._total = 0
        self._next_end = self._first_end

    def push(self, audio: np.ndarray) -> np.ndarray:
        """Consume a chunk of audio; return the scores of the windows that ended inside it."""
        chunk = as_float_audio(audio)
        self._buffer = np.concatenate([self._buffer, chunk])
        self._total += len(chunk)
        ends = range(self._next_end, self._total + 1, self.hop_samples)
        offset = self._buffer_start
        scores = self._score_windows(self._buffer, [e - self.window_samples - offset for e in ends])
        if len(ends):
            self._next_end = ends[-1] + self.hop_samples
        # Keep only what the next window still needs (never drop audio that has not arrived yet).
        keep_from = min(self._next_end - self.window_samples, self._total)
        if keep_from > self._buffer_start:
            self._buffer = self._buffer[keep_from - self._buffer_start :].copy()
            self._buffer_start = keep_from
        return scores

    def score(self, audio: np.ndarray) -> np.ndarray:
        """Scores of a whole clip as a fresh stream (resets the scorer)."""
        self.reset()
        return self.push(audio)

    def score_buffer(self, audio: np.ndarray) -> float:
        """The highest score over the windows of a short buffer (the audio around a sentry trigger).

        Windows end at the buffer's end and every hop before it; a buffer shorter than one window is
        zero-padded at the start, so the most recent audio is always scored.
        """
        buffer = as_float_audio(audio)
        if len(buffer) < self.window_samples:
            buffer = np.concatenate([np.zeros(self.window_samples - len(buffer), dtype=np.float32), buffer])
        ends = range(len(buffer), self.window_samples - 1, -self.hop_samples)
        return float(np.max(self._score_windows(buffer, [e - self.window_samples for e in ends])))

    def _score_windows(self, audio: np.ndarray, starts: list[int]) -> np.ndarray:
        """Scores of the windows ``audio[s : s + window_samples]``, ``batch_windows`` per model call."""
        scores = []
        for first in range(0, len(starts), self.batch_windows):
            group = starts[first : first + self.batch_windows]
            feats = self.frontend.window_features(audio, group, self.window_samples)[:, -self.window_frames :]
            scores.append(self.backend.forward({FEATURES: feats.astype(np.float32)})[SCORES].reshape(-1))
        return np.concatenate(scores).astype(np.float32, copy=False) if scores else _EMPTY.copy()


def make_scorer(
    backend: Backend, *, frontend: Frontend | None = None, hop_s: float | None = None
) -> StreamingScorer | WindowScorer:
    """The scorer the backend's metadata calls for (``hop_s`` applies to window models only)."""
    if backend.metadata.streaming:
        if hop_s is not None:
            raise ConfigError(
                "hop_s applies to window (judge) models; a streaming model's step is its stride."
            )
        return StreamingScorer(backend, frontend=frontend)
    return WindowScorer(backend, hop_s, frontend=frontend)
