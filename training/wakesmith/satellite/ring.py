"""The satellite's pre-roll ring buffer: the last few seconds of microphone audio, oldest overwritten.

A trigger's buffer is cut from it with :func:`wakesmith.runtime.cascade.trigger_buffer` — the one
definition the evaluation cuts with — so the Judge hears what the cascade evaluation measured.
"""

from __future__ import annotations

import numpy as np

from wakesmith.config import SAMPLE_RATE
from wakesmith.runtime.cascade import trigger_buffer


class RingBuffer:
    """Overwrite-oldest float32 audio with absolute stream positions (bounded memory)."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f"a ring buffer needs a positive capacity, got {capacity}")
        self._data = np.zeros(capacity, dtype=np.float32)
        self.total = 0
        """Samples written since the stream began."""

    @classmethod
    def for_rolls(cls, pre_roll_s: float, post_roll_s: float, block: int) -> RingBuffer:
        """Room for a whole trigger buffer plus the block that completes its post-roll."""
        return cls(round(pre_roll_s * SAMPLE_RATE) + round(post_roll_s * SAMPLE_RATE) + block)

    @property
    def capacity(self) -> int:
        return len(self._data)

    @property
    def start(self) -> int:
        """Stream position of the oldest sample still held."""
        return max(0, self.total - self.capacity)

    def write(self, audio: np.ndarray) -> None:
        audio = np.asarray(audio, dtype=np.float32)
        n = len(audio)
        if n >= self.capacity:
            self._data[:] = audio[-self.capacity :]
            self._data = np.roll(self._data, self.total + n)  # keep position total % capacity aligned
        else:
            at = self.total % self.capacity
            head = min(n, self.capacity - at)
            self._data[at : at + head] = audio[:head]
            self._data[: n - head] = audio[head:]
        self.total += n

    def held(self) -> np.ndarray:
        """The held audio, oldest first (stream positions ``start`` … ``total - 1``)."""
        if self.total <= self.capacity:
            return self._data[: self.total].copy()
        at = self.total % self.capacity
        return np.concatenate([self._data[at:], self._data[:at]])

    def cut(self, at: int, pre_roll_s: float, post_roll_s: float) -> np.ndarray:
        """The gate's buffer for a trigger at stream sample ``at`` (see :func:`trigger_buffer`)."""
        if max(0, at - round(pre_roll_s * SAMPLE_RATE)) < self.start:
            raise ValueError(
                f"the pre-roll of a trigger at sample {at} was overwritten (ring holds {self.start}…)"
            )
        return trigger_buffer(self.held(), at - self.start, pre_roll_s=pre_roll_s, post_roll_s=post_roll_s)
