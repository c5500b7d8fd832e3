"""The judge model and clips the Judge tests share (``tests/judge`` and ``tests/ha/prepare.py``).

The judge is trained just enough to memorize its training split; the tests stream TRAIN-split clips
(the first positive and the first negative speech clip, never chosen by score) and the builder fails
loudly if the model does not separate them by :data:`MIN_GAP`. The tests exercise the service, not
the model's quality, so the file's ``default`` threshold is set halfway between the two clips' scores
(a threshold calibrated on a few minutes of stream lands anywhere between runs), and its ``strict``
threshold halfway between the positive's score and 1, so a stricter preset rejects that positive.

For the one test of the model itself the builder also keeps the file as ``api.evaluate`` calibrated it
(``calibrated.onnx``, thresholds untouched) with the first TEST-split positive and negative clip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from wakesmith.audio.io import write_wav
from wakesmith.home import Home

DATASET = "hey_katya"
JUDGE_OVERRIDES = [
    "model.params={channels: 16, blocks: 2}",
    "train.epochs=24",
    "train.samples_per_epoch=1024",
    "train.batch_size=32",
    "train.lr=0.008",
    "train.num_workers=0",
    # Memorizing the training clips is the goal here: augmentation would only slow that down.
    "augment.enabled=false",
    # Evaluation only needs to calibrate thresholds here; minutes of streams instead of hours keep it fast.
    "eval.speech_hours=0.03",
    "eval.confusable_hours=0.03",
    "eval.calibration_hours=0.03",
    # Its thresholds sit above the confusables too (the judge recipe counts ordinary speech only): the
    # satellite and Home Assistant tests expect the calibrated fixture to reject a confusable.
    "eval.calibration_negatives=all",
    # The unseen-engine set: a few takes are enough to exercise it (the full one speaks 700 clips).
    "eval.unseen_positives=6",
    "eval.unseen_speech_clips=6",
    "eval.unseen_speech_hours=0.02",
]
MIN_GAP = 0.3
"""The positive clip's buffer score must beat the negative's by at least this much (measured runs:
0.40 / 0.01, 0.58 / 0.02)."""
LEAD_S = 0.5
"""Silence around each clip so a stream holds a whole window before and after the phrase."""
SAMPLE_RATE = 16000
MANIFEST = "fixture.json"


@dataclass(frozen=True)
class JudgeFixture:
    """The files the Judge tests use: an exported judge and one positive / one negative clip."""

    model: Path
    positive: Path
    negative: Path
    threshold: float
    positive_score: float
    negative_score: float
    calibrated: Path
    """The same judge with the thresholds ``api.evaluate`` calibrated (not the hand-set one)."""
    held_out_positive: Path
    held_out_negative: Path

    @classmethod
    def read(cls, folder: Path) -> JudgeFixture:
        data = json.loads((folder / MANIFEST).read_text())
        missing = [f.name for f in fields(cls) if f.name not in data]
        if missing:
            raise FileNotFoundError(
                f"{folder / MANIFEST} lacks {missing}: prepare the fixture in a new folder."
            )
        return cls(**{k: Path(v) if k in _PATHS else v for k, v in data.items()})


_PATHS = ("model", "positive", "negative", "calibrated", "held_out_positive", "held_out_negative")


def _padded(audio: np.ndarray) -> np.ndarray:
    pad = np.zeros(int(LEAD_S * SAMPLE_RATE), dtype=np.float32)
    return np.concatenate([pad, audio.astype(np.float32), pad])


def build_judge_fixture(home: Home, out: Path) -> JudgeFixture:
    """Train + calibrate a small judge in ``home``; write ``out/{model.onnx,positive.wav,negative.wav}``
    (hand-set threshold, train clips) and ``out/{calibrated.onnx,held_out_*.wav}`` (calibrated, test clips).
    """
    import shutil

    from wakesmith import api
    from wakesmith.artifact import Artifact
    from wakesmith.runtime import OnnxBackend, WindowScorer

    summary = api.train("judge", overrides=JUDGE_OVERRIDES, home=home)
    api.evaluate(summary.artifact.path, home=home)
    out.mkdir(parents=True, exist_ok=True)
    model = out / "model.onnx"
    shutil.copyfile(summary.artifact.onnx_path, model)
    shutil.copyfile(summary.artifact.onnx_path, out / "calibrated.onnx")
    store = api.open_store(home)
    clips = {
        (split, label): _padded(store.load_audio(store.clips(DATASET, split=split, label=label)[0]))
        for split in ("train", "test")
        for label in ("positive", "negative")
    }
    positive, negative = clips["train", "positive"], clips["train", "negative"]
    write_wav(out / "positive.wav", positive)
    write_wav(out / "negative.wav", negative)
    write_wav(out / "held_out_positive.wav", clips["test", "positive"])
    write_wav(out / "held_out_negative.wav", clips["test", "negative"])
    backend = OnnxBackend.load(model)
    scorer = WindowScorer(backend)
    pos, neg = scorer.score_buffer(positive), scorer.score_buffer(negative)
    if pos - neg < MIN_GAP:
        raise AssertionError(
            f"The fixture judge is not good enough: positive {pos:.3f}, negative {neg:.3f} (needs a gap of "
            f"{MIN_GAP}). Train it longer in tests/judge/model_fixture.py."
        )
    threshold = round((pos + neg) / 2, 4)
    metadata = backend.metadata.model_copy(deep=True)
    set_by_hand = {"default": threshold, "strict": round((pos + 1.0) / 2, 4)}
    metadata.thresholds = [
        t.model_copy(update={"threshold": set_by_hand[t.name]}) if t.name in set_by_hand else t
        for t in metadata.thresholds
    ]
    metadata.detector = metadata.detector.model_copy(update={"threshold": threshold})
    Artifact(out).update_metadata(metadata)  # out/model.onnx (and out/metadata.json)
    fixture = JudgeFixture(
        model,
        out / "positive.wav",
        out / "negative.wav",
        threshold,
        pos,
        neg,
        out / "calibrated.onnx",
        out / "held_out_positive.wav",
        out / "held_out_negative.wav",
    )
    # The manifest marks the folder as a finished fixture (prepare.py skips the work when it exists),
    # so it is written last and only for a model that passed the check above.
    (out / MANIFEST).write_text(
        json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in fixture.__dict__.items()})
    )
    return fixture
