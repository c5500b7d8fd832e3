"""Phonetic confusables of a wake phrase: the adversarial negatives open wake-word models fail on.

From the phrase's espeak phonemes this builds candidates of several kinds:

``phoneme_sub`` / ``phoneme_del`` / ``phoneme_ins``
    one or two phoneme edits ("hey gatya", "hey katy", "hey kantya"), spoken via ``[[...]]``;
``partial``
    the phrase cut short or started late, by words ("hey", "katya") or by phonemes ("hey kat…");
``word_swap``
    one phrase word replaced by a dictionary word (or greeting) that sounds like it ("hey kathy",
    "okay katya");
``lexicon_word`` / ``lexicon_pair``
    dictionary words and word pairs close to the whole phrase, wherever the word boundary falls.

Every candidate carries its weighted phoneme distance to the phrase (:mod:`.phonetics`). Candidates
closer than :data:`MIN_DISTANCE` are homophones or allophonic variants of the phrase (a positive,
not a negative) and are dropped. The result is deterministic for a seed.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wakesmith.errors import ConfigError
from wakesmith.synth.espeak import phoneme_words
from wakesmith.synth.languages import speech_language
from wakesmith.synth.lexicon import DICT_WORDS, WORD, Lexicon, load_lexicon
from wakesmith.synth.phonetics import PhoneTable, base, distance, indel_cost, neighbours

log = logging.getLogger(__name__)

MIN_DISTANCE = 0.45
"""Closer than this a candidate sounds like the phrase itself (allophones, a dropped 'h')."""
CONTAINS_DISTANCE = 0.25
"""A candidate with a stretch this close to the phrase contains it ("ok computers"), allophones aside.
Stricter than MIN_DISTANCE: the "kay katya" in "okay katya" lacks the "h" but is still a confusable."""
REL_LIMIT = 0.4
"""Lexicon matches may differ by this fraction of the target's total phoneme weight…"""
MIN_LIMIT = 1.0
"""…but always by at least one full edit."""
TOP_PER_PART = 25
"""Best dictionary words kept per phrase part when pairing words."""
SWAPS_PER_WORD = 40
SWAP_SCORE_SCALE = 1.0
"""A word swap at its word's full leeway samples like a candidate at this distance."""
PAIR_POOL = 300
SAMPLING_TEMPERATURE = 0.6
"""Lower favours the closest candidates of each kind more strongly when there are too many."""

STRESSED = "',"
INSERT_PHONES = ("@", "I", "n", "s", "t", "l", "r", "k", "m", "i:")

KIND_SHARES: dict[str, float] = {
    "phoneme_sub": 0.22, "phoneme_del": 0.08, "phoneme_ins": 0.1, "partial": 0.12,
    "word_swap": 0.22, "lexicon_pair": 0.16, "lexicon_word": 0.1,
}  # fmt: skip
KINDS = tuple(KIND_SHARES)


@dataclass(frozen=True)
class Confusable:
    """A negative that sounds like the phrase. Speak ``phonemes`` when ``speak_phonemes``, else ``text``."""

    text: str
    phonemes: str
    kind: str
    distance: float
    speak_phonemes: bool = False


Words = list[list[str]]


def _flat(words: Words) -> list[str]:
    return [t for w in words for t in w]


def _join(words: Words) -> str:
    return " ".join("".join(w) for w in words if w)


def _merges(words: Words, inventory: set[str]) -> bool:
    """True if two neighbouring phonemes would be read back as one (``a`` + ``I`` → ``aI``)."""
    for w in words:
        for a, b in itertools.pairwise(w):
            if b == base(b) and base(a) + b in inventory:
                return True
    return False


def _limit(tokens: Sequence[str]) -> float:
    return max(MIN_LIMIT, REL_LIMIT * sum(indel_cost(t) for t in tokens))


