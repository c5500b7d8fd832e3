"""How close two phoneme strings sound: confusion classes and a weighted edit distance.

Phonemes are espeak-ng's mnemonics (``k``, ``'a``, ``t#``, ``I``, ``@``…; the tables are English's,
German and French vowels are known as vowels). Stress marks are ignored when comparing. Costs come
in tiers: allophones (``t`` vs the flap ``t#``) are nearly free, so a variant that differs only by
them counts as the phrase itself, not as a confusable; members of a confusion class
(voiced/voiceless pairs, nasals, neighbouring vowels) are cheap; anything else is a full edit.
Insertions and deletions of weak sounds (``h``, schwa, the palatal mark ``;``) are cheap because
speakers drop and add them all the time.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import numpy as np

STRESS_MARKS = "',%="

ALLOPHONE_COST = 0.1
CLOSE_COST = 0.5
FAR_COST = 0.9
CROSS_COST = 1.3
"""Vowel for consonant: two edits' worth, a substitution never needs to be dearer than that."""
INDEL_COST = 1.0

_VOWEL_NAMES = (
    "@ @- @2 @5 @L 3 3: 3:r a a# a2 aa A: A@ A@r aI aI@ aI3 aU "
    "aU@ e e@ eI E E2 E3 i i: i@ i@3 I I# I2 0 0@ O O: O@ O2 OI o@ oU u: U U@ V A~ O~"
)
_OTHER_VOWEL_NAMES = "a: E: e: o o: Y y y: 2 2: 9 6 OY E~ 9~ W~"
"""espeak-ng's German and French vowels that English has not (ä, ö, ü, the r-vowel, French nasals)."""
VOWELS = frozenset(_VOWEL_NAMES.split()) | frozenset(_OTHER_VOWEL_NAMES.split())

ALLOPHONES: tuple[frozenset[str], ...] = tuple(
    frozenset(g.split())
    for g in (
        "t t# t2",
        "d d#",
        "l l#",
        "n n-",
        "r r-",
        "I I2 I#",
        "i i:",
        "@ @2 @5 @- a#",
        "3 3: 3:r",
        "a aa a2",
        "A: A@ A@r",
        "0 0@",
        "O O: O2",
        "o@ O@",
        "U U@",
        "E E2 E3 e",
        "aI aI3 aI@",
        "aU aU@",
        "A~ O~",
    )
)

CONFUSION_CLASSES: tuple[frozenset[str], ...] = tuple(
    frozenset(g.split())
    for g in (
        # voiced / voiceless pairs
        "p b",
        "t d",
        "k g",
        "f v",
        "T D",
        "s z",
        "S Z",
        "tS dZ",
        # same manner, neighbouring place
        "p t k",
        "b d g",
        "f T s",
        "v D z",
        "s S",
        "z Z",
        "T t",
        "D d",
        "S tS",
        "Z dZ",
        "t tS",
        "d dZ",
        "m n N",
        "l r w",
        "w v",
        "l @L",
        # neighbouring vowels
        "i I",
        "I E",
        "E a",
        "E eI",
        "a V @",
        "V 0 A:",
        "0 O",
        "O oU",
        "oU u:",
        "u: U",
        "U V",
        "@ I",
        "3 @",
        "aI a",
        "aI eI",
        "aU oU",
        "OI oU",
        "eI e@",
        "i@ I",
        "A@ A:",
        "o@ O",
    )
)

WEAK_INDEL: dict[str, float] = {
    ";": 0.15, "_": 0.1, "h": 0.3, "?": 0.3, "@-": 0.5, "@": 0.6, "I#": 0.6, "a#": 0.6, "j": 0.6, "r-": 0.6,
}  # fmt: skip
"""Insertion/deletion cost of sounds that speakers drop or add freely."""


def base(token: str) -> str:
    """The phoneme without its stress mark: ``"'eI"`` → ``"eI"``."""
    return token.lstrip(STRESS_MARKS)


def is_vowel(token: str) -> bool:
    return base(token) in VOWELS


def _group(groups: Sequence[frozenset[str]], phone: str) -> frozenset[str]:
    found = [g for g in groups if phone in g]
    return frozenset().union(*found) if found else frozenset({phone})


