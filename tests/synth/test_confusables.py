"""Phonetic confusables of a wake phrase, built from the real espeak-ng and a real word list."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest

from wakesmith.errors import ConfigError
from wakesmith.synth import espeak
from wakesmith.synth.confusables import KINDS, MIN_DISTANCE, confusables, phrase_phonemes
from wakesmith.synth.lexicon import load_lexicon
from wakesmith.synth.phonetics import distance


@pytest.fixture(scope="module")
def katya(small_words: Path, lexicon_cache: Path) -> list:
    return confusables("hey katya", n=2000, seed=0, cache_dir=lexicon_cache, words_path=small_words)


def test_confusables_are_close_but_never_the_phrase(katya: list) -> None:
    assert len(katya) > 150
    phrase = phrase_phonemes("hey katya")
    for c in katya:
        assert c.phonemes != phrase
        assert re.sub(r"[^a-z ]", "", c.text.lower()) != "hey katya"
        assert c.distance >= MIN_DISTANCE
    lexical = [c for c in katya if c.kind in ("lexicon_word", "lexicon_pair")]
    assert max(c.distance for c in lexical) <= 0.4 * 6.05 + 1e-9  # 40% of the phrase's phoneme weight
    assert sorted(Counter(c.phonemes for c in katya).values())[-1] == 1  # each sound once


def test_expected_kinds_and_examples_are_present(katya: list) -> None:
    kinds = Counter(c.kind for c in katya)
    assert set(kinds) == set(KINDS), kinds
    texts = {c.text for c in katya}
    assert {"hey", "katya", "okay katya", "hey cat"} <= texts
    assert texts & {"hey kathy", "hey katie", "hay kathy"}
    assert texts & {"hey cattier", "hay cattier"}
    assert "[[h'eI g'at#I;@]]" in texts  # k → g, spoken from phonemes
    partials = [c for c in katya if c.kind == "partial" and c.speak_phonemes]
    assert any(c.phonemes.startswith("h'eI k'a") for c in partials)  # "hey kat…"


def test_phrase_containing_candidates_are_dropped(small_words: Path, lexicon_cache: Path) -> None:
    # "ok computers" holds all of "ok computer": a streaming model has rightly fired before the "s".
    found = confusables("ok computer", n=500, seed=0, cache_dir=lexicon_cache, words_path=small_words)
    phrase = phrase_phonemes("ok computer").replace(" ", "")
    assert found
    assert not [c for c in found if phrase in c.phonemes.replace(" ", "")]


def test_selection_is_deterministic_and_mixes_kinds(small_words: Path, lexicon_cache: Path) -> None:
    a = confusables("hey katya", n=60, seed=3, cache_dir=lexicon_cache, words_path=small_words)
    b = confusables("hey katya", n=60, seed=3, cache_dir=lexicon_cache, words_path=small_words)
    c = confusables("hey katya", n=60, seed=4, cache_dir=lexicon_cache, words_path=small_words)
    assert a == b and len(a) == 60
    assert a != c
    assert len({x.kind for x in a}) >= 6
    assert max(Counter(x.kind for x in a).values()) <= 0.3 * 60


def test_reported_distance_matches_the_phonemes(katya: list) -> None:
    from wakesmith.synth.espeak import phoneme_words

    phrase = [t for w in phoneme_words(["hey katya"])[0] for t in w]
    for c in katya[::25]:
        if c.speak_phonemes:
            continue  # phoneme strings may re-tokenize differently; words are phonemized afresh
        cand = [t for w in phoneme_words([c.text])[0] for t in w]
        assert distance(phrase, cand) == pytest.approx(c.distance, abs=0.6)


def test_phoneme_confusables_are_speakable(katya: list) -> None:
    for c in [c for c in katya if c.speak_phonemes][::40]:
        audio = espeak.synthesize(c.phonemes, phonemes=True)
        assert audio.size > 1000


def test_lexicon_is_cached(small_words: Path, lexicon_cache: Path) -> None:
    load_lexicon(lexicon_cache, words_path=small_words)  # built by the fixtures above, or now
    start = time.perf_counter()
    lex = load_lexicon(lexicon_cache, words_path=small_words)
    assert time.perf_counter() - start < 1.0
    lookup = lex.lookup()
    assert lookup["kathy"] == ["k", "'a", "T", "i"] and lookup["cat"] == ["k", "'a", "t"]
    assert len(list(lexicon_cache.glob("lexicon-en-us-*.tsv"))) == 1


def test_bad_phrase_and_word_list(tmp_path: Path, small_words: Path) -> None:
    with pytest.raises(ConfigError):
        confusables("!!!", n=5, cache_dir=tmp_path, words_path=small_words)
    with pytest.raises(ConfigError, match="not found"):
        confusables("hey katya", n=5, cache_dir=tmp_path, words_path=tmp_path / "missing.txt")
    assert confusables("hey katya", n=0, cache_dir=tmp_path, words_path=small_words) == []


@pytest.mark.slow
def test_full_dictionary_finds_the_classic_confusables(tmp_path: Path) -> None:
    found = confusables("hey katya", n=3000, seed=0, cache_dir=tmp_path)
    texts = {c.text for c in found}
    assert {"okay katya", "hey cattier"} <= texts
    assert texts & {"hey kathy", "hey cathy"}
    assert len(found) > 300
