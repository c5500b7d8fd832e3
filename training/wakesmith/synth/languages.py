"""What synthesis needs to know about a language beyond its voices and word list (``config.LANGUAGES``):
the sentences its negative speech is cut from, the greetings that front a phrase (confusables swap
them), the voice that phonemizes its words, and which letters its words are made of."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from wakesmith.config import check_language


@dataclass(frozen=True)
class SpeechLanguage:
    code: str
    sentences: str
    """A resource file of ``wakesmith.synth``: one everyday sentence per line."""
    carriers: tuple[str, ...]
    """Greetings that front wake phrases; swapping them ("okay katya") is a classic false accept."""
    phoneme_voice: str
    """The espeak-ng voice the phrase and the word list are phonemized with."""
    ascii_words: bool
    """Word-list entries must be ASCII letters (English); otherwise any letters (ä, é, ß…)."""
    max_words: int | None
    """At most this many word-list entries, evenly spaced (phonemizing 100k+ words takes minutes)."""


LANGUAGE_TEXT = {
    "en": SpeechLanguage(
        "en",
        "sentences.txt",
        ("hey", "hi", "hay", "okay", "ok", "oh", "yo", "say", "they", "hello", "a"),
        "en-us",
        ascii_words=True,
        max_words=None,
    ),
    "de": SpeechLanguage(
        "de",
        "sentences_de.txt",
        ("hallo", "hey", "hi", "he", "na", "ja", "so", "oh", "okay", "sag", "ey"),
        "de",
        ascii_words=False,
        max_words=60_000,
    ),
    "fr": SpeechLanguage(
        "fr",
        "sentences_fr.txt",
        ("salut", "hé", "eh", "oh", "allô", "dis", "ok", "ah", "bonjour", "coucou", "et"),
        "fr",
        ascii_words=False,
        max_words=60_000,
    ),
}


def speech_language(code: str) -> SpeechLanguage:
    return LANGUAGE_TEXT[check_language(code)]


def sentences(code: str = "en") -> list[str]:
    """The bundled everyday sentences of a language."""
    name = speech_language(code).sentences
    text = resources.files("wakesmith.synth").joinpath(name).read_text(encoding="utf-8")
    return [s.strip() for s in text.splitlines() if s.strip() and not s.startswith("#")]
