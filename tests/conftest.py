"""Shared fixtures: a tiny but real dataset (espeak-ng speech in a real SQLite store).

Built once per test session: about 30 espeak-ng speakers so that the speaker-grouped
80/10/10 split leaves positives and negatives in every split.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wakesmith.config import SynthConfig
from wakesmith.home import Home
from wakesmith.synth.lexicon import DICT_WORDS

PHRASE = "hey katya"
DATASET = "hey_katya"
SOUNDALIKES = ["Kathy", "Katie", "Kate", "cat", "cattier", "catty", "hey", "hay", "hi", "okay", "hake"]
EVERY_NTH_WORD = 40


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
        # espeak-ng only: this dataset underlies the train/evaluate/judge tests; tests/synth/test_pico.py
        # covers SVOX Pico (the default SynthConfig trains on it too).
        pico_voices=[],
        positives=90,
        confusables=60,
        negative_speech=60,
        backgrounds=12,
        lexicon=lexicon,
    )


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
