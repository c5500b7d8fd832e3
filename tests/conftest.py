"""Shared fixtures: a tiny but real dataset (espeak-ng speech in a real SQLite store).

Built once per test session: about 30 espeak-ng speakers so that the speaker-grouped
80/10/10 split leaves positives and negatives in every split. One sentry trained on it long enough to
detect (``calibrated_sentry``) is shared by the pipeline and edge tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from wakesmith.config import SAMPLE_RATE, SynthConfig
from wakesmith.home import Home
from wakesmith.synth.lexicon import DICT_WORDS

if TYPE_CHECKING:
    from wakesmith.artifact import Artifact

PHRASE = "hey katya"
DATASET = "hey_katya"
SOUNDALIKES = ["Kathy", "Katie", "Kate", "cat", "cattier", "catty", "hey", "hay", "hi", "okay", "hake"]
EVERY_NTH_WORD = 40
TRAINED = [
    "train.epochs=12",
    "train.samples_per_epoch=640",
    "train.batch_size=32",
    "train.num_workers=0",
    "train.checkpoint_every_n_steps=1000",
    "augment.enabled=false",
    "model.params.blocks=4",
]
"""The tiny recipe trained longer (more steps on the same tiny data, no augmentation) with four blocks
(a 1.8 s receptive field, as the full sentry): about a minute on two cores. Measured on the tiny
dataset's held-out (test-split) clips at the thresholds ``api.evaluate`` calibrated: 4 of 5 positives
detected (float ONNX and the INT8 ESPHome file), the background silent."""


@pytest.fixture(scope="session")
def small_lexicon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ~1.5k-word slice of the system dictionary (plus sound-alikes) so confusables build in seconds."""
    words = DICT_WORDS.read_text(errors="replace").splitlines()
    keep = [w for i, w in enumerate(words) if i % EVERY_NTH_WORD == 0 and w.isalpha()] + SOUNDALIKES
    path = tmp_path_factory.mktemp("lexicon") / "words.txt"
    path.write_text("\n".join(keep) + "\n")
    return path


def tiny_synth(lexicon: Path) -> SynthConfig:
    return SynthConfig(
        phrase=PHRASE,
        voices=["en-us", "en-gb"],
        # The 15 standard espeak-ng variants (no croak/whisper): 2 accents × 15 = 30 speakers.
        variants=["", *(f"m{i}" for i in range(1, 8)), *(f"f{i}" for i in range(1, 6)), "klatt", "klatt2"],
        speeds=[140, 175],
        pitches=[40, 60],
        word_gaps=[0],
        # espeak-ng only: this dataset underlies the train/evaluate/judge tests. The bundled Piper voice
        # the default SynthConfig trains on is covered by tests/synth/test_piper_voices.py, SVOX Pico
        # (the default evaluation's unseen engine) by test_pico.py.
        piper_bundled=False,
        positives=90,
        confusables=60,
        negative_speech=60,
        long_speech=6,
        backgrounds=12,
        lexicon=lexicon,
    )


@pytest.fixture(scope="session")
def tiny_synth_config(small_lexicon: Path) -> SynthConfig:
    """The tiny dataset's synthesis settings (for tests that synthesize it themselves)."""
    return tiny_synth(small_lexicon)


@pytest.fixture(scope="session")
def tiny_home(tmp_path_factory: pytest.TempPathFactory, small_lexicon: Path) -> Home:
    """A data home holding a synthesized ``hey_katya`` dataset, split by speaker."""
    from wakesmith import api

    home = Home.resolve(tmp_path_factory.mktemp("home")).ensure()
    summary = api.synthesize(tiny_synth(small_lexicon), home=home)
    assert summary.failed == 0
    return home


@pytest.fixture
def home_copy(tiny_home: Home, tmp_path: Path) -> Home:
    """A private copy of the tiny home, for tests that write models or runs."""
    import shutil

    target = tmp_path / "home"
    shutil.copytree(tiny_home.root, target, ignore=shutil.ignore_patterns("runs", "models", "streams"))
    return Home.resolve(target).ensure()


@pytest.fixture(scope="session")
def sentry_home(tiny_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A private copy of the tiny home holding :func:`calibrated_sentry` (shared: do not retrain in it)."""
    import shutil

    target = tmp_path_factory.mktemp("sentry") / "home"
    shutil.copytree(tiny_home.root, target, ignore=shutil.ignore_patterns("runs", "models", "streams"))
    return Home.resolve(target).ensure()


@pytest.fixture(scope="session")
def calibrated_sentry(sentry_home: Home) -> Artifact:
    """A sentry trained with :data:`TRAINED` and evaluated: its thresholds are the calibrated ones."""
    from wakesmith import api

    artifact = api.train("tiny", overrides=TRAINED, home=sentry_home).artifact
    api.evaluate(artifact.path, home=sentry_home)
    return artifact


@pytest.fixture(scope="session")
def judge_fixture(tiny_home: Home, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A judge trained on the tiny dataset (in a private copy of the home) + its positive/negative clips,
    shared by the Judge and satellite tests (``tests/judge/model_fixture.py``).

    ``WAKESMITH_JUDGE_FIXTURE`` may name a folder made by ``tests/ha/prepare.py`` to reuse its model.
    """
    import os
    import shutil
    import sys

    sys.path.append(str(Path(__file__).parent / "judge"))
    from model_fixture import JudgeFixture, build_judge_fixture

    prepared = os.environ.get("WAKESMITH_JUDGE_FIXTURE")
    if prepared:
        return JudgeFixture.read(Path(prepared))
    root = tmp_path_factory.mktemp("judge_fixture")
    shutil.copytree(tiny_home.root, root / "home", ignore=shutil.ignore_patterns("runs", "models", "streams"))
    return build_judge_fixture(Home.resolve(root / "home").ensure(), root / "out")


TAKE_UTTERANCES = ("hey katya", "hey katya", "turn on the kitchen lights")
TAKE_PAUSE_S = 0.7


@pytest.fixture(scope="session")
def spoken_take() -> tuple[np.ndarray, list[tuple[int, int]]]:
    """One take of three espeak-ng utterances (two voices) with 0.7 s pauses, at -26 dBFS in light
    noise; and where each utterance lies, in samples."""
    from wakesmith.synth import espeak

    rng = np.random.default_rng(7)
    pause = np.zeros(int(TAKE_PAUSE_S * SAMPLE_RATE), np.float32)
    pieces: list[np.ndarray] = [pause[: SAMPLE_RATE // 4]]
    spans = []
    for i, text in enumerate(TAKE_UTTERANCES):
        said = espeak.synthesize(text, voice="en-us" if i % 2 == 0 else "en-gb")
        start = sum(len(p) for p in pieces)
        spans.append((start, start + len(said)))
        pieces += [said, pause]
    take = np.concatenate(pieces)
    take = take / np.sqrt(np.mean(take**2)) * 10 ** (-26 / 20)
    take = take + 10 ** (-60 / 20) * rng.standard_normal(len(take))
    return take.astype(np.float32), spans