class _Builder:
    """Collects candidates for one phrase, keyed so that each sound is kept once."""

    def __init__(self, phrase_words: Words, inventory: set[str]) -> None:
        self.phrase = phrase_words
        self.flat = _flat(phrase_words)
        self.inventory = inventory
        self.found: dict[str, Confusable] = {}
        self.weight: dict[str, float] = {}
        """Sampling score per sound (lower is likelier); the distance unless the caller knows better."""

    def add(
        self,
        kind: str,
        words: Words,
        text: str | None = None,
        dist: float | None = None,
        score: float | None = None,
    ) -> None:
        words = [w for w in ([t for t in w if t] for w in words) if w]
        if not words or _merges(words, self.inventory):
            return
        flat = _flat(words)
        d = distance(self.flat, flat) if dist is None else dist
        # Too close, or holding the whole phrase (a streaming detector has fired before the extra sound).
        if d < MIN_DISTANCE or distance(self.flat, flat, infix=True) < CONTAINS_DISTANCE:
            return
        phon = _join(words)
        # Keyed by sound: homophones ("hair"/"hare") would only repeat the same audio. Real words win
        # over an identical phoneme edit, because each voice then says them in its own accent.
        old = self.found.get(phon)
        if old is None or (old.speak_phonemes and text is not None):
            shown = text if text is not None else f"[[{phon}]]"
            self.found[phon] = Confusable(shown, phon, kind, d, speak_phonemes=text is None)
            self.weight[phon] = d if score is None else score

    def phoneme_edits(self) -> None:
        positions = [(wi, ti) for wi, w in enumerate(self.phrase) for ti in range(len(w))]
        singles: list[tuple[int, int, str]] = []
        for wi, ti in positions:
            for alt in neighbours(self.phrase[wi][ti]):
                singles.append((wi, ti, alt))
                self.add("phoneme_sub", self._edit({(wi, ti): alt}))
            self.add("phoneme_del", self._edit({(wi, ti): ""}))
        for a, b in itertools.combinations(singles, 2):
            if a[:2] != b[:2]:
                self.add("phoneme_sub", self._edit({a[:2]: a[2], b[:2]: b[2]}))
        for k, (wi, ti) in enumerate(positions[1:], start=1):
            # Before (wi, ti), so inside the phrase only: a sound added before or after it keeps it whole.
            around = {base(t) for t in self.flat[max(0, k - 1) : k + 1]}
            for phone in INSERT_PHONES:
                if phone in around:  # a doubled sound ("kk") is the same sound held longer
                    continue
                words = [list(w) for w in self.phrase]
                words[wi].insert(ti, phone)
                self.add("phoneme_ins", words)

    def _edit(self, changes: dict[tuple[int, int], str]) -> Words:
        return [[changes.get((wi, ti), t) for ti, t in enumerate(w)] for wi, w in enumerate(self.phrase)]


def confusables(
    phrase: str,
    *,
    n: int,
    seed: int = 0,
    cache_dir: Path,
    voice: str | None = None,
    words_path: Path = DICT_WORDS,
    workers: int = 0,
    language: str = "en",
) -> list[Confusable]:
    """Up to ``n`` phonetic confusables of ``phrase``, several kinds mixed, closest first within a kind.

    The dictionary (a word list of ``language``) is phonemized once with ``voice`` (by default the
    language's) and cached in ``cache_dir``. Deterministic for ``seed``.
    """
    if n <= 0:
        return []
    spec = speech_language(language)
    voice = voice or spec.phoneme_voice
    text_words = WORD.findall(phrase.lower())
    if not text_words:
        raise ConfigError(f"Phrase {phrase!r} has no words to build confusables from.")
    phrase_words = phoneme_words([phrase], voice)[0]
    if not phrase_words:
        raise ConfigError(f"espeak-ng found no phonemes in {phrase!r}.")
    lexicon = load_lexicon(cache_dir, words_path=words_path, voice=voice, workers=workers, language=language)
    inventory = {base(t) for p in lexicon.phonemes for t in p} | {base(t) for t in _flat(phrase_words)}
    builder = _Builder(phrase_words, inventory)
    builder.phoneme_edits()
    aligned = len(text_words) == len(phrase_words)
    if not aligned:
        log.warning(
            "phrase %r: espeak words do not match written words; word-level confusables skipped", phrase
        )
    _partials(builder, text_words if aligned else None)
    _lexicon_matches(builder, lexicon, text_words if aligned else None, voice, spec.carriers)
    return _select(list(builder.found.values()), n, seed, builder.weight)


def _partials(b: _Builder, text_words: list[str] | None) -> None:
    m = len(b.phrase)
    if text_words is not None:
        for i, j in itertools.combinations(range(m + 1), 2):
            if (i, j) != (0, m):
                b.add("partial", b.phrase[i:j], text=" ".join(text_words[i:j]))
    flat, cut_words = b.flat, [len(w) for w in b.phrase]
    bounds = list(itertools.accumulate(cut_words))

    def rebuild(lo: int, hi: int) -> Words:
        out: Words = []
        start = 0
        for end in bounds:
            out.append(flat[max(start, lo) : min(end, hi)])
            start = end
        return out

    for cut in range(2, len(flat) - 1):
        for lo, hi in ((0, cut), (len(flat) - cut, len(flat))):
            # A fragment without a stressed vowel ("-ya") is too slight to be mistaken for the phrase.
            if any(t[0] in STRESSED for t in flat[lo:hi]):
                b.add("partial", rebuild(lo, hi))


