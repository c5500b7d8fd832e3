"""SpecAugment on a feature array ``[T, D]``: time masks and frequency masks.

Masks are filled with the mean of the whole array (not zero: for log features zero is a loud value,
and for micro features it is silence only by accident). Each mask's width is drawn from
``1..max`` and its start uniformly where it fits; masks may overlap. Like the waveform chain, the
masks are a record drawn from the seed (on a stream of their own, so they are independent of the
waveform augmentation that used the same seed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wakesmith.config import AugmentConfig

SPEC_STREAM = 0x5EC
"""Tag that separates SpecAugment's random stream from the waveform chain's."""
SEED_MODULUS = 2**64


def _masks(
    rng: np.random.Generator, count: int, max_width: int, size: int, axis: str
) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        width = int(rng.integers(1, min(max_width, size) + 1)) if max_width > 0 and size > 0 else 0
        start = int(rng.integers(0, size - width + 1)) if size > 0 else 0
        if width:
            out.append({"axis": axis, "start": start, "width": width})
    return out


def spec_masks(shape: tuple[int, int], cfg: AugmentConfig, *, seed: int) -> list[dict[str, Any]]:
    """The masks :func:`spec_augment` applies to an array of ``shape``: ``[{axis, start, width}]``."""
    if not (cfg.enabled and cfg.specaugment):
        return []
    frames, dims = shape
    rng = np.random.default_rng([seed % SEED_MODULUS, SPEC_STREAM])
    return _masks(rng, cfg.time_masks, cfg.time_mask_frames, frames, "time") + _masks(
        rng, cfg.freq_masks, cfg.freq_mask_bins, dims, "freq"
    )


def spec_augment(features: np.ndarray, cfg: AugmentConfig, *, seed: int) -> np.ndarray:
    """A masked copy of ``features`` ``[T, D]`` (identity when ``specaugment`` or ``enabled`` is off)."""
    if features.ndim != 2:
        raise ValueError(f"spec_augment expects [frames, dims] features, got shape {features.shape}")
    masks = spec_masks((features.shape[0], features.shape[1]), cfg, seed=seed)
    out = features.copy()
    if not masks or not features.size:
        return out
    fill = features.mean()
    for mask in masks:
        span = slice(mask["start"], mask["start"] + mask["width"])
        if mask["axis"] == "time":
            out[span, :] = fill
        else:
            out[:, span] = fill
    return out
