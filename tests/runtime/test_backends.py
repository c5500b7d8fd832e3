"""Backends: onnxruntime, torch and the fake speak one interface; loading refuses what it cannot run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from wakesmith.config import DetectorConfig, FeatureConfig, ModelConfig
from wakesmith.errors import ArtifactError
from wakesmith.export import export_onnx
from wakesmith.features import create_frontend
from wakesmith.metadata import ModelMetadata, Threshold
from wakesmith.models import StreamingWakeModel, create_model
from wakesmith.runtime import (
    Backend,
    FakeBackend,
    OnnxBackend,
    TorchBackend,
    fake_metadata,
    load_backend,
)
from wakesmith.runtime.graph import graph_names

ATOL = 1e-4
SPECS = {
    "sentry": ("sentry_tcn", FeatureConfig(name="micro"), {"channels": 16, "blocks": 3}),
    "judge": ("judge_resnet", FeatureConfig(name="logmel", window_ms=25.0), {"channels": 8, "blocks": 2}),
}


def _metadata(
    role: str, model: Any, features: FeatureConfig, name: str, params: dict[str, Any]
) -> ModelMetadata:
    streaming = isinstance(model, StreamingWakeModel)
    return ModelMetadata(
        model_id=f"test-{role}",
        role=role,  # type: ignore[arg-type]
        phrase="hey katya",
        features=features,
        model=ModelConfig(name=name, params=params),
        streaming=streaming,
        stride=model.stride,
        window_frames=None if streaming else create_frontend(features).num_frames(24_000),
        state_shapes=[list(s.shape) for s in model.initial_state(1)] if streaming else [],
        detector=DetectorConfig(threshold=0.6),
        thresholds=[
            Threshold(name="strict", threshold=0.9, target_fa_per_hour=0.1, fa_per_hour=0.0, recall=0.8)
        ],
    )


@pytest.fixture(scope="module", params=list(SPECS))
def artifact(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An untrained model saved the way training saves it: model.pt + model.onnx in one folder."""
    role = str(request.param)
    name, features, params = SPECS[role]
    torch.manual_seed(0)
    model = create_model(name, create_frontend(features).dim, **params).eval()
    meta = _metadata(role, model, features, name, params)
    folder = tmp_path_factory.mktemp(role)
    torch.save(
        {"state_dict": model.state_dict(), "metadata": meta.model_dump(mode="json")}, folder / "model.pt"
    )
    export_onnx(model, meta, folder / "model.onnx")
    return {"role": role, "model": model, "metadata": meta, "folder": folder}


def _feeds(backend: Backend, frames: int, batch: int = 1, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feeds = {"features": rng.uniform(0, 26, (batch, frames, 40)).astype(np.float32)}
    meta = backend.metadata
    for name, shape in zip(graph_names(meta)[0][1:], meta.state_shapes, strict=True):
        feeds[name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def test_onnx_backend_reads_its_metadata_and_names(artifact: dict[str, Any]) -> None:
    backend = OnnxBackend.load(artifact["folder"] / "model.onnx", threads=1)
    assert isinstance(backend, Backend)
    assert backend.metadata == artifact["metadata"]
    meta = backend.metadata
    assert (backend.input_names, backend.output_names) == graph_names(meta)
    assert meta.threshold("strict") == 0.9
    assert meta.threshold("default") == 0.6  # uncalibrated preset: the detector's threshold
    if meta.streaming:
        assert backend.input_names == ["features", "state_0", "state_1", "state_2"]
    else:
        assert backend.input_names == ["features"] and backend.output_names == ["scores"]


def test_torch_and_onnx_backends_agree(artifact: dict[str, Any]) -> None:
    onnx_backend = load_backend(artifact["folder"] / "model.onnx")
    torch_from_pt = load_backend(artifact["folder"] / "model.pt")
    torch_from_folder = load_backend(artifact["folder"])
    assert isinstance(onnx_backend, OnnxBackend)
    assert isinstance(torch_from_pt, TorchBackend) and isinstance(torch_from_folder, TorchBackend)
    streaming = artifact["metadata"].streaming
    feeds = _feeds(
        onnx_backend, 30 if streaming else artifact["metadata"].window_frames, 1 if streaming else 4
    )
    expected = onnx_backend.forward(feeds)
    assert list(expected) == onnx_backend.output_names
    assert expected["scores"].shape == ((1, 10) if streaming else (4, 1))
    for backend in (torch_from_pt, torch_from_folder, TorchBackend(artifact["model"], artifact["metadata"])):
        assert backend.input_names == onnx_backend.input_names
        got = backend.forward(feeds)
        assert list(got) == list(expected)
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], atol=ATOL, rtol=0, err_msg=key)


