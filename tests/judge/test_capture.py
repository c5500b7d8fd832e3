"""Hard-negative capture: quota with oldest-first eviction, and import into a dataset."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from wakesmith.data.captures import import_captures
from wakesmith.data.store import ClipStore
from wakesmith.errors import DatasetError
from wakesmith.home import Home
from wakesmith.judge.capture import REJECTED, CaptureFolder
from wakesmith.judge.names import satellite_id

SECOND = 16000


def _tone(freq: float, seconds: float = 1.5) -> np.ndarray:
    t = np.arange(int(seconds * SECOND)) / SECOND
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_rejections_are_kept_and_accepted_only_when_asked(tmp_path: Path) -> None:
    folder = CaptureFolder(tmp_path / "cap", quota_bytes=10**7)
    wav = folder.save(_tone(300), accepted=False, meta={"satellite": "kitchen/1", "score": 0.2})
    assert wav is not None and wav.parent.name == REJECTED and "kitchen_1" in wav.name
    assert json.loads(wav.with_suffix(".json").read_text())["score"] == 0.2
    assert folder.save(_tone(400), accepted=True, meta={"satellite": "k"}) is None
    keep = CaptureFolder(tmp_path / "cap2", quota_bytes=10**7, keep_accepted=True)
    assert keep.save(_tone(400), accepted=True, meta={"satellite": "k"}) is not None


def test_quota_evicts_oldest_first(tmp_path: Path) -> None:
    one = 1.5 * SECOND * 2 + 44  # bytes of one 1.5 s WAV
    folder = CaptureFolder(tmp_path / "cap", quota_bytes=int(3.5 * (one + 200)))
    paths = []
    for i in range(6):
        wav = folder.save(_tone(200 + 50 * i), accepted=False, meta={"satellite": "s", "i": i})
        assert wav is not None
        os.utime(wav, (1000 + i, 1000 + i))  # distinct ages, independent of the file system's clock
        paths.append(wav)
    kept = folder.captures()
    assert kept == paths[-3:]
    assert folder.used_bytes() <= folder.quota_bytes
    assert not paths[0].with_suffix(".json").exists()


def test_import_captures_as_hard_negatives(tmp_path: Path) -> None:
    folder = CaptureFolder(tmp_path / "cap", quota_bytes=10**7, keep_accepted=True)
    folder.save(_tone(300), accepted=False, meta={"satellite": "kitchen", "score": 0.1})
    folder.save(_tone(350), accepted=False, meta={"satellite": "hall", "score": 0.3})
    folder.save(_tone(500), accepted=True, meta={"satellite": "hall", "score": 0.9})
    (tmp_path / "cap" / REJECTED / "broken.wav").write_bytes(b"nope")
    home = Home.resolve(tmp_path / "home").ensure()
    with ClipStore(home) as store:
        report = import_captures(store, tmp_path / "cap", "hey_katya")
        assert (report.hard_negatives, report.positives) == (2, 0)
        assert len(report.skipped) == 1 and "broken.wav" in report.skipped[0]
        clips = store.clips("hey_katya")
        assert {c.label for c in clips} == {"hard_negative"}
        assert {c.source for c in clips} == {"satellite"}
        assert {c.speaker for c in clips} == {"kitchen", "hall"}
        assert clips[0].meta_dict()["capture"]["score"] in (0.1, 0.3)
        again = import_captures(store, tmp_path / "cap", "hey_katya", include_accepted=True)
        assert again.positives == 1
        assert len(store.clips("hey_katya")) == 3  # re-importing the same sounds adds nothing


def test_import_refuses_a_folder_that_is_not_a_capture_folder(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path / "home").ensure()
    with ClipStore(home) as store, pytest.raises(DatasetError, match="not a Judge capture folder"):
        import_captures(store, tmp_path, "hey_katya")


def test_satellite_ids_are_file_safe_and_distinct() -> None:
    assert satellite_id("kitchen") == "kitchen"
    assert satellite_id("../../etc/passwd").startswith("etc_passwd_")
    assert satellite_id("wohn zimmer+1").startswith("wohn_zimmer_1_")
    names = ["kitchen/1", "kitchen_1", "kitchen 1", "Kitchen_1", "кухня", "客厅", "", "kitchen_1_0123456789"]
    ids = [satellite_id(n) for n in names]
    assert len(set(ids)) == len(ids)
    assert all(i and "/" not in i and "." not in i and len(i) <= 43 for i in ids)


def test_cli_imports_a_capture_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from wakesmith.cli.main import app

    folder = CaptureFolder(tmp_path / "cap", quota_bytes=10**7, keep_accepted=True)
    folder.save(_tone(300), accepted=False, meta={"satellite": "kitchen", "score": 0.1})
    folder.save(_tone(500), accepted=True, meta={"satellite": "hall", "score": 0.9})
    home = tmp_path / "home"
    args = ["dataset", "captures", str(tmp_path / "cap"), "hey_katya", "--home", str(home)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["hard_negatives"] == 1
    result = CliRunner().invoke(app, [*args, "--accepted"])
    assert json.loads(result.output)["positives"] == 1
    with ClipStore(Home.resolve(home)) as store:
        assert {c.label for c in store.clips("hey_katya")} == {"hard_negative", "positive"}
    missing = CliRunner().invoke(
        app, ["dataset", "captures", str(tmp_path), "hey_katya", "--home", f"{home}"]
    )
    assert missing.exit_code == 2 and "not a Judge capture folder" in missing.output
