"""Folder scans: labels and speakers from folder names, conversion, failures listed, rescans are no-ops."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from wakesmith.audio.io import write_wav
from wakesmith.data.scan import LABEL_ALIASES, label_and_speaker
from wakesmith.data.schema import Label
from wakesmith.errors import DatasetError

DS = "kitchen"


@pytest.fixture
def tree(tmp_path, tone):
    root = tmp_path / "my_clips"
    write_wav(root / "positive" / "alice" / "a1.wav", tone(seed=1))
    (root / "positive" / "alice" / "a1.txt").write_text("hey katya\n")
    write_wav(root / "positive" / "alice" / "deeper" / "a2.wav", tone(seed=2))
    stereo = np.stack([tone(seed=3)] * 2, axis=1)
    (root / "Positive" / "speaker_bob").mkdir(parents=True)
    sf.write(root / "Positive" / "speaker_bob" / "b.wav", stereo, 44_100)  # converted on import
    write_wav(root / "wake" / "speaker_carol_07.wav", tone(seed=4))
    write_wav(root / "session1" / "Not-Wake" / "n.wav", tone(seed=5, freq=300))
    (root / "hard negatives").mkdir()
    sf.write(root / "hard negatives" / "h.flac", tone(seed=6), 16_000)
    write_wav(root / "noise" / "hum.wav", tone(seed=7, freq=50))
    (root / "positive" / "broken.wav").write_text("definitely not audio")
    (root / "positive" / "voice_memo.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A ")
    write_wav(root / "unsorted" / "u.wav", tone(seed=8))
    write_wav(root / ".trash" / "positive" / "old.wav", tone(seed=9))
    (root / "README.md").write_text("notes")
    return root


def test_scan_tree(store, tree):
    report = store.scan(tree, dataset=DS)
    assert report.added == 7 and report.duplicates == 0 and report.converted == 1
    assert report.by_label == {"positive": 4, "negative": 1, "background": 1, "hard_negative": 1}
    assert sorted(p.path for p in report.failed) == ["positive/broken.wav", "positive/voice_memo.m4a"]
    assert all("not readable audio" in p.reason for p in report.failed)
    assert [p.path for p in report.skipped] == ["unsorted/u.wav"]
    assert report.ignored == 1  # README.md (the transcript .txt is not counted)
    found = {c.meta_dict()["scan_path"]: c for c in store.clips(DS)}
    assert {k: (c.label, c.speaker) for k, c in found.items()} == {
        "positive/alice/a1.wav": ("positive", "alice"),
        "positive/alice/deeper/a2.wav": ("positive", "alice"),
        "Positive/speaker_bob/b.wav": ("positive", "bob"),
        "wake/speaker_carol_07.wav": ("positive", "carol"),
        "session1/Not-Wake/n.wav": ("negative", ""),
        "hard negatives/h.flac": ("hard_negative", ""),
        "noise/hum.wav": ("background", ""),
    }
    assert found["positive/alice/a1.wav"].text == "hey katya"
    assert all(c.source == "scan" for c in found.values())
    bob = found["Positive/speaker_bob/b.wav"]
    assert len(store.load_audio(bob)) == round(16_000 * 16_000 / 44_100)

    again = store.scan(tree, dataset=DS)
    assert (again.added, again.duplicates) == (0, 7)
    assert report.to_dict()["failed"][0]["path"] == "positive/broken.wav"


def test_scanning_a_label_folder_itself(store, tree):
    report = store.scan(tree / "positive", dataset=DS, source="upload")
    assert report.added == 2 and report.by_label == {"positive": 2}
    assert {c.speaker for c in store.clips(DS)} == {"alice"}
    assert {c.source for c in store.clips(DS)} == {"upload"}


def test_scan_refuses_missing_folder_and_bad_names(store, tmp_path):
    with pytest.raises(DatasetError, match="is not a folder"):
        store.scan(tmp_path / "nope", dataset=DS)
    with pytest.raises(DatasetError, match="Unknown source"):
        store.scan(tmp_path, dataset=DS, source="web")


def test_every_label_has_its_own_name_as_alias(tmp_path):
    assert set(LABEL_ALIASES.values()) == {str(label) for label in Label}
    assert all(LABEL_ALIASES[str(label)] == label for label in Label)
    assert label_and_speaker(tmp_path, tmp_path / "x" / "y.wav") is None
