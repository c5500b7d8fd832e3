"""Training-time augmentation: a recorded waveform chain, synthetic reverberation, SpecAugment.

Augmentation is recorded, not materialized: :meth:`WaveAugment.describe` gives the names and
parameters drawn from an example's seed, and applying that record always gives the same audio.
Training only (numpy, scipy, soxr, audiomentations); the Judge runtime never imports it.
"""

from __future__ import annotations

from wakesmith.augment.noise import active_power, colored_noise, mix_at_snr
from wakesmith.augment.ops import AUGMENTATIONS, Augmentation, Context, list_augmentations
from wakesmith.augment.rir import make_rirs, schroeder_rt60, synthetic_rir
from wakesmith.augment.spec import spec_augment, spec_masks
from wakesmith.augment.wave import TALKER_OPS, WaveAugment, snr_range, split_record

__all__ = [
    "AUGMENTATIONS",
    "TALKER_OPS",
    "Augmentation",
    "Context",
    "WaveAugment",
    "active_power",
    "colored_noise",
    "list_augmentations",
    "make_rirs",
    "mix_at_snr",
    "schroeder_rt60",
    "snr_range",
    "spec_augment",
    "spec_masks",
    "split_record",
    "synthetic_rir",
]
