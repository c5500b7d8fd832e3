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

import multiprocessing
import os
import random
from concurrent.futures import ProcessPoolExecutor
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
TAKES_PER_PROCESS = 100


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


@dataclass(frozen=True)
class _Take:
    """One held-out utterance: what to say, and the voice settings drawn for it."""

    engine: str
    text: str
    speed: int
    voice: str
    pitch: float = 1.0
    noise_scale: float = 0.0
    noise_w: float = 0.0
    seed: int = 0
    """Piper's noise (Pico has none)."""


def _take(engine: str, text: str, rng: random.Random) -> _Take:
    """A Pico voice at a drawn pitch, or the Piper voice at drawn noise settings, at a drawn rate."""
    speed = rng.randint(*SPEED_WPM)
    if engine == "pico":
        return _Take(engine, text, speed, rng.choice(pico.VOICES), pitch=round(rng.uniform(*PICO_PITCH), 2))
    scale = round(rng.uniform(*piper.NOISE_SCALE_RANGE), 3)
    width = round(rng.uniform(*piper.NOISE_W_RANGE), 3)
    return _Take(engine, text, speed, str(piper.bundled_voice()), noise_scale=scale, noise_w=width,
                 seed=rng.randrange(2**31))  # fmt: skip


def _speak(takes: list[_Take]) -> list[np.ndarray]:
    out = []
    for t in takes:
        if t.engine == "pico":
            out.append(pico.synthesize(t.text, t.voice, speed=t.speed, pitch=t.pitch))
        else:
            out.append(piper.synthesize(t.text, Path(t.voice), speed=t.speed, noise_scale=t.noise_scale,
                                        noise_w=t.noise_w, seed=t.seed))  # fmt: skip
    return out


def speak_in_workers(takes: list[_Take], workers: int = 0) -> list[np.ndarray]:
    """The takes' audio, in order, from fresh (spawned) processes: py-nanotts crashes in a process that
    has imported TensorFlow (the edge stack), so it never runs in the evaluating process.

    Pico's output depends on what the same engine spoke before, so the takes go in fixed chunks of
    :data:`TAKES_PER_PROCESS`, each in a process of its own: the audio is the same for any ``workers``
    (up to a wobble inside py-nanotts seen on a loaded machine: 21 LSB in one take of seven)."""
    chunks = [takes[i : i + TAKES_PER_PROCESS] for i in range(0, len(takes), TAKES_PER_PROCESS)]
    if not chunks:
        return []
    n = max(1, min(workers or os.cpu_count() or 1, len(chunks)))
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n, mp_context=spawn, max_tasks_per_child=1) as pool:
        return [clip for part in pool.map(_speak, chunks) for clip in part]


def synthesize_held_out(
    phrase: str,
    *,
    engine: str = "pico",
    positives: int,
    speech: int,
    seed: int,
    words_path: Path = DICT_WORDS,
    workers: int = 0,
) -> HeldOutSpeech:
    """``positives`` takes of the phrase and ``speech`` ordinary utterances from the held-out engine,
    spoken by ``workers`` spawned processes (0: one per core)."""
    voices = held_out_voices(engine)
    rng = random.Random(seed)
    forms = phrase_variants(phrase)
    pos_texts = [forms[i % len(forms)] for i in range(positives)]
    neg_texts = negative_texts(phrase, speech, rng, read_words(words_path))
    takes = [_take(engine, text, rng) for text in pos_texts + neg_texts]
    audio = speak_in_workers(takes, workers)
    return HeldOutSpeech(engine, voices, audio[:positives], audio[positives:])