def test_loading_refuses_what_it_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="No ONNX model"):
        OnnxBackend.load(tmp_path / "missing.onnx")
    (tmp_path / "corrupt.onnx").write_bytes(b"not a protobuf")
    with pytest.raises(ArtifactError, match="not a loadable ONNX model"):
        OnnxBackend.load(tmp_path / "corrupt.onnx")
    graph = helper.make_graph(
        [helper.make_node("Identity", ["features"], ["scores"])], "plain",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 1])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1])],
    )  # fmt: skip
    plain = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    plain.ir_version = 9
    onnx.save(plain, str(tmp_path / "plain.onnx"))
    with pytest.raises(ArtifactError, match="carries no wakesmith metadata"):
        OnnxBackend.load(tmp_path / "plain.onnx")
    helper.set_model_props(plain, {"wakesmith": json.dumps({"role": "judge"})})
    onnx.save(plain, str(tmp_path / "partial.onnx"))
    with pytest.raises(ArtifactError, match="lacks model_id, phrase, model, streaming, stride"):
        OnnxBackend.load(tmp_path / "partial.onnx")
    with pytest.raises(ArtifactError, match=r"expected a \.onnx file"):
        load_backend(tmp_path / "model.bin")
    with pytest.raises(ArtifactError, match="No torch weights"):
        load_backend(tmp_path)


def test_metadata_rejects_inconsistent_values() -> None:
    with pytest.raises(ArtifactError, match="role"):
        ModelMetadata.load(fake_metadata("judge").model_dump() | {"role": "teacher"})
    with pytest.raises(ArtifactError, match="window_frames"):
        fake_metadata("judge", window_frames=None)
    with pytest.raises(ArtifactError, match="state_shapes"):
        fake_metadata("sentry", state_shapes=[])
    with pytest.raises(ArtifactError, match="features"):
        fake_metadata("judge", features={**FeatureConfig().model_dump(), "name": "spectrogram"})


def test_fake_backend_plays_its_script_in_order() -> None:
    judge = FakeBackend([0.1, 0.9, 0.3], after=0.05)
    out = judge.forward({"features": np.zeros((2, 148, 40), np.float32)})
    assert out["scores"].shape == (2, 1)
    assert out["scores"].ravel().tolist() == pytest.approx([0.1, 0.9])
    out = judge.forward({"features": np.zeros((3, 148, 40), np.float32)})
    assert out["scores"].ravel().tolist() == pytest.approx([0.3, 0.05, 0.05])
    assert len(judge.calls) == 2

    sentry = FakeBackend(np.arange(5) / 10, fake_metadata("sentry"))
    state = np.full((1, 1, 1), 7.0, np.float32)
    out = sentry.forward({"features": np.zeros((1, 9, 40), np.float32), "state_0": state})
    assert out["scores"].shape == (1, 3)
    assert out["scores"].ravel().tolist() == pytest.approx([0.0, 0.1, 0.2])
    assert out["next_state_0"] is state


def test_runtime_runs_without_torch(artifact: dict[str, Any]) -> None:
    """The Judge installs the runtime without torch: importing and scoring must not need it."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["torch"] = None  # any `import torch` now raises ImportError
        import numpy as np
        from wakesmith.errors import ArtifactError
        from wakesmith.runtime import load_backend, make_scorer
        scorer = make_scorer(load_backend({str(artifact["folder"] / "model.onnx")!r}))
        scores = scorer.score(np.zeros(32000, dtype=np.float32))
        assert len(scores) > 0 and np.all((scores > 0) & (scores < 1)), scores
        try:
            load_backend({str(artifact["folder"] / "model.pt")!r})
        except ArtifactError as exc:
            assert "needs torch" in str(exc), exc
        else:
            raise AssertionError("TorchBackend loaded without torch")
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