def _lexicon_matches(
    b: _Builder, lex: Lexicon, text_words: list[str] | None, voice: str, carriers: Sequence[str]
) -> None:
    words = [w for w, p in zip(lex.words, lex.phonemes, strict=True) if p]
    seqs = [p for p in lex.phonemes if p]
    table = PhoneTable(b.inventory)
    codes, lengths = table.encode_batch(seqs)

    def close_to(target: Sequence[str], top: int | None = None) -> list[tuple[float, int]]:
        d = table.distances(target, codes, lengths)
        idx = np.flatnonzero(d <= _limit(target))
        # Closest first; among equals the shorter, then alphabetical spelling speaks for its homophones.
        ranked = sorted(
            zip(d[idx].tolist(), idx.tolist(), strict=True),
            key=lambda x: (x[0], len(words[x[1]]), words[x[1]]),
        )
        return ranked[:top] if top else ranked

    whole_limit = _limit(b.flat)
    for d, i in close_to(b.flat):
        b.add("lexicon_word", [seqs[i]], text=words[i], dist=d)
    if text_words is not None:
        for k, target in enumerate(b.phrase):
            scale = SWAP_SCORE_SCALE / _limit(target)
            for dw, i in close_to(target, SWAPS_PER_WORD):  # per word, so no word crowds out the others
                swapped = [*b.phrase[:k], seqs[i], *b.phrase[k + 1 :]]
                d = distance(b.flat, _flat(swapped))
                text = " ".join([*text_words[:k], words[i], *text_words[k + 1 :]])
                if d <= whole_limit:
                    # Scored relative to the swapped word's own leeway: a long name that differs by two
                    # sounds ("hey cathy") is as good a confusable as a short greeting differing by one.
                    b.add("word_swap", swapped, text=text, dist=d, score=dw * scale)
        if len(text_words) > 1 and text_words[0] in carriers:
            carrier_ph = phoneme_words(list(carriers), voice)
            for carrier, ph in zip(carriers, carrier_ph, strict=True):
                b.add("word_swap", [_flat(ph), *b.phrase[1:]], text=" ".join([carrier, *text_words[1:]]))
    pool: list[tuple[float, int, int]] = []
    for cut in range(1, len(b.flat)):
        left, right = close_to(b.flat[:cut], TOP_PER_PART), close_to(b.flat[cut:], TOP_PER_PART)
        pool += [(dl + dr, i, j) for (dl, i), (dr, j) in itertools.product(left, right)]
    for _, i, j in sorted(set(pool))[:PAIR_POOL]:
        d = distance(b.flat, seqs[i] + seqs[j])
        if d <= whole_limit:
            b.add("lexicon_pair", [seqs[i], seqs[j]], text=f"{words[i]} {words[j]}", dist=d)


def _select(cands: list[Confusable], n: int, seed: int, weight: dict[str, float]) -> list[Confusable]:
    """Share ``n`` among the kinds; within a kind sample, favouring small distances."""
    by_kind = {
        k: sorted((c for c in cands if c.kind == k), key=lambda c: (c.distance, c.text)) for k in KINDS
    }
    quota = {k: 0 for k in KINDS}
    for _ in range(min(n, len(cands))):
        # Highest-averages apportionment: each seat goes to the open kind furthest below its share.
        open_kinds = [k for k in KINDS if quota[k] < len(by_kind[k])]
        quota[max(open_kinds, key=lambda k: KIND_SHARES[k] / (quota[k] + 1))] += 1
    rng = np.random.default_rng(seed)
    chosen: list[Confusable] = []
    for k in KINDS:
        pool = by_kind[k]
        if quota[k] >= len(pool):
            chosen += pool
        elif quota[k]:
            weights = np.exp(-np.array([weight[c.phonemes] for c in pool]) / SAMPLING_TEMPERATURE)
            picks = rng.choice(len(pool), size=quota[k], replace=False, p=weights / weights.sum())
            chosen += [pool[i] for i in sorted(picks)]
    return sorted(chosen, key=lambda c: (KINDS.index(c.kind), c.distance, c.text))


def phrase_phonemes(phrase: str, voice: str = "en-us") -> str:
    """The phrase as espeak mnemonics (what ``[[...]]`` would speak)."""
    return _join(phoneme_words([phrase], voice)[0])
