"""Ordinary speech by the hour, spoken for an evaluation stream only (``eval.distinct_speech``).

A quickstart's test split holds ~10 minutes of ordinary speech; a stream of 10 h built from it hears
each clip 60 times, so one false accept is counted 60 times and a 0.1 FA/h budget is not measured at
all. Here the split's own espeak-ng speakers (``espeak:<voice>+<variant>``, the speakers the split
holds out from training) speak runs of everyday text — fragments of the bundled sentences, short
sentences and word-list words, as the dataset's negative speech, joined to 15–40 words — each at a
drawn speed and pitch, for as long as the stream needs. Nothing goes into the clip store: the audio
exists only inside the stream file. espeak-ng speaks ~400× faster than real time on one core, so
10 h cost ~90 core-seconds.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from wakesmith.errors import DatasetError
from wakesmith.synth import espeak
from wakesmith.synth.plan import negative_texts, word_runs

SPEEDS = (125, 200)
"""Words per minute of the runs (espeak-ng's -s), drawn per run."""
PITCHES = (20, 85)
BATCH_PER_WORKER = 8


@dataclass(frozen=True)
class Run:
    text: str
    voice: str
    variant: str
    speed: int
    pitch: int


def espeak_voices(speakers: Sequence[str]) -> list[tuple[str, str]]:
    """``(voice, variant)`` of the espeak-ng speakers among dataset speaker ids, sorted."""
    out = set()
    for s in speakers:
        if s.startswith("espeak:"):
            voice, _, variant = s.removeprefix("espeak:").partition("+")
            out.add((voice, variant))
    return sorted(out)


def run_texts(phrase: str, rng: random.Random, dictionary: Sequence[str], language: str) -> Iterator[str]:
    """Endless 15–40-word runs of everyday text (sentences, fragments, word-list words) that never
    contain the phrase."""
    return word_runs(phrase, rng, lambda: negative_texts(phrase, 1, rng, dictionary, language)[0])


def _speak(run: Run) -> np.ndarray:
    return espeak.synthesize(run.text, voice=run.voice, variant=run.variant, speed=run.speed, pitch=run.pitch)


def speech_runs(
    phrase: str,
    speakers: Sequence[str],
    *,
    seed: int,
    dictionary: Sequence[str],
    language: str = "en",
    workers: int = 0,
) -> Iterator[np.ndarray]:
    """Endless clips (float32, 16 kHz) of ``speakers``' espeak-ng voices speaking runs of everyday text,
    the same ones for the same arguments. espeak-ng runs in subprocesses, so ``workers`` threads (0:
    one per core) speak in parallel."""
    voices = espeak_voices(speakers)
    if not voices:
        raise DatasetError(
            "eval.distinct_speech needs espeak-ng speakers in the split to speak its runs; this split "
            "has none. Set eval.distinct_speech=false to build the stream from the split's clips."
        )
    rng = random.Random(seed)
    texts = run_texts(phrase, rng, dictionary, language)
    n = max(1, workers or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=n) as pool:
        while True:
            batch = []
            for _ in range(n * BATCH_PER_WORKER):
                voice, variant = rng.choice(voices)
                batch.append(Run(next(texts), voice, variant, rng.randint(*SPEEDS), rng.randint(*PITCHES)))
            yield from pool.map(_speak, batch)
