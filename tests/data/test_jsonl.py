"""JSONL export and import: a round trip between homes, and malformed lines refused with their number."""

from __future__ import annotations

import json

import pytest

from wakesmith.audio.io import write_wav
from wakesmith.data import ClipStore
from wakesmith.errors import DatasetError
from wakesmith.home import Home

DS = "hey_katya"


def test_round_trip_between_homes(store, tmp_path, tone):
    labels = ["positive", "negative", "hard_negative", "background"]
    for i in range(8):
        store.add_audio(
            tone(seed=i),
            dataset=DS,
            label=labels[i % 4],
            source="synthetic",
            speaker=f"v{i % 3}",
            text=f"phrase {i}",
            meta={"voice": "en-us", "i": i},
            notes="ß ok",
        )
    store.assign_splits(DS)
    deleted = store.clips(DS)[0]
    store.delete(deleted.id)
    path = tmp_path / "out" / "hey.jsonl"
    assert store.export_jsonl(DS, path) == 8
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 8 and rows[0]["id"] == deleted.id and rows[0]["deleted"] is True
    assert all(row["audio_path"].startswith("/") for row in rows)
    assert rows[1]["meta"] == {"i": 1, "voice": "en-us"} and rows[1]["notes"] == "ß ok"

    with ClipStore(Home.resolve(tmp_path / "other")) as other:
        assert other.import_jsonl(path) == 8
        assert other.lineage_hash(DS) == store.lineage_hash(DS)
        keep = (
            "id",
            "content_hash",
            "label",
            "speaker",
            "text",
            "split",
            "deleted",
            "meta",
            "notes",
            "rms_dbfs",
        )
        mine = sorted(tuple(c.to_dict()[k] for k in keep) for c in store.clips(DS, include_deleted=True))
        theirs = sorted(tuple(c.to_dict()[k] for k in keep) for c in other.clips(DS, include_deleted=True))
        assert mine == theirs
        assert other.import_jsonl(path) == 0  # duplicates are skipped
        assert other.import_jsonl(path, dataset="copy") == 8
        assert other.datasets() == {DS: 7, "copy": 7}


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "Line 2 is malformed"),
        ('["a list"]', "expected a JSON object"),
        ('{"audio_path": "a.wav", "dataset": "d"}', "missing 'label'"),
        ('{"label": "positive", "audio_path": "a.wav"}', "missing 'dataset'"),
        ('{"label": "postive", "audio_path": "a.wav", "dataset": "d"}', "Did you mean 'positive'"),
        (
            '{"label": "positive", "audio_path": "a.wav", "dataset": "d", "speaker": 3}',
            "'speaker' must be a str",
        ),
        (
            '{"label": "positive", "audio_path": "missing.wav", "dataset": "d"}',
            "Line 2: Audio file .* does not exist",
        ),
    ],
)
def test_malformed_lines_refuse_the_file(store, tmp_path, tone, bad_line, message):
    write_wav(tmp_path / "a.wav", tone())
    good = json.dumps({"label": "positive", "audio_path": "a.wav", "dataset": "d"})  # relative to the file
    path = write_lines(tmp_path / "in.jsonl", [good, bad_line, good])
    with pytest.raises(DatasetError, match=message):
        store.import_jsonl(path)
    assert store.datasets() == {}


def test_import_details(store, tmp_path, tone):
    write_wav(tmp_path / "a.wav", tone())
    (tmp_path / "b.wav").write_text("junk")
    line = {"label": "negative", "audio_path": str(tmp_path / "a.wav"), "dataset": "d", "meta": '{"k": 1}'}
    path = write_lines(tmp_path / "ok.jsonl", ["", json.dumps(line), "   "])
    assert store.import_jsonl(path) == 1
    clip = store.clips("d")[0]
    assert clip.source == "upload" and clip.meta_dict() == {"k": 1}
    bad = write_lines(tmp_path / "bad.jsonl", [json.dumps({**line, "audio_path": "b.wav"})])
    with pytest.raises(DatasetError, match=r"Line 1: .*not readable audio"):
        store.import_jsonl(bad)
    with pytest.raises(DatasetError, match="does not exist"):
        store.import_jsonl(tmp_path / "none.jsonl")
    with pytest.raises(DatasetError, match="has no clips"):
        store.export_jsonl("nothing", tmp_path / "x.jsonl")
