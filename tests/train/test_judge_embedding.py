"""The judge_embedding recipe end to end on tiny data: train → calibrated ONNX → the Judge serves it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wakesmith import api
from wakesmith.features.embedding import LICENCE
from wakesmith.home import Home
from wakesmith.judge.engine import JudgeModel
from wakesmith.judge.settings import ModelSettings
from wakesmith.runtime import OnnxBackend

pytestmark = pytest.mark.slow

TINY = [
    "train.epochs=2",
    "train.samples_per_epoch=128",
    "train.batch_size=32",
    "train.num_workers=0",
    "eval.speech_hours=0.03",
    "eval.confusable_hours=0.03",
    "eval.calibration_hours=0.03",
    "eval.unseen_positives=4",
    "eval.unseen_speech_clips=4",
    "eval.unseen_speech_hours=0.02",
]


def test_judge_embedding_trains_exports_calibrates_and_is_served(home_copy: Home) -> None:
    art = api.train("judge_embedding", overrides=TINY, home=home_copy).artifact
    meta = art.metadata
    assert (meta.role, meta.model.name) == ("judge", "judge_embedding")
    assert meta.features.name == "speech_embedding"
    assert meta.window_frames == 9  # 1.5 s of 790 ms embeddings, 80 ms apart
    licences = json.loads((art.path / "licences.json").read_text())
    assert licences["components"] == [LICENCE]
    assert any(e["engine"] == "espeak-ng" for e in licences["entries"])

    report = api.evaluate(art.path, home=home_copy)
    assert report.positives > 0
    calibrated = OnnxBackend.load(art.onnx_path).metadata
    assert [t.name for t in calibrated.thresholds] == ["sensitive", "default", "strict"]
    assert calibrated.features.name == "speech_embedding"

    # The Judge loads the file by itself and runs the front end its metadata names.
    judge = JudgeModel(ModelSettings(path=art.onnx_path))
    store = api.open_store(home_copy)
    clip = store.load_audio(store.clips("hey_katya", split="test", label="positive")[0])
    verdict = judge.verify(np.concatenate([np.zeros(8000, np.float32), clip, np.zeros(8000, np.float32)]))
    assert 0.0 < verdict.confidence < 1.0
    stream = judge.stream()
    assert stream.scorer.step_seconds == pytest.approx(0.08)  # the recipe's judge_hop_ms: one embedding
    stream.push(np.zeros(16_000 * 2, np.float32))