@functools.lru_cache(maxsize=65536)
def substitution_cost(a: str, b: str) -> float:
    """Cost of hearing phoneme ``b`` where ``a`` was said (symmetric, stress ignored)."""
    a, b = base(a), base(b)
    if a == b:
        return 0.0
    alloph_a, alloph_b = _group(ALLOPHONES, a), _group(ALLOPHONES, b)
    if b in alloph_a:
        return ALLOPHONE_COST
    if any(alloph_a & g and alloph_b & g for g in CONFUSION_CLASSES):
        return CLOSE_COST
    return FAR_COST if (a in VOWELS) == (b in VOWELS) else CROSS_COST


@functools.lru_cache(maxsize=4096)
def indel_cost(a: str) -> float:
    """Cost of a phoneme that was inserted or deleted."""
    return WEAK_INDEL.get(base(a), INDEL_COST)


def neighbours(token: str) -> list[str]:
    """Phonemes in a confusion class with ``token`` but not its allophones (stress mark kept on vowels)."""
    phone, stress = base(token), token[: len(token) - len(base(token))]
    out: set[str] = set()
    for g in CONFUSION_CLASSES:
        if phone in g:
            out |= g
    out -= _group(ALLOPHONES, phone)
    return [(stress + p if p in VOWELS else p) for p in sorted(out)]


def distance(a: Sequence[str], b: Sequence[str], *, infix: bool = False) -> float:
    """Weighted edit distance between two phoneme sequences.

    With ``infix=True`` it is the distance from ``a`` to the closest stretch *inside* ``b``: near 0
    when ``b`` contains ``a`` ("ok computers" contains "ok computer").
    """
    prev = [0.0]
    for tok in b:
        prev.append(0.0 if infix else prev[-1] + indel_cost(tok))
    for ta in a:
        cur = [prev[0] + indel_cost(ta)]
        for j, tb in enumerate(b, start=1):
            cur.append(min(prev[j] + indel_cost(ta), cur[j - 1] + indel_cost(tb),
                           prev[j - 1] + substitution_cost(ta, tb)))  # fmt: skip
        prev = cur
    return round(min(prev) if infix else prev[-1], 6)


class PhoneTable:
    """Integer codes and cost tables for a phoneme inventory, for batched distances."""

    PAD = 0

    def __init__(self, phones: Iterable[str]) -> None:
        self.phones = ["<pad>", *sorted({base(p) for p in phones} - {""})]
        self.index = {p: i for i, p in enumerate(self.phones)}
        n = len(self.phones)
        self.sub = np.zeros((n, n), dtype=np.float64)
        self.indel = np.zeros(n, dtype=np.float64)
        for i, a in enumerate(self.phones[1:], start=1):
            self.indel[i] = indel_cost(a)
            for j, b in enumerate(self.phones[1:], start=1):
                self.sub[i, j] = substitution_cost(a, b)

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        return np.array([self.index[base(t)] for t in tokens], dtype=np.int32)

    def encode_batch(self, seqs: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Pad sequences into an (N, L) code matrix; also return their lengths."""
        lengths = np.array([len(s) for s in seqs], dtype=np.int32)
        codes = np.full((len(seqs), int(lengths.max(initial=0))), self.PAD, dtype=np.int32)
        for i, s in enumerate(seqs):
            codes[i, : len(s)] = self.encode(s)
        return codes, lengths

    def distances(self, query: Sequence[str], codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Distance from ``query`` to every padded sequence in ``codes`` (one DP, vectorized over rows)."""
        q = self.encode(query)
        n, width = codes.shape
        cols = np.ascontiguousarray(codes.T)  # (L, N): one contiguous row per position is much faster
        ins = self.indel[cols]
        row = np.concatenate([np.zeros((1, n)), np.cumsum(ins, axis=0)], axis=0)
        for qi in q:
            diag_or_up = np.minimum(row[1:] + self.indel[qi], row[:-1] + self.sub[qi][cols])
            cur = np.empty_like(row)
            cur[0] = row[0] + self.indel[qi]
            for j in range(1, width + 1):
                np.minimum(diag_or_up[j - 1], cur[j - 1] + ins[j - 1], out=cur[j])
            row = cur
        return np.round(row[lengths, np.arange(n)], 6)
