"""From a clip to one training example: place the audio in a fixed window, augment, featurize.

Positives are placed so the phrase *ends* near the end of the window (a streaming detector fires
just after the phrase); how long before the end is drawn from ``augment.time_shift_ms`` — the random
time shift that makes streaming detection robust to where the window boundary falls. A *cold*
positive (``train.cold_start_p``) is instead placed a short lead (``train.cold_lead_s``) after the
window's start, where the front end and the model start from their reset state: the phrase may then
end well before the window does. Negatives are randomly cropped (long clips) or randomly placed (short
clips).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wakesmith.config import SAMPLE_RATE, AugmentConfig

POSITIVE = 1.0
NEGATIVE = 0.0


@dataclass(frozen=True)
class Placement:
    """Where a clip went inside the window (recorded so an example can be reproduced)."""

    offset: int
    """Window sample index where the clip's first kept sample lands."""
    crop: int
    """Clip sample index of the first kept sample."""
    end: int
    """Window sample index just after the clip's last kept sample (where a positive phrase ends)."""


def place(
    audio: np.ndarray,
    window: int,
    *,
    positive: bool,
    rng: np.random.Generator,
    cfg: AugmentConfig,
    cold_lead_s: tuple[float, float] | None = None,
) -> tuple[np.ndarray, Placement]:
    """Return a float32 array of exactly ``window`` samples containing (part of) ``audio``.

    ``cold_lead_s`` (positives only): start the clip this long (drawn) after the window's start."""
    out = np.zeros(window, dtype=np.float32)
    n = len(audio)
    if positive and cold_lead_s is not None:
        offset = min(int(rng.uniform(*cold_lead_s) * SAMPLE_RATE), max(0, window - n))
        keep = min(n, window - offset)
        crop = n - keep
    elif positive:
        lo, hi = cfg.time_shift_ms
        tail = int(rng.uniform(lo, hi) * SAMPLE_RATE / 1000) if hi > lo else int(lo * SAMPLE_RATE / 1000)
        tail = min(tail, window - 1)
        end = window - tail
        keep = min(n, end)
        crop = n - keep  # long phrases lose their beginning, never their end
        offset = end - keep
    elif n >= window:
        crop = int(rng.integers(0, n - window + 1))
        offset, keep = 0, window
    else:
        crop, keep = 0, n
        offset = int(rng.integers(0, window - n + 1))
    out[offset : offset + keep] = audio[crop : crop + keep]
    return out, Placement(offset=offset, crop=crop, end=offset + keep)


def fit_length(audio: np.ndarray, window: int) -> np.ndarray:
    """Crop from the start or left-pad with zeros to ``window`` samples, keeping the end aligned.

    Used after augmentations that change the length (speed): the end of the window is where the
    phrase ends, so the end is what we keep.
    """
    n = len(audio)
    if n == window:
        return audio
    if n > window:
        return audio[n - window :]
    return np.concatenate([np.zeros(window - n, dtype=audio.dtype), audio])


def example_seed(base_seed: int, epoch: int, index: int) -> int:
    """A deterministic per-(epoch, example) seed: the same run reproduces the same augmentation."""
    return (base_seed * 1_000_003 + epoch * 7_919 + index) % (2**31 - 1)
