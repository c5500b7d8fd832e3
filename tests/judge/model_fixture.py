"""The judge model and clips the Judge tests share (``tests/judge`` and ``tests/ha/prepare.py``).

The judge is trained just enough to memorize its training split; the tests stream TRAIN-split clips
(the first positive and the first negative speech clip, never chosen by score) and the builder fails
loudly if the model does not separate them by :data:`MIN_MARGIN`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wakesmith.audio.io import write_wav
from wakesmith.home import Home

DATASET = "hey_katya"
JUDGE_OVERRIDES = [
    "model.params={channels: 16, blocks: 2}",
    "train.epochs=8",
    "train.samples_per_epoch=512",
    "train.num_workers=0",
    # Evaluation only needs to calibrate thresholds here; minutes of streams instead of hours keep it fast.
    "eval.speech_hours=0.03",
    "eval.confusable_hours=0.03",
    "eval.calibration_hours=0.03",
]
MIN_MARGIN = 0.3
"""The positive clip's buffer score must beat the threshold, and the negative's stay below it, by this."""
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

    @classmethod
    def read(cls, folder: Path) -> JudgeFixture:
        data = json.loads((folder / MANIFEST).read_text())
        return cls(**{k: Path(v) if k in ("model", "positive", "negative") else v for k, v in data.items()})


def _padded(audio: np.ndarray) -> np.ndarray:
    pad = np.zeros(int(LEAD_S * SAMPLE_RATE), dtype=np.float32)
    return np.concatenate([pad, audio.astype(np.float32), pad])


def build_judge_fixture(home: Home, out: Path) -> JudgeFixture:
    """Train + calibrate a small judge in ``home``; write ``out/{model.onnx,positive.wav,negative.wav}``."""
    import shutil

    from wakesmith import api
    from wakesmith.runtime import OnnxBackend, WindowScorer

    summary = api.train("judge", overrides=JUDGE_OVERRIDES, home=home)
    api.evaluate(summary.artifact.path, home=home)
    out.mkdir(parents=True, exist_ok=True)
    model = out / "model.onnx"
    shutil.copyfile(summary.artifact.onnx_path, model)
    store = api.open_store(home)
    positive = _padded(store.load_audio(store.clips(DATASET, split="train", label="positive")[0]))
    negative = _padded(store.load_audio(store.clips(DATASET, split="train", label="negative")[0]))
    write_wav(out / "positive.wav", positive)
    write_wav(out / "negative.wav", negative)
    scorer = WindowScorer(OnnxBackend.load(model))
    threshold = scorer.info.threshold("default")
    pos, neg = scorer.score_buffer(positive), scorer.score_buffer(negative)
    fixture = JudgeFixture(model, out / "positive.wav", out / "negative.wav", threshold, pos, neg)
    (out / MANIFEST).write_text(
        json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in fixture.__dict__.items()})
    )
    if not (pos >= threshold + MIN_MARGIN * (1 - threshold) and neg <= threshold * (1 - MIN_MARGIN)):
        raise AssertionError(
            f"The fixture judge is not good enough: positive {pos:.3f}, negative {neg:.3f}, threshold "
            f"{threshold:.3f} (margin {MIN_MARGIN}). Train it longer in tests/judge/model_fixture.py."
        )
    return fixture
