"""Speaker-grouped, deterministic, idempotent splits."""

from __future__ import annotations

from collections import defaultdict

import pytest

from wakesmith.data import ClipStore, NewClip
from wakesmith.data.splits import bucket, check_ratios, split_of
from wakesmith.errors import ConfigError, DatasetError
from wakesmith.home import Home

DS = "hey_katya"


def populate(store, tone, *, speakers=40, per_speaker=4, anonymous=200, seed0=0):
    items = [
        NewClip(DS, "positive", "recording", audio=tone(seed=seed0 + s * 100 + k), speaker=f"Speaker{s}")
        for s in range(speakers)
        for k in range(per_speaker)
    ]
    items += [
        NewClip(DS, "negative", "synthetic", audio=tone(seed=seed0 + 10_000 + i)) for i in range(anonymous)
    ]
    return store.add_many(items)


def split_map(store):
    return {c.id: c.split for c in store.clips(DS, include_deleted=True)}


def test_no_speaker_in_two_splits_and_ratios_roughly_hold(store, tone):
    populate(store, tone)
    counts = store.assign_splits(DS)
    assert sum(counts.values()) == 360 and set(counts) == {"train", "val", "test"}
    by_speaker = defaultdict(set)
    for c in store.clips(DS):
        if c.speaker:
            by_speaker[c.speaker].add(c.split)
    assert len(by_speaker) == 40 and all(len(s) == 1 for s in by_speaker.values())
    anonymous = [c.split for c in store.clips(DS) if not c.speaker]
    assert anonymous.count("train") / len(anonymous) == pytest.approx(0.8, abs=0.08)
    assert all(n > 0 for n in counts.values())


def test_deterministic_across_stores_and_idempotent(tmp_path, tone):
    maps = []
    for name in ("a", "b"):
        with ClipStore(Home.resolve(tmp_path / name)) as s:
            populate(s, tone, speakers=10, anonymous=30)
            first = s.assign_splits(DS)
            before = split_map(s)
            assert s.assign_splits(DS) == first and split_map(s) == before
            maps.append(before)
    assert maps[0] == maps[1]


def test_new_clips_follow_their_speaker(store, tone):
    populate(store, tone, speakers=12, anonymous=0)
    store.assign_splits(DS)
    old = {c.speaker: c.split for c in store.clips(DS)}
    before = split_map(store)
    added = store.add_audio(tone(seed=777), dataset=DS, label="positive", source="upload", speaker="speaker7")
    store.assign_splits(DS)
    assert store.get(added.id).split == old["Speaker7"]  # speakers compare case-insensitively
    after = split_map(store)
    assert all(after[k] == v for k, v in before.items())


def test_policy_is_remembered_and_salt_reshuffles(store, tone):
    populate(store, tone, speakers=0, anonymous=100)
    counts = store.assign_splits(DS, ratios=(0.5, 0.5, 0.0))
    assert counts["test"] == 0 and 35 < counts["train"] < 65
    chosen = split_map(store)
    store.assign_splits(DS)  # defaults reuse (0.5, 0.5, 0) rather than reshuffling
    assert split_map(store) == chosen
    store.assign_splits(DS, salt="another")
    assert split_map(store) != chosen


def test_deleted_clips_keep_a_split_but_are_not_counted(store, tone):
    clips = populate(store, tone, speakers=0, anonymous=10)
    store.delete(clips[0].id)
    counts = store.assign_splits(DS)
    assert sum(counts.values()) == 9
    assert store.get(clips[0].id).split in {"train", "val", "test"}


def test_bad_ratios_and_unknown_dataset(store, tone):
    store.add_audio(tone(), dataset=DS, label="positive", source="upload")
    for bad in [(0.5, 0.5), (0, 0.5, 0.5), (0.8, -0.1, 0.3), (float("nan"), 0, 0)]:
        with pytest.raises(ConfigError, match="ratios"):
            store.assign_splits(DS, ratios=bad)
    with pytest.raises(DatasetError, match="Did you mean 'hey_katya'"):
        store.assign_splits("hey_katia")


def test_bucket_and_split_of():
    assert check_ratios((8, 1, 1)) == pytest.approx((0.8, 0.1, 0.1))
    assert [split_of(v, (0.8, 0.1, 0.1)) for v in (0.0, 0.79, 0.85, 0.95, 0.99999999)] == [
        "train",
        "train",
        "val",
        "test",
        "test",
    ]
    values = [bucket("d", f"clip:{i}") for i in range(2000)]
    assert all(0 <= v < 1 for v in values) and 0.45 < sum(values) / len(values) < 0.55
    assert bucket("d", "speaker:a") == bucket("d", "speaker:a") != bucket("e", "speaker:a")
