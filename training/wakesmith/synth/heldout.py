"""Speech from a voice family that training never hears: the evaluation's *unseen-engine* set.

Held-out espeak-ng speakers are variants of the engine the model was trained on; a model can learn
espeak-ng itself and still look perfect on them. This module speaks the phrase (positives) and
ordinary sentences (negatives) with another engine, for the evaluation only, never into the clip store:

- ``pico`` (the default): SVOX Pico's two English voices (``py-nanotts``, the ``voices`` extra), an
  HMM synthesizer unlike espeak-ng's formant voices and Piper's neural one, each take at its own
  pitch factor and speaking rate. The default dataset trains on espeak-ng and the bundled Piper voice,
  so Pico is the family its models never heard (leave one engine out).
- ``piper``: the bundled Piper voice (``en_US-joe-medium``) varied through Piper's own controls
  (speaking rate, ``noise_scale``, ``noise_w``), for datasets that do not train on it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wakesmith.errors import DatasetError
from wakesmith.synth import pico, piper
from wakesmith.synth.lexicon import DICT_WORDS, read_words
from wakesmith.synth.plan import negative_texts, phrase_variants

SPEED_WPM = (125, 205)
PICO_PITCH = (0.7, 1.45)
"""Pico pitch factors of the held-out takes (low male to high female F0), one per take."""
ENGINES = ("pico", "piper")


@dataclass(frozen=True)
class HeldOutSpeech:
    engine: str
    voices: str
    """What spoke, for the report and the cache key (``pico:en-US, pico:en-GB``)."""
    positives: list[np.ndarray]
    speech: list[np.ndarray]


def _check(engine: str) -> None:
    if engine not in ENGINES:
        raise DatasetError(f"Unknown unseen engine {engine!r}; known: {', '.join(ENGINES)}.")


def held_out_voices(engine: str) -> str:
    """The dataset speaker ids (or their pattern) the held-out engine speaks with."""
    _check(engine)
    if engine == "pico":
        return ", ".join(f"pico:{v}" for v in pico.VOICES)
    return piper.speaker_id(piper.bundled_voice())


def is_held_out(engine: str, speaker: str) -> bool:
    """Whether a dataset speaker belongs to the held-out engine (training on it spoils the set)."""
    _check(engine)
    if engine == "pico":
        return speaker.startswith("pico:")
    return piper.is_voice(speaker, piper.bundled_voice())


def _speaker(engine: str, rng: random.Random) -> Callable[[str], np.ndarray]:
    """One take's voice: a Pico voice at a drawn pitch, or the Piper voice at drawn noise settings."""
    speed = rng.randint(*SPEED_WPM)
    if engine == "pico":
        voice, pitch = rng.choice(pico.VOICES), round(rng.uniform(*PICO_PITCH), 2)
        return lambda text: pico.synthesize(text, voice, speed=speed, pitch=pitch)
    path = piper.bundled_voice()
    scale, width = (
        round(rng.uniform(*piper.NOISE_SCALE_RANGE), 3),
        round(rng.uniform(*piper.NOISE_W_RANGE), 3),
    )
    return lambda text: piper.synthesize(text, path, speed=speed, noise_scale=scale, noise_w=width)


def synthesize_held_out(
    phrase: str,
    *,
    engine: str = "pico",
    positives: int,
    speech: int,
    seed: int,
    words_path: Path = DICT_WORDS,
) -> HeldOutSpeech:
    """``positives`` takes of the phrase and ``speech`` ordinary utterances from the held-out engine."""
    voices = held_out_voices(engine)
    rng = random.Random(seed)
    forms = phrase_variants(phrase)
    pos_texts = [forms[i % len(forms)] for i in range(positives)]
    neg_texts = negative_texts(phrase, speech, rng, read_words(words_path))

    def speak(texts: list[str]) -> list[np.ndarray]:
        return [_speaker(engine, rng)(text) for text in texts]

    return HeldOutSpeech(engine, voices, speak(pos_texts), speak(neg_texts))
