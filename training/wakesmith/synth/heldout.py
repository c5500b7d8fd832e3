"""Speech from a voice family that training never hears: the evaluation's *unseen-engine* set.

Held-out espeak-ng speakers are variants of the engine the model was trained on; a model can learn
espeak-ng itself and still look perfect on them. This module speaks the phrase (positives) and
ordinary sentences (negatives) with another engine — the Piper voice bundled in the ``voices`` extra
(``en_US-joe-medium``, a neural voice trained on a real person's recordings) — varied through Piper's
own controls: speaking rate (``length_scale``), voice variation (``noise_scale``) and phoneme-length
variation (``noise_w``). The clips go to the evaluation only, never into the clip store.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wakesmith.errors import DatasetError
from wakesmith.synth import piper
from wakesmith.synth.lexicon import DICT_WORDS, read_words
from wakesmith.synth.plan import negative_texts, phrase_variants

SPEED_WPM = (125, 205)
NOISE_SCALE = (0.3, 1.0)
NOISE_W = (0.3, 1.2)
ENGINES = ("piper",)


@dataclass(frozen=True)
class HeldOutSpeech:
    engine: str
    voice: str
    speaker: str
    """The speaker id this voice would have in a dataset: training on it makes the set invalid."""
    positives: list[np.ndarray]
    speech: list[np.ndarray]


@dataclass(frozen=True)
class _Take:
    text: str
    speed: int
    noise_scale: float
    noise_w: float


def _takes(texts: list[str], rng: random.Random) -> list[_Take]:
    return [
        _Take(
            t, rng.randint(*SPEED_WPM), round(rng.uniform(*NOISE_SCALE), 3), round(rng.uniform(*NOISE_W), 3)
        )
        for t in texts
    ]


def held_out_speaker(engine: str) -> str:
    """Dataset speaker id of the held-out engine's voice (``piper:en_US-joe-medium``)."""
    if engine not in ENGINES:
        raise DatasetError(f"Unknown unseen engine {engine!r}; known: {', '.join(ENGINES)}.")
    return piper.speaker_id(piper.bundled_voice())


def synthesize_held_out(
    phrase: str,
    *,
    engine: str = "piper",
    positives: int,
    speech: int,
    seed: int,
    words_path: Path = DICT_WORDS,
) -> HeldOutSpeech:
    """``positives`` takes of the phrase and ``speech`` ordinary utterances from the held-out engine."""
    speaker = held_out_speaker(engine)
    voice = piper.bundled_voice()
    rng = random.Random(seed)
    forms = phrase_variants(phrase)
    pos_takes = _takes([forms[i % len(forms)] for i in range(positives)], rng)
    neg_takes = _takes(negative_texts(phrase, speech, rng, read_words(words_path)), rng)

    def speak(takes: list[_Take]) -> list[np.ndarray]:
        return [
            piper.synthesize(t.text, voice, speed=t.speed, noise_scale=t.noise_scale, noise_w=t.noise_w)
            for t in takes
        ]

    return HeldOutSpeech(engine, voice.name, speaker, speak(pos_takes), speak(neg_takes))
