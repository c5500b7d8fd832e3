"""Shared fixtures: a small real word list (so the lexicon builds in seconds), its cache, and a way to
hide an optional package."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest

from wakesmith.synth.lexicon import DICT_WORDS, WORD_RE

# Real words that sound like "hey katya" or its parts, kept in the small list on purpose.
KEEP = {
    "Kathy", "Katie", "Kate", "Katina", "cat", "cattier", "catchier", "catty", "khaki", "patty", "hey",
    "hay", "hi", "okay", "eh", "hake", "attic", "say", "day", "kay", "chattier", "cattle",
}  # fmt: skip
EVERY_NTH = 15


@pytest.fixture(scope="session")
def small_words(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every 15th usable word of the system dictionary plus the words above (~4k words)."""
    if not DICT_WORDS.is_file():
        pytest.skip("the system word list /usr/share/dict/words is not installed")
    usable = [w for w in DICT_WORDS.read_text(errors="replace").splitlines() if WORD_RE.match(w)]
    words = [w for i, w in enumerate(usable) if i % EVERY_NTH == 0 or w in KEEP]
    path = tmp_path_factory.mktemp("words") / "words.txt"
    path.write_text("\n".join(words) + "\n")
    return path


@pytest.fixture(scope="session")
def lexicon_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lexicon-cache")


@pytest.fixture
def hide_module(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """``hide_module("piper")``: importing that module through ``importlib`` fails from now on, as
    on a machine without the package (the voice engines import their packages that way)."""
    real = importlib.import_module

    def hide(hidden: str) -> None:
        def import_module(name: str, *args: object) -> object:
            if name == hidden:
                raise ImportError(name)
            return real(name, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(importlib, "import_module", import_module)

    return hide
