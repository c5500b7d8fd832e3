"""Dataset health: counts, minutes, levels and the warnings that matter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wakesmith.data import NewClip
from wakesmith.errors import DatasetError

DS = "hey_katya"


def test_small_dataset_gets_the_obvious_warnings(store, tone):
    for i in range(3):
        store.add_audio(tone(seed=i), dataset=DS, label="positive", source="upload")
    store.add_audio(tone(seed=10), dataset=DS, label="negative", source="synthetic")
    report = store.health(DS)
    assert report.by_label == {"positive": 3, "negative": 1, "hard_negative": 0, "background": 0}
    assert report.by_split == {"train": 0, "val": 0, "test": 0, "unassigned": 4}
    text = "\n".join(report.warnings)
    assert "Only 3 positives (fewer than 50)" in text
    assert "Positives/negatives imbalance: 1 negatives for 3 positives" in text
    assert "No background clips" in text
    assert "4 clips have no split" in text
    assert "clipping" not in text and "split is empty" not in text


def test_healthy_dataset_has_no_warnings_and_serializes(store, tone):
    items = [NewClip(DS, "positive", "synthetic", audio=tone(seed=i)) for i in range(60)]
    items += [NewClip(DS, "negative", "synthetic", audio=tone(seed=1000 + i, freq=300)) for i in range(200)]
    items += [
        NewClip(DS, "background", "synthetic", audio=tone(seed=5000 + i, seconds=2.0)) for i in range(10)
    ]
    store.add_many(items)
    store.assign_splits(DS)
    report = store.health(DS)
    assert report.warnings == []
    assert report.clips == 270 and report.speakers == 0
    assert report.minutes_by_label["positive"] == 1.0 and report.minutes_by_label[
        "background"
    ] == pytest.approx(0.33, abs=0.01)
    assert report.by_source == {"synthetic": 270}
    assert report.levels["snr_db"].p10 > 30
    assert report.levels["rms_dbfs"].median == pytest.approx(20 * np.log10(0.15), abs=0.1)  # 0.3/√2 on half
    data = json.loads(json.dumps(report.to_dict()))
    assert data["levels"]["peak_dbfs"]["median"] == pytest.approx(-10.5, abs=0.5)


def test_clipping_noise_and_empty_split_warnings(store, tone):
    loud = np.clip(tone(amp=2.0), -1, 1)
    store.add_audio(loud, dataset=DS, label="positive", source="recording", speaker="ann")
    noisy = tone(seed=3) + 0.2 * np.random.default_rng(0).standard_normal(16_000).astype(np.float32)
    store.add_audio(noisy, dataset=DS, label="positive", source="recording", speaker="ann")
    store.add_audio(tone(seed=4), dataset=DS, label="background", source="recording", speaker="ann")
    store.assign_splits(DS)  # one speaker: everything in one split
    report = store.health(DS)
    text = "\n".join(report.warnings)
    assert report.clipping_clips == 1 and "1 clips are clipping" in text
    assert "A split is empty" in text
    assert "No positives" not in text and "no negatives" not in text


def test_noisy_positives_warn(store, tone):
    rng = np.random.default_rng(0)
    for i in range(3):
        noisy = tone(seed=i, amp=0.05) + 0.1 * rng.standard_normal(16_000).astype(np.float32)
        store.add_audio(noisy, dataset=DS, label="positive", source="upload")
    assert any("Positives are noisy" in w for w in store.health(DS).warnings)


def test_all_deleted_and_unknown(store, tone):
    clip = store.add_audio(tone(), dataset=DS, label="positive", source="upload")
    store.delete(clip.id)
    report = store.health(DS)
    assert report.clips == 0 and report.deleted == 1 and report.levels == {}
    assert report.warnings == ["Dataset 'hey_katya' has no live clips (all 1 are deleted)."]
    with pytest.raises(DatasetError, match=r"has no clips.*Datasets: hey_katya"):
        store.health("nothing_here")
