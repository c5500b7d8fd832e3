"""End to end on tiny data: the real train() → artifact → ONNX → evaluate → calibrate → detect."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import soundfile as sf
import soxr

from wakesmith import api
from wakesmith.artifact import Artifact, list_artifacts, read_current
from wakesmith.audio.io import write_wav
from wakesmith.data.schema import Clip
from wakesmith.data.store import ClipStore
from wakesmith.errors import AudioError
from wakesmith.evaluate.report import EvalReport
from wakesmith.home import Home
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.detector import Detection

pytestmark = pytest.mark.slow

MIN_DETECTED = 0.5
"""The fraction of held-out positives the calibrated sentry must detect at its ``default`` threshold."""
TINY = ["train.epochs=2", "train.samples_per_epoch=96", "train.batch_size=32", "train.num_workers=0"]


def test_dataset_is_split_by_speaker_with_every_split_usable(tiny_home: Home) -> None:
    store = ClipStore(tiny_home)
    by_split: dict[str, set[str]] = {}
    for clip in store.clips("hey_katya"):
        if clip.speaker:
            by_split.setdefault(str(clip.split), set()).add(clip.speaker)
        assert clip.split in ("train", "val", "test")
    assert not (by_split["train"] & by_split["test"]) and not (by_split["train"] & by_split["val"])
    for split in ("train", "val", "test"):
        labels = {c.label for c in store.clips("hey_katya", split=split)}
        assert {"positive", "negative"} <= labels, split


def test_train_evaluate_calibrate_detect(home_copy: Home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    summary = api.train("tiny", overrides=TINY, home=home_copy)
    art = summary.artifact
    assert [a.path for a in list_artifacts(home_copy)] == [art.path]
    for name in ("metadata.json", "recipe.yaml", "model.pt", "model.onnx", "licences.json"):
        assert (art.path / name).is_file(), name
    licences = json.loads((art.path / "licences.json").read_text())["entries"]
    assert any(e["engine"] == "espeak-ng" and e["licence"] == "GPL-3.0-or-later" for e in licences)
    meta = art.metadata
    assert meta.role == "sentry" and meta.streaming and meta.stride == 3
    assert meta.dataset_lineage == ClipStore(home_copy).lineage_hash("hey_katya")

    report = api.evaluate(art.path, home=home_copy)
    assert isinstance(report, EvalReport)
    assert report.positives > 0
    assert {s.name for s in report.streams} == {"speech", "confusables", "unseen-speech"}
    for name in ("report.json", "det.png", "scores.png", "confusion.png"):
        assert (art.path / name).stat().st_size > 1000, name
    # calibrated thresholds are in the metadata and inside the shipped ONNX file
    meta = art.metadata
    assert [t.name for t in meta.thresholds] == ["sensitive", "default", "strict"]
    assert meta.detector.threshold == meta.threshold("default")
    embedded = {p.key: p.value for p in onnx.load(str(art.onnx_path)).metadata_props}
    assert json.loads(embedded["wakesmith"])["thresholds"] == [
        t.model_dump(mode="json") for t in meta.thresholds
    ]
    assert OnnxBackend.load(art.onnx_path).metadata.thresholds[1].name == "default"

    # the blessed model is what "sentry" names (what it detects: the next test, on a trained sentry)
    api.bless(art.path, home=home_copy)
    assert read_current(home_copy) == {"sentry": art.model_id}
    # bad input is refused with a message, not a traceback deep in the runtime
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    with pytest.raises(AudioError):
        api.detect("sentry", corrupt, home=home_copy)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.int16), 16000, subtype="PCM_16")
    with pytest.raises(AudioError, match=r"(?i)empty|no audio|zero"):
        api.detect("sentry", empty, home=home_copy)


def test_a_calibrated_sentry_detects_held_out_positives_and_not_a_background(
    calibrated_sentry: Artifact, sentry_home: Home, tmp_path: Path
) -> None:
    """``api.detect`` at the thresholds ``api.evaluate`` calibrated, on TEST-split clips in context.

    The 2-epoch model above detects nothing at its calibrated cutoff, so this uses the session's
    ``calibrated_sentry`` (tests/conftest.py: the tiny recipe trained longer, shared with the edge tests).
    Every held-out positive is tried, none picked: at least :data:`MIN_DETECTED` of them are detected
    (measured: 4 of 5), each detection inside its clip; the held-out backgrounds are not.
    """
    store = ClipStore(sentry_home)
    lead, tail = np.zeros(16000, np.float32), np.zeros(8000, np.float32)
    calibrated = {t.name: t.threshold for t in calibrated_sentry.metadata.thresholds}
    assert set(calibrated) == {"sensitive", "default", "strict"}

    def detect(clip: Clip, preset: str = "default") -> tuple[np.ndarray, list[Detection]]:
        audio = np.concatenate([lead, store.load_audio(clip), tail])
        wav = write_wav(tmp_path / f"{clip.id}.wav", audio)
        return audio, api.detect(calibrated_sentry.path, wav, preset=preset, home=sentry_home)

    positives = store.clips("hey_katya", split="test", label="positive")
    hits: list[tuple[np.ndarray, list[Detection]]] = []
    for clip in positives:
        audio, found = detect(clip)
        assert all(len(lead) / 16000 < d.time_s <= len(audio) / 16000 + 0.1 for d in found), found
        assert all(d.score >= calibrated["default"] for d in found), (found, calibrated)
        if found:
            hits.append((audio, found))
    assert positives and len(hits) >= MIN_DETECTED * len(positives), (
        f"{len(hits)}/{len(positives)} held-out positives detected at {calibrated}"
    )
    backgrounds = store.clips("hey_katya", split="test", label="background")
    assert backgrounds and all(detect(clip, "sensitive")[1] == [] for clip in backgrounds)

    # the same detected audio at 44.1 kHz stereo is converted at the edge and gives the same verdicts
    audio, detections = hits[0]
    stereo = tmp_path / "clip44k.wav"
    up = soxr.resample(audio, 16000, 44100)
    sf.write(stereo, np.stack([up, up], axis=1), 44100)
    assert len(api.detect(calibrated_sentry.path, stereo, home=sentry_home)) == len(detections)


def test_a_second_identical_train_does_not_retrain(home_copy: Home) -> None:
    first = api.train("tiny", overrides=TINY, home=home_copy)
    again = api.train("tiny", overrides=TINY, home=home_copy)
    assert again.run_dir == first.run_dir
    assert again.resumed_from_step > 0
    assert again.samples_per_second == 0.0  # nothing left to train
