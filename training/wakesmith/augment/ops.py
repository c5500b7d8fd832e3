"""Waveform augmentations, registered by name. Each one draws its parameters, then applies them.

Drawing and applying are separate so that an augmentation is *recorded* (name + params) and can be
replayed exactly: :class:`~wakesmith.augment.WaveAugment` draws with a generator seeded from the
example's seed and applies the record. Parameters are plain JSON numbers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.signal
import soxr
from audiomentations import PitchShift, TimeStretch

from wakesmith.augment.noise import active_power, colored_noise, loop_segment, mix_at_snr
from wakesmith.config import SAMPLE_RATE, AugmentConfig
from wakesmith.registry import Registry

Params = dict[str, float | int]

COLOR_EXPONENT_RANGE = (0.0, 2.0)
"""Coloured noise from white (0) through pink (1) to brown (2)."""
NOISE_SEED_MAX = 2**31
SPEED_QUALITY = "MQ"
"""soxr quality for the speed change: 16-bit precision is plenty for augmentation, and at about 0.4 ms
per 1.5 s clip it is half the cost of HQ."""


@dataclass(frozen=True)
class Context:
    """What an augmentation may use: the config, the sound banks, and this epoch's SNR range."""

    cfg: AugmentConfig
    backgrounds: Sequence[np.ndarray]
    rirs: Sequence[np.ndarray]
    snr_db: tuple[float, float]


class Augmentation(ABC):
    """One named waveform augmentation."""

    name: ClassVar[str]

    @abstractmethod
    def draw(self, rng: np.random.Generator, ctx: Context) -> Params | None:
        """Parameters for one application, or None when it is not applied this time."""

    @abstractmethod
    def apply(self, audio: np.ndarray, params: Params, ctx: Context) -> np.ndarray:
        """``audio`` (float32) transformed with ``params``."""


AUGMENTATIONS: Registry[type[Augmentation]] = Registry("augmentation")


def list_augmentations() -> list[str]:
    """Names of the registered waveform augmentations."""
    return AUGMENTATIONS.names()


def _applies(rng: np.random.Generator, p: float) -> bool:
    # Always consume one draw, so a probability of 0 or 1 does not shift the parameters after it.
    return bool(rng.random() < p)


@AUGMENTATIONS.register("speed")
class Speed(Augmentation):
    """Play faster or slower by resampling (tempo and pitch together). Length becomes ``n / factor``."""

    name = "speed"

    def draw(self, rng: np.random.Generator, ctx: Context) -> Params | None:
        applies = _applies(rng, ctx.cfg.speed_p)
        factor = float(rng.uniform(*ctx.cfg.speed))
        return {"factor": factor} if applies and factor != 1.0 else None

    def apply(self, audio: np.ndarray, params: Params, ctx: Context) -> np.ndarray:
        # Read the clip as if recorded at factor × 16 kHz and bring it back to 16 kHz.
        out = soxr.resample(audio, SAMPLE_RATE * float(params["factor"]), SAMPLE_RATE, quality=SPEED_QUALITY)
        return np.asarray(out, dtype=np.float32)


@AUGMENTATIONS.register("tempo")
class Tempo(Augmentation):
    """Faster or slower speech at the same pitch and formants (Signalsmith stretch). Length ``n / rate``."""

    name = "tempo"

    def __init__(self) -> None:
        self._stretch = TimeStretch(leave_length_unchanged=False, p=1.0)

    def draw(self, rng: np.random.Generator, ctx: Context) -> Params | None:
        applies = _applies(rng, ctx.cfg.tempo_p)
        rate = float(rng.uniform(*ctx.cfg.tempo))
        return {"rate": rate} if applies and rate != 1.0 else None

    def apply(self, audio: np.ndarray, params: Params, ctx: Context) -> np.ndarray:
        self._stretch.parameters = {"should_apply": True, "rate": float(params["rate"])}
        self._stretch.freeze_parameters()
        return np.asarray(self._stretch(audio, SAMPLE_RATE), dtype=np.float32)


