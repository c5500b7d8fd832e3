"""The light install (``pip install wakesmith``: numpy, onnxruntime, pymicro-features — no torch)
runs a streaming model end to end: metadata → front end → scorer → detector.

Runs in nox's ``runtime`` session, which installs only the core dependencies plus ``onnx`` to build
a small real graph by hand here (the trained exports need torch, which this environment must not have).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from wakesmith.config import SAMPLE_RATE, DetectorConfig, FeatureConfig, ModelConfig
from wakesmith.metadata import ONNX_METADATA_KEY, ModelMetadata
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.detector import Detector
from wakesmith.runtime.scorers import make_scorer

STRIDE = 3
DIM = 40
LOUDNESS_OFFSET = 12.0
"""micro features of loud sound average well above this; of silence, well below."""
WARM_UP_S = 1.0


def energy_model(path: Path) -> Path:
    """A real streaming graph: per step, sigmoid(mean of its 3×40 micro features − offset); a
    one-value state is carried through (the contract's state plumbing, exercised for real)."""
    features = helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, "T", DIM])
    state_in = helper.make_tensor_value_info("state_0", TensorProto.FLOAT, [1, 1])
    scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, "S"])
    state_out = helper.make_tensor_value_info("next_state_0", TensorProto.FLOAT, [1, 1])
    shape = helper.make_tensor("shape", TensorProto.INT64, [3], [1, -1, STRIDE * DIM])
    offset = helper.make_tensor("offset", TensorProto.FLOAT, [], [LOUDNESS_OFFSET])
    nodes = [
        helper.make_node("Reshape", ["features", "shape"], ["steps"]),
        helper.make_node("ReduceMean", ["steps"], ["mean"], axes=[2], keepdims=0),
        helper.make_node("Sub", ["mean", "offset"], ["centred"]),
        helper.make_node("Sigmoid", ["centred"], ["scores"]),
        helper.make_node("Identity", ["state_0"], ["next_state_0"]),
    ]
    graph = helper.make_graph(nodes, "energy", [features, state_in], [scores, state_out], [shape, offset])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    metadata = ModelMetadata(
        model_id="energy",
        role="sentry",
        phrase="loud noise",
        features=FeatureConfig(name="micro"),
        model=ModelConfig(name="energy"),
        streaming=True,
        stride=STRIDE,
        state_shapes=[[1, 1]],
        detector=DetectorConfig(threshold=0.5, smoothing_window=3, cooldown_s=1.0),
    )
    helper.set_model_props(model, {ONNX_METADATA_KEY: metadata.to_json()})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def test_torch_is_not_installed_here() -> None:
    assert importlib.util.find_spec("torch") is None, "the light runtime environment must not contain torch"


def test_streaming_model_detects_loud_burst_in_any_chunking(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    quiet = 0.001 * rng.standard_normal(2 * SAMPLE_RATE)
    loud = 0.5 * rng.standard_normal(SAMPLE_RATE // 2)
    audio = np.concatenate([quiet, loud, quiet]).astype(np.float32)

    scorer = make_scorer(OnnxBackend.load(energy_model(tmp_path / "energy.onnx")))
    batch = scorer.score(audio)
    assert batch.min() < 0.2 and batch.max() > 0.8

    for chunk in (160, 333, 4800):
        scorer.reset()
        chunked = np.concatenate([scorer.push(audio[i : i + chunk]) for i in range(0, len(audio), chunk)])
        np.testing.assert_allclose(chunked, batch, atol=1e-6)

    cfg = DetectorConfig(threshold=0.5, smoothing_window=3, cooldown_s=1.0)
    detector = Detector(cfg, scorer.step_seconds, offset_s=scorer.first_end_s)
    # The micro front end's noise estimate starts from zero, so its first frames read loud: skip
    # that warm-up (as a device does after boot) and expect exactly the burst.
    hits = [h for h in detector.push(batch) if h.time_s > WARM_UP_S]
    assert len(hits) == 1
    assert 2.0 <= hits[0].time_s <= 2.7  # during the burst, not before it


def test_bad_metadata_is_refused(tmp_path: Path) -> None:
    path = energy_model(tmp_path / "m.onnx")
    model = onnx.load(str(path))
    del model.metadata_props[:]
    onnx.save(model, str(path))
    from wakesmith.errors import ArtifactError

    with pytest.raises(ArtifactError):
        make_scorer(OnnxBackend.load(path))
