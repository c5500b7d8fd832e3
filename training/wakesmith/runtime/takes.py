"""One recorded take → one clip per utterance, cut on the pauses a voice-activity detector hears.

A user records "hey katya … hey katya … hey katya" in one go; training wants each phrase as its own
clip. :func:`speech_spans` runs a VAD gate of :mod:`wakesmith.runtime.vad` over the take (Silero by
default: measured on espeak-ng takes it marks each utterance within ~0.1 s, where ``pymicro`` lags by
0.2–0.4 s and breaks words apart), then

1. keeps frames whose speech probability reaches ``threshold``,
2. joins runs separated by less than ``min_pause_s`` (the gap inside "hey … katya" is one phrase),
3. drops runs shorter than ``min_speech_s`` (a click, a breath),
4. widens each by ``pad_s`` on both sides (the VAD trims soft onsets and the final vowel), never past
   the take's ends and never into the neighbour (two pads that would meet split the gap halfway).

The gate is warmed on a second of silence first, so speech from the take's first sample is heard
(pymicro answers "not ready" for its first 0.75 s; every gate starts from the same state).
"""

from __future__ import annotations

import numpy as np

from wakesmith.config import SAMPLE_RATE, TakeSplit
from wakesmith.errors import AudioError

WARMUP_S = 1.0
"""Silence pushed through the gate before the take."""


def speech_spans(audio: np.ndarray, split: TakeSplit | None = None) -> list[tuple[int, int]]:
    """Sample ranges ``[start, end)`` of the utterances in ``audio`` (16 kHz mono float), in order."""
    from wakesmith.runtime.vad import create_vad

    split = split or TakeSplit()
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise AudioError(f"A take must be mono 1-D audio, got shape {audio.shape}.")
    gate = create_vad(split.vad, speech_threshold=split.threshold)
    warm = round(WARMUP_S * SAMPLE_RATE / gate.frame_samples) * gate.frame_samples
    probs = gate.push(np.concatenate([np.zeros(warm, np.float32), audio]))[warm // gate.frame_samples :]
    hop = gate.frame_samples
    runs = _runs(probs >= split.threshold)
    runs = _joined(runs, max_gap=max(1, round(split.min_pause_s * SAMPLE_RATE / hop)))
    shortest = split.min_speech_s * SAMPLE_RATE
    keep = [(a * hop, min(len(audio), b * hop)) for a, b in runs if (b - a) * hop >= shortest]
    return _padded(keep, int(split.pad_s * SAMPLE_RATE), len(audio))


def split_take(audio: np.ndarray, split: TakeSplit | None = None) -> list[np.ndarray]:
    """The utterances of ``audio`` as separate arrays (see :func:`speech_spans`)."""
    return [np.asarray(audio, dtype=np.float32)[a:b] for a, b in speech_spans(audio, split)]


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` frame ranges where ``flags`` is true."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def _joined(runs: list[tuple[int, int]], max_gap: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in runs:
        if out and a - out[-1][1] < max_gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _padded(spans: list[tuple[int, int]], pad: int, n: int) -> list[tuple[int, int]]:
    out = []
    for i, (a, b) in enumerate(spans):
        lo = 0 if i == 0 else (spans[i - 1][1] + a) // 2
        hi = n if i == len(spans) - 1 else (b + spans[i + 1][0]) // 2
        out.append((max(lo, a - pad), min(hi, b + pad)))
    return out