@AUGMENTATIONS.register("pitch_shift")
class PitchShiftOp(Augmentation):
    """Pitch shift that keeps duration (audiomentations' Signalsmith stretch, about 4 ms per 1.5 s)."""

    name = "pitch_shift"

    def __init__(self) -> None:
        self._shift = PitchShift(p=1.0)

    def draw(self, rng: np.random.Generator, ctx: Context) -> Params | None:
        applies = _applies(rng, ctx.cfg.pitch_p)
        semitones = float(rng.uniform(*ctx.cfg.pitch_semitones))
        return {"semitones": semitones} if applies and semitones != 0.0 else None

    def apply(self, audio: np.ndarray, params: Params, ctx: Context) -> np.ndarray:
        # audiomentations draws from Python's global `random`; frozen parameters make it use ours.
        self._shift.parameters = {"should_apply": True, "num_semitones": float(params["semitones"])}
        self._shift.freeze_parameters()
        return np.asarray(self._shift(audio, SAMPLE_RATE), dtype=np.float32)


@AUGMENTATIONS.register("rir")
class Reverb(Augmentation):
    """Convolution with a room impulse response from the bank; the tail past the clip is cut."""

    name = "rir"

    def draw(self, rng: np.random.Generator, ctx: Context) -> Params | None:
        applies = _applies(rng, ctx.cfg.rir_p)
        index = int(rng.integers(len(ctx.rirs))) if ctx.rirs else 0
        return {"index": index} if applies and ctx.rirs else None

    def apply(self, audio: np.ndarray, params: Params, ctx: Context) -> np.ndarray:
        rir = ctx.rirs[int(params["index"])]
        return scipy.signal.fftconvolve(audio, rir)[: len(audio)].astype(np.float32)


@AUGMENTATIONS.register("background_noise")
class BackgroundNoise(Augmentation):
    """A background recording (looped when short) mixed in at an SNR drawn from the schedule."""

    name = "background_noise"

    def draw(self, rng: np.random.Generator, ctx: Context) -> Params | None:
        applies = _applies(rng, ctx.cfg.noise_p)
        snr = float(rng.uniform(*ctx.snr_db))
        if not (applies and ctx.backgrounds):
            return None
        index = int(rng.integers(len(ctx.backgrounds)))
        offset = int(rng.integers(len(ctx.backgrounds[index])))
        return {"snr_db": snr, "index": index, "offset": offset}

    def apply(self, audio: np.ndarray, params: Params, ctx: Context) -> np.ndarray:
        noise = loop_segment(ctx.backgrounds[int(params["index"])], int(params["offset"]), len(audio))
        return mix_at_snr(audio, noise, float(params["snr_db"]))


@AUGMENTATIONS.register("colored_noise")
class ColoredNoise(Augmentation):
    """Generated 1/f^exponent noise at an SNR from the schedule (used when there are no backgrounds)."""

    name = "colored_noise"

    def draw(self, rng: np.random.Generator, ctx: Context) -> Params | None:
        applies = _applies(rng, ctx.cfg.noise_p)
        snr = float(rng.uniform(*ctx.snr_db))
        exponent = float(rng.uniform(*COLOR_EXPONENT_RANGE))
        noise_seed = int(rng.integers(NOISE_SEED_MAX))
        return {"snr_db": snr, "exponent": exponent, "noise_seed": noise_seed} if applies else None

    def apply(self, audio: np.ndarray, params: Params, ctx: Context) -> np.ndarray:
        noise = colored_noise(len(audio), float(params["exponent"]), seed=int(params["noise_seed"]))
        return mix_at_snr(audio, noise, float(params["snr_db"]))


@AUGMENTATIONS.register("gain")
class Gain(Augmentation):
    """Overall level (applied last, so speech and noise move together): a relative change of
    ``gain_db``, or with ``level_dbfs`` set, the active level of the whole scene brought to a drawn dBFS."""

    name = "gain"

    def draw(self, rng: np.random.Generator, ctx: Context) -> Params | None:
        if ctx.cfg.level_dbfs is not None:
            return {"level_dbfs": float(rng.uniform(*ctx.cfg.level_dbfs))}
        gain_db = float(rng.uniform(*ctx.cfg.gain_db))
        return {"gain_db": gain_db} if gain_db != 0.0 else None

    def apply(self, audio: np.ndarray, params: Params, ctx: Context) -> np.ndarray:
        if "level_dbfs" in params:
            power = active_power(audio)
            if power <= 0.0:
                return audio
            gain = np.sqrt(10 ** (float(params["level_dbfs"]) / 10) / power)
            return (audio * np.float32(gain)).astype(np.float32)
        return (audio * np.float32(10 ** (float(params["gain_db"]) / 20))).astype(np.float32)
