"""Confusion classes and the weighted phoneme edit distance."""

from __future__ import annotations

import itertools

import numpy as np

from wakesmith.synth import phonetics as ph

KATYA = ["k", "'a", "t#", "I", ";", "@"]


def test_cost_tiers() -> None:
    assert ph.substitution_cost("'a", "a") == 0.0  # stress is ignored
    assert ph.substitution_cost("t", "t#") == ph.ALLOPHONE_COST
    assert ph.substitution_cost("k", "g") == ph.CLOSE_COST  # voicing pair
    assert ph.substitution_cost("m", "N") == ph.CLOSE_COST  # nasals
    assert ph.substitution_cost("k", "m") == ph.FAR_COST
    assert ph.substitution_cost("k", "'a") == ph.CROSS_COST
    assert ph.indel_cost("h") < ph.indel_cost("k")


def test_neighbours_are_close_but_not_allophones() -> None:
    near = ph.neighbours("t")
    assert {"d", "k", "p", "tS"} <= set(near)
    assert "t#" not in near and "t" not in near
    assert all(ph.substitution_cost("t", n) == ph.CLOSE_COST for n in near)
    assert "'E" in ph.neighbours("'a")  # the stress mark stays on vowels


def test_distance_is_a_sensible_metric() -> None:
    seqs = [KATYA, ["k", "'a", "T", "i"], ["k", "'a", "t"], ["h", "'eI"], []]
    for a in seqs:
        assert ph.distance(a, a) == 0.0
    for a, b in itertools.permutations(seqs, 2):
        assert ph.distance(a, b) == ph.distance(b, a) > 0
    for a, b, c in itertools.permutations(seqs, 3):
        assert ph.distance(a, c) <= ph.distance(a, b) + ph.distance(b, c) + 1e-9
    assert ph.distance(KATYA, ["g", "'a", "t#", "I", ";", "@"]) == ph.CLOSE_COST
    # "kathy" is closer to "katya" than an unrelated word of the same length.
    assert ph.distance(KATYA, ["k", "'a", "T", "i"]) < ph.distance(KATYA, ["s", "'O:", "s", "@", "dZ"])


def test_infix_distance_finds_the_phrase_inside_a_longer_string() -> None:
    longer = ["h", "'eI", *KATYA, "z"]
    assert ph.distance(KATYA, longer, infix=True) == 0.0
    assert ph.distance(KATYA, longer) > 1.0


def test_batched_distances_equal_the_scalar_ones() -> None:
    words = [
        KATYA,
        ["k", "'a", "T", "i"],
        ["k", "'a", "t"],
        ["h", "'eI"],
        ["s", "'O:", "s", "@", "dZ"],
        ["@"],
    ]
    table = ph.PhoneTable(t for w in words for t in w)
    codes, lengths = table.encode_batch(words)
    for query in (KATYA, ["h", "'eI"], ["t#", "I"]):
        expected = np.array([ph.distance(query, w) for w in words])
        np.testing.assert_allclose(table.distances(query, codes, lengths), expected, atol=1e-9)
