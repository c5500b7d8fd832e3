"""The waveform augmentation chain: recorded (name + params, from a seed), applied on load.

Order: speed → tempo → pitch shift → reverb → noise (a background recording, or coloured noise when there are
none) → gain → clip to [-1, 1]. Speech is transformed and reverberated before the noise is mixed in
(noise does not come from the talker's position), and gain comes last so the whole scene gets louder
or quieter together, as with a far or near microphone; clipping is what a real ADC does.

Determinism: the parameters depend on ``seed`` only (each augmentation draws from its own stream, so
turning one off does not change the others); ``epoch``/``epochs`` only move the SNR schedule. The same
seed and epoch therefore always give the same output. Time shift is not done here: the training
window sampler places the phrase (``time_shift_ms``).

Length: ``speed`` and ``tempo`` change it (about ``n / factor`` samples); the caller crops or pads.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from wakesmith.augment.ops import AUGMENTATIONS, Augmentation, Context
from wakesmith.augment.rir import make_rirs, prepare_rir
from wakesmith.config import AugmentConfig
from wakesmith.errors import AudioError, ConfigError
from wakesmith.features.base import as_float_audio

TALKER_OPS = ("speed", "tempo", "pitch_shift")
"""Augmentations of the talker (applied to a clip before it is placed in a window); the rest are
the room's (reverb, noise, level), applied to the whole window."""
SYNTHETIC_RIRS = 32
"""Size of the synthetic RIR bank used when no recorded RIRs are given."""
SYNTHETIC_RIR_SEED = 0
SEED_MODULUS = 2**64
Record = dict[str, Any]


def snr_range(cfg: AugmentConfig, epoch: int, epochs: int) -> tuple[float, float]:
    """This epoch's SNR range: ``snr_db`` moved linearly toward ``snr_db_final`` (reached at the end)."""
    if epochs < 1 or epoch < 0:
        raise ConfigError(f"epoch must be >= 0 and epochs >= 1, got epoch={epoch}, epochs={epochs}.")
    if cfg.snr_db_final is None:
        return cfg.snr_db
    # Epochs past the schedule (e.g. resumed training) keep the final range.
    frac = min(1.0, epoch / (epochs - 1)) if epochs > 1 else 0.0
    (lo0, hi0), (lo1, hi1) = cfg.snr_db, cfg.snr_db_final
    return (lo0 + frac * (lo1 - lo0), hi0 + frac * (hi1 - hi0))


def _check_config(cfg: AugmentConfig) -> None:
    for field in ("noise_p", "rir_p", "pitch_p", "speed_p", "tempo_p"):
        p = getattr(cfg, field)
        if not 0.0 <= p <= 1.0:
            raise ConfigError(f"augment.{field} is a probability between 0 and 1, got {p}.")
    for field in ("gain_db", "level_dbfs", "snr_db", "snr_db_final", "pitch_semitones", "speed", "tempo"):
        value = getattr(cfg, field)
        if value is not None and value[0] > value[1]:
            raise ConfigError(f"augment.{field} must be a (low, high) range, got {list(value)}.")
    for field in ("speed", "tempo"):
        if getattr(cfg, field)[0] <= 0:
            raise ConfigError(f"augment.{field} factors must be positive, got {list(getattr(cfg, field))}.")


def _bank(clips: Sequence[np.ndarray], what: str) -> list[np.ndarray]:
    out = []
    for i, clip in enumerate(clips):
        try:
            audio = as_float_audio(clip)
        except AudioError as exc:
            raise AudioError(f"{what} #{i}: {exc}") from None
        if not np.any(audio):
            raise AudioError(f"{what} #{i} is empty or silent; remove it from the {what} set.")
        out.append(audio)
    return out


def split_record(record: Record) -> tuple[Record, Record]:
    """A :meth:`WaveAugment.describe` record as (talker part, room part), each replayable by itself."""
    talker = [a for a in record["augmentations"] if a["name"] in TALKER_OPS]
    room = [a for a in record["augmentations"] if a["name"] not in TALKER_OPS]
    return {**record, "augmentations": talker}, {**record, "augmentations": room}


class WaveAugment:
    """Seeded, recorded waveform augmentation of float32 16 kHz mono clips (identity when disabled)."""

    def __init__(
        self,
        cfg: AugmentConfig,
        *,
        backgrounds: Sequence[np.ndarray] = (),
        rirs: Sequence[np.ndarray] = (),
    ) -> None:
        _check_config(cfg)
        self.cfg = cfg
        self.backgrounds = _bank(backgrounds, "background")
        self._rirs: list[np.ndarray] | None = [prepare_rir(r) for r in rirs] or None
        noise = "background_noise" if self.backgrounds else "colored_noise"
        self.chain: list[Augmentation] = [
            AUGMENTATIONS.get(name)() for name in ("speed", "tempo", "pitch_shift", "rir", noise, "gain")
        ]

    @property
    def rirs(self) -> list[np.ndarray]:
        """The RIR bank: the given RIRs, or a synthetic bank made on first use."""
        if self._rirs is None:
            self._rirs = make_rirs(SYNTHETIC_RIRS, SYNTHETIC_RIR_SEED)
        return self._rirs

    def _context(self, snr_db: tuple[float, float]) -> Context:
        rirs = self.rirs if self.cfg.enabled and self.cfg.rir_p > 0 else []
        return Context(self.cfg, self.backgrounds, rirs, snr_db)

    def describe(self, *, seed: int, epoch: int = 0, epochs: int = 1) -> Record:
        """What is applied for this seed and epoch: ``{seed, epoch, augmentations: [{name, params}]}``."""
        ctx = self._context(snr_range(self.cfg, epoch, epochs))
        applied: list[dict[str, Any]] = []
        if self.cfg.enabled:
            for op in self.chain:
                # One stream per augmentation name: changing one setting leaves the others' draws alone.
                rng = np.random.default_rng([seed % SEED_MODULUS, zlib.crc32(op.name.encode())])
                params = op.draw(rng, ctx)
                if params is not None:
                    applied.append({"name": op.name, "params": params})
        return {"seed": seed, "epoch": epoch, "augmentations": applied}

    def apply(self, audio: np.ndarray, record: Record) -> np.ndarray:
        """Replay a :meth:`describe` record on ``audio``; returns float32 in [-1, 1]."""
        out = as_float_audio(audio).copy()
        if not record["augmentations"]:
            return out
        # Applying needs no schedule: the drawn SNR is in the record.
        ctx = self._context(self.cfg.snr_db)
        ops = {op.name: op for op in self.chain}
        for step in record["augmentations"]:
            op = ops.get(step["name"])
            if op is None:
                raise ConfigError(
                    f"Augmentation {step['name']!r} in the record is not in this chain "
                    f"({', '.join(ops)}); was it recorded with other backgrounds?"
                )
            if len(out):
                out = op.apply(out, step["params"], ctx)
        return np.clip(out, -1.0, 1.0, out=out)

    def __call__(self, audio: np.ndarray, *, seed: int, epoch: int = 0, epochs: int = 1) -> np.ndarray:
        """Augment ``audio`` as :meth:`describe` records it for ``seed``/``epoch``."""
        return self.apply(audio, self.describe(seed=seed, epoch=epoch, epochs=epochs))
