"""Processed variants of test positives: the rooms, talkers and levels a user's home adds.

Each clip gets one processing, drawn from its index and a fixed seed, so a report's *processed* row
always hears the same audio:

- ``level``: the whole clip brought to −45…−10 dBFS (a far or a near talker);
- ``tempo``: 0.8–1.2× speaking rate at the same pitch;
- ``pitch``: ±3 semitones (formants move with it: another vocal tract);
- ``reverb``: a room impulse response from a bank made with another seed than training's;
- ``noise``: a test background (fan, hum, babble…) at 0–20 dB SNR;
- ``tone``: beeps or a hum of one to three sinusoids at 0–20 dB SNR.

The parameters lie past the default training augmentation on purpose: this set asks whether a model
generalizes, not whether it fits its own augmentation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wakesmith.augment.noise import active_power, loop_segment, mix_at_snr
from wakesmith.augment.ops import Context, PitchShiftOp, Reverb, Tempo
from wakesmith.augment.rir import make_rirs
from wakesmith.config import SAMPLE_RATE, AugmentConfig

PROCESSINGS = ("level", "tempo", "pitch", "reverb", "noise", "tone")
LEVEL_DBFS = (-45.0, -10.0)
TEMPO = (0.8, 1.2)
PITCH_SEMITONES = (-3.0, 3.0)
SNR_DB = (0.0, 20.0)
TONE_HZ = (120.0, 3000.0)
EVAL_RIRS, EVAL_RIR_SEED = 16, 9001
"""The evaluation's room bank: not the training bank (seed 0)."""
SEED = 4321


class Processor:
    """Applies processing number ``i`` of the catalogue above to clip ``i``."""

    def __init__(self, backgrounds: Sequence[np.ndarray]) -> None:
        self.backgrounds = [b for b in backgrounds if len(b) and np.any(b)]
        self.rirs = make_rirs(EVAL_RIRS, EVAL_RIR_SEED)
        self._tempo, self._pitch, self._reverb = Tempo(), PitchShiftOp(), Reverb()
        self._ctx = Context(AugmentConfig(), [], self.rirs, SNR_DB)

    def kinds(self) -> list[str]:
        return [k for k in PROCESSINGS if k != "noise" or self.backgrounds]

    def __call__(self, clip: np.ndarray, index: int) -> tuple[str, np.ndarray]:
        rng = np.random.default_rng([SEED, index])
        kinds = self.kinds()
        kind = kinds[index % len(kinds)]
        x = np.asarray(clip, dtype=np.float32)
        if kind == "level":
            power = active_power(x)
            gain = np.sqrt(10 ** (rng.uniform(*LEVEL_DBFS) / 10) / power) if power > 0 else 1.0
            out = x * np.float32(gain)
        elif kind == "tempo":
            out = self._tempo.apply(x, {"rate": float(rng.uniform(*TEMPO))}, self._ctx)
        elif kind == "pitch":
            out = self._pitch.apply(x, {"semitones": float(rng.uniform(*PITCH_SEMITONES))}, self._ctx)
        elif kind == "reverb":
            out = self._reverb.apply(x, {"index": int(rng.integers(len(self.rirs)))}, self._ctx)
        elif kind == "noise":
            bg = self.backgrounds[int(rng.integers(len(self.backgrounds)))]
            noise = loop_segment(bg, int(rng.integers(len(bg))), len(x))
            out = mix_at_snr(x, noise, float(rng.uniform(*SNR_DB)))
        else:
            out = mix_at_snr(x, tones(len(x), rng), float(rng.uniform(*SNR_DB)))
        return kind, np.clip(out, -1.0, 1.0).astype(np.float32)


def tones(n: int, rng: np.random.Generator) -> np.ndarray:
    """One to three sinusoids, steady (a hum) or gated on and off (beeps)."""
    t = np.arange(n) / SAMPLE_RATE
    out = np.zeros(n, dtype=np.float64)
    for _ in range(int(rng.integers(1, 4))):
        out += np.sin(2 * np.pi * rng.uniform(*TONE_HZ) * t + rng.uniform(0, 2 * np.pi))
    if rng.random() < 0.5:
        period = rng.uniform(0.15, 0.6)
        out *= (t % period) < period / 2
    return out.astype(np.float32)
