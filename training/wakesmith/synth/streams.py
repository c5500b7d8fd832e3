"""Long negative streams for measuring false accepts per hour.

Speech clips are laid end to end with random pauses, each at a random level, over a continuous
background bed at a random SNR, and written to a 16 kHz 16-bit WAV block by block: an hour of audio
never has to sit in memory. The file appears atomically when complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import ConfigError, DatasetError
from wakesmith.fsio import atomic_path

BLOCK_S = 30.0
"""Audio is assembled and written in blocks of this length."""
SPEECH_RMS_DB = (-32.0, -18.0)
"""Each speech clip is scaled to a level drawn from this range (dBFS)."""
BED_CROSSFADE_S = 0.05
PEAK_LIMIT = 0.99

ClipSource = Sequence[np.ndarray] | Callable[[], Iterable[np.ndarray]]
Placed = Callable[[int, int, int], None]
"""Told ``(index, start, length)`` of each clip :func:`build_stream` lays down (see there)."""


@dataclass(frozen=True)
class StreamInfo:
    path: Path
    seconds: float
    n_clips: int


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def _clip_stream(clips: ClipSource, rng: np.random.Generator) -> Iterator[tuple[int, np.ndarray]]:
    """(index, clip) forever: a sequence is reshuffled every round (index: in the sequence), a callable
    is called again when exhausted (index: in that round)."""
    while True:
        if callable(clips):
            got = 0
            for got, clip in enumerate(clips(), start=1):
                yield got - 1, np.asarray(clip, dtype=np.float32)
        else:
            got = len(clips)
            for i in rng.permutation(len(clips)):
                yield int(i), np.asarray(clips[int(i)], dtype=np.float32)
        if got == 0:
            raise DatasetError("No speech clips to build a stream from; add negative speech first.")


class _Bed:
    """A continuous background: background clips chained with short crossfades, each at its own SNR."""

    def __init__(
        self, backgrounds: Sequence[np.ndarray], snr_db: tuple[float, float], rng: np.random.Generator
    ):
        self.sources = [np.asarray(b, dtype=np.float32) for b in backgrounds if _rms(np.asarray(b)) > 0]
        self.snr_db, self.rng = snr_db, rng
        self.buffer = np.zeros(0, dtype=np.float32)
        self.fade = int(BED_CROSSFADE_S * SAMPLE_RATE)
        # The bed is set against the middle of the speech level range, so SNRs hold on average.
        self.reference = 10 ** (np.mean(SPEECH_RMS_DB) / 20)

    def _next_piece(self) -> np.ndarray:
        src = self.sources[int(self.rng.integers(len(self.sources)))]
        gain = self.reference / 10 ** (self.rng.uniform(*self.snr_db) / 20) / _rms(src)
        piece = src * np.float32(gain)
        if piece.size > 2 * self.fade:
            ramp = np.linspace(0.0, 1.0, self.fade, dtype=np.float32)
            piece = piece.copy()
            piece[: self.fade] *= ramp
            piece[-self.fade :] *= ramp[::-1]
        return piece

    def take(self, n: int) -> np.ndarray:
        if not self.sources:
            return np.zeros(n, dtype=np.float32)
        while self.buffer.size < n + self.fade:
            piece = self._next_piece()
            overlap = min(self.fade, self.buffer.size, piece.size)
            if overlap:
                self.buffer[-overlap:] += piece[:overlap]
            self.buffer = np.concatenate([self.buffer, piece[overlap:]])
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out


def build_stream(
    path: Path,
    *,
    clips: ClipSource,
    hours: float,
    seed: int,
    backgrounds: Sequence[np.ndarray] = (),
    gap_s: tuple[float, float] = (0.2, 2.0),
    snr_db: tuple[float, float] = (10.0, 30.0),
    placed: Placed | None = None,
) -> StreamInfo:
    """Write ``hours`` of speech clips separated by random gaps over a background bed to ``path``.

    Clips are reused cyclically (each time at a new random level) when there are too few.
    Deterministic for ``seed``. ``placed(index, start, length)`` hears where each clip was laid: its
    index in ``clips`` (a callable source: its position in that round), its first sample in the stream
    and its length in samples (the last one may run past the end); it never changes the audio.
    """
    if hours <= 0:
        raise ConfigError(f"A stream must last more than 0 hours; got {hours}.")
    if not 0 <= gap_s[0] <= gap_s[1] or snr_db[0] > snr_db[1]:
        raise ConfigError(f"Bad stream ranges: gap_s={gap_s}, snr_db={snr_db} (need low ≤ high, gaps ≥ 0).")
    rng = np.random.default_rng(seed)
    total = round(hours * 3600 * SAMPLE_RATE)
    block = int(BLOCK_S * SAMPLE_RATE)
    source, bed = _clip_stream(clips, rng), _Bed(backgrounds, snr_db, rng)
    pending = np.zeros(0, dtype=np.float32)  # speech (and gaps) assembled but not yet written
    written = n_clips = 0
    with (
        atomic_path(Path(path)) as tmp,
        sf.SoundFile(tmp, "w", samplerate=SAMPLE_RATE, channels=1, subtype="PCM_16", format="WAV") as out,
    ):
        while written < total:
            n = min(block, total - written)
            parts = [pending]
            have = pending.size
            while have < n:
                index, clip = next(source)
                if clip.size == 0 or _rms(clip) == 0:
                    continue
                if placed is not None:
                    placed(index, written + have, clip.size)
                level = 10 ** (rng.uniform(*SPEECH_RMS_DB) / 20) / _rms(clip)
                gap = np.zeros(int(rng.uniform(*gap_s) * SAMPLE_RATE), dtype=np.float32)
                parts += [clip * np.float32(level), gap]
                have += clip.size + gap.size
                n_clips += 1
            speech = np.concatenate(parts)
            mixed = speech[:n] + bed.take(n)
            pending = speech[n:]
            out.write(np.clip(mixed, -PEAK_LIMIT, PEAK_LIMIT))
            written += n
    return StreamInfo(Path(path), written / SAMPLE_RATE, n_clips)
