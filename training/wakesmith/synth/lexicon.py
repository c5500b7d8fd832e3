"""A phonemized English word list, built once with espeak-ng and cached as a TSV file.

The source is the system dictionary (``/usr/share/dict/words``): alphabetic words of 2–10 letters,
lower-cased. Capitalized entries are kept too, because names ("Kathy", "Katie") are exactly what a
name-like wake word gets confused with. Phonemizing some 60k words takes espeak-ng about half a
minute per core, so the result is cached under the given folder, keyed by the word list, the voice
and the espeak-ng version.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from wakesmith.errors import ConfigError
from wakesmith.fsio import atomic_write_text
from wakesmith.synth.espeak import TOKEN_SEP, espeak_version, phoneme_words

log = logging.getLogger(__name__)

DICT_WORDS = Path("/usr/share/dict/words")
WORD_RE = re.compile(r"^[A-Za-z][a-z]{1,9}$")
"""2–10 letters, all lower case but perhaps the first (names)."""
ANY_LETTERS_RE = re.compile(r"^[^\W\d_][^\W\d_A-Z]{1,9}$")
"""The same for languages with other letters (ä, é, ß…): 2–10 letters, lower case but perhaps the first."""
WORD = re.compile(r"(?:[^\W\d_]|')+")
"""A written word in running text, in any alphabet (apostrophes kept: "don't", "aujourd'hui")."""
LEXICON_FORMAT = 1
"""Bump when the cached TSV format or the word filter changes."""


@dataclass(frozen=True)
class Lexicon:
    """Words and their phonemes, per word a list of espeak phoneme tokens."""

    words: list[str]
    phonemes: list[list[str]]
    voice: str

    def __len__(self) -> int:
        return len(self.words)

    def lookup(self) -> dict[str, list[str]]:
        return dict(zip(self.words, self.phonemes, strict=True))


def read_words(path: Path = DICT_WORDS, *, language: str = "en") -> list[str]:
    """Filtered, lower-cased, de-duplicated words of a word list, in file order (for a language with a
    ``max_words`` cap, that many evenly spaced ones)."""
    from wakesmith.synth.languages import speech_language

    spec = speech_language(language)
    pattern = WORD_RE if spec.ascii_words else ANY_LETTERS_RE
    if not path.is_file():
        raise ConfigError(
            f"Word list {path} not found. Install one (`sudo apt install wamerican`, or `wngerman`, "
            "`wfrench` for German and French) or pass another file with one word per line."
        )
    seen: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        word = line.strip()
        if pattern.match(word):
            seen.setdefault(word.lower(), None)
    if not seen:
        raise ConfigError(f"Word list {path} holds no usable words (alphabetic, 2–10 letters).")
    words = list(seen)
    if spec.max_words is not None and len(words) > spec.max_words:
        step = len(words) / spec.max_words
        words = [words[int(i * step)] for i in range(spec.max_words)]
    return words


def _cache_file(cache_dir: Path, words_path: Path, voice: str) -> Path:
    stat = words_path.stat()
    source = f"{words_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    key = f"{LEXICON_FORMAT}|{source}|{voice}|{espeak_version()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_dir / f"lexicon-{voice}-{digest}.tsv"


def load_lexicon(
    cache_dir: Path,
    *,
    words_path: Path = DICT_WORDS,
    voice: str = "en-us",
    workers: int = 0,
    language: str = "en",
) -> Lexicon:
    """The phonemized lexicon, read from the cache or built with espeak-ng (``workers`` processes)."""
    words_path = Path(words_path)
    words = read_words(words_path, language=language)
    cache = _cache_file(Path(cache_dir), words_path, voice)
    if cache.is_file():
        rows = [line.split("\t") for line in cache.read_text(encoding="utf-8").splitlines()]
        if len(rows) == len(words) and all(len(r) == 2 for r in rows):
            return Lexicon(
                [r[0] for r in rows], [[t for t in r[1].split(TOKEN_SEP) if t] for r in rows], voice
            )
        log.warning("lexicon cache %s is damaged; rebuilding it", cache)
    log.info(
        "phonemizing %d words from %s with espeak-ng (%s); cached in %s", len(words), words_path, voice, cache
    )
    per_word = phoneme_words(words, voice, workers=workers)
    # A single word is one espeak word, except rare spellings it splits; join those back.
    phonemes = [[tok for w in word for tok in w] for word in per_word]
    atomic_write_text(
        cache, "".join(f"{w}\t{TOKEN_SEP.join(p)}\n" for w, p in zip(words, phonemes, strict=True))
    )
    return Lexicon(words, phonemes, voice)
