"""ONNX export: interface, embedded metadata, parity with torch (batch and chunk by chunk), errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import wakesmith
from wakesmith.artifact import Artifact
from wakesmith.config import DetectorConfig, FeatureConfig, ModelConfig
from wakesmith.errors import ArtifactError, ExportError
from wakesmith.export import export_model, export_onnx, get_format, list_formats
from wakesmith.export.onnx import _export_proto
from wakesmith.metadata import ModelMetadata, Threshold
from wakesmith.models import ScoringGraph, StreamingWakeModel, WakeModel, create_model

INPUT_DIM = 40
WINDOW_FRAMES = 150
ATOL = 1e-4
META = ModelMetadata(
    model_id="hey-katya-sentry",
    role="sentry",
    phrase="hey katya",
    features=FeatureConfig(name="micro"),
    model=ModelConfig(name="sentry_tcn", params={"channels": 16, "blocks": 3}),
    streaming=True,
    stride=3,
    state_shapes=[[1, 16, 2], [1, 16, 4], [1, 16, 8]],
    detector=DetectorConfig(),
)
JUDGE_META = ModelMetadata(
    model_id="hey-katya-judge",
    role="judge",
    phrase="hey katya",
    features=FeatureConfig(name="logmel"),
    model=ModelConfig(name="judge_resnet", params={"channels": 8, "blocks": 2}),
    streaming=False,
    stride=1,
    window_frames=WINDOW_FRAMES,
    detector=DetectorConfig(),
)


def _sentry() -> StreamingWakeModel:
    torch.manual_seed(0)
    model = create_model("sentry_tcn", INPUT_DIM, channels=16, blocks=3)
    assert isinstance(model, StreamingWakeModel)
    return model


def _judge() -> WakeModel:
    torch.manual_seed(0)
    return create_model("judge_resnet", INPUT_DIM, channels=8, blocks=2)


def _session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _shape(value_info: onnx.ValueInfoProto) -> list[int | str]:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


@pytest.fixture(scope="module")
def sentry_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[StreamingWakeModel, Path]:
    model = _sentry()
    return model, export_onnx(model, META, tmp_path_factory.mktemp("sentry") / "sentry.onnx")


def test_streaming_interface_and_metadata(sentry_file: tuple[StreamingWakeModel, Path]) -> None:
    model, path = sentry_file
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    assert proto.opset_import[0].version >= 18
    assert not list(path.parent.glob("*.data")), "weights must be inside the .onnx file"
    assert str(Path(wakesmith.__file__).parent).encode() not in path.read_bytes(), "no local source paths"
    props = {p.key: p.value for p in proto.metadata_props}
    assert ModelMetadata.from_json(props["wakesmith"]) == META
    assert props["wakesmith_exporter"] == "dynamo"
    inputs = {i.name: _shape(i) for i in proto.graph.input}
    outputs = {o.name: _shape(o) for o in proto.graph.output}
    states = [tuple(s.shape) for s in model.initial_state(1)]
    assert list(inputs) == ["features", "state_0", "state_1", "state_2"]
    assert list(outputs) == ["scores", "next_state_0", "next_state_1", "next_state_2"]
    assert (
        inputs["features"][0] == 1 and isinstance(inputs["features"][1], str) and inputs["features"][2] == 40
    )
    assert [tuple(inputs[f"state_{i}"]) for i in range(3)] == states
    assert [tuple(outputs[f"next_state_{i}"]) for i in range(3)] == states
    # Only ops that have TFLite-Micro counterparts made it into the graph.
    assert {n.op_type for n in proto.graph.node} <= {
        "Conv", "Relu", "Add", "Concat", "Slice", "Sigmoid", "Transpose", "Squeeze", "Reshape",
    }  # fmt: skip


def test_streaming_file_chunk_by_chunk_equals_torch_batch(
    sentry_file: tuple[StreamingWakeModel, Path],
) -> None:
    model, path = sentry_file
    session = _session(path)
    steps = 60
    x = torch.randn(1, steps * model.stride, INPUT_DIM, generator=torch.Generator().manual_seed(3)) * 3
    with torch.no_grad():
        expected = torch.sigmoid(model.eval()(x)).numpy()[0]
    state = [s.numpy() for s in model.initial_state(1)]
    scores, start = [], 0
    for n in [1, 2, 7, 20, 30]:  # steps per call; sums to 60
        chunk = x[:, start * model.stride : (start + n) * model.stride].numpy()
        out = session.run(None, {"features": chunk} | {f"state_{i}": s for i, s in enumerate(state)})
        scores.append(out[0][0])
        state = out[1:]
        start += n
    np.testing.assert_allclose(np.concatenate(scores), expected, atol=ATOL, rtol=0)


def test_window_model_has_dynamic_batch_and_fixed_window(tmp_path: Path) -> None:
    model = _judge()
    path = export_onnx(model, JUDGE_META, tmp_path / "judge.onnx")
    proto = onnx.load(str(path))
    (features,) = proto.graph.input
    (scores,) = proto.graph.output
    assert features.name == "features" and scores.name == "scores"
    assert isinstance(_shape(features)[0], str) and _shape(features)[1:] == [WINDOW_FRAMES, INPUT_DIM]
    session = _session(path)
    for batch in (1, 5):
        x = torch.randn(batch, WINDOW_FRAMES, INPUT_DIM, generator=torch.Generator().manual_seed(batch))
        with torch.no_grad():
            expected = torch.sigmoid(model.eval()(x)).numpy()
        got = session.run(None, {"features": x.numpy()})[0]
        assert got.shape == (batch, 1)
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)


def test_export_leaves_the_callers_model_alone(tmp_path: Path) -> None:
    model = _judge().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    export_onnx(model, JUDGE_META, tmp_path / "judge.onnx")
    assert model.training
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_torchscript_fallback_exporter_gives_the_same_graph_interface() -> None:
    model = _sentry().eval()
    proto = _export_proto(ScoringGraph(model).eval(), torch.randn(1, 30, INPUT_DIM), dynamo=False)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    x = torch.randn(1, 45, INPUT_DIM)
    feeds = {"features": x.numpy()} | {f"state_{i}": s.numpy() for i, s in enumerate(model.initial_state(1))}
    with torch.no_grad():
        expected = torch.sigmoid(model(x)).numpy()
    np.testing.assert_allclose(session.run(["scores"], feeds)[0], expected, atol=ATOL, rtol=0)


def test_errors_leave_an_existing_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"previous")
    with pytest.raises(ExportError, match="multiple of the stride 3"):
        export_onnx(_sentry(), META, target, example_frames=10)
    with pytest.raises(ExportError, match="describes a streaming model"):
        export_onnx(_judge(), META, target)
    with pytest.raises(ExportError, match=r"stride 1.*model's is 3"):
        export_onnx(_sentry(), META.model_copy(update={"stride": 1}), target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"], "no temporary files left behind"


def test_format_table(tmp_path: Path) -> None:
    assert "onnx" in list_formats()
    fmt = get_format("onnx")
    assert fmt.suffix == ".onnx"
    assert set(fmt.options) == {"example_frames", "verify"}
    with pytest.raises(ExportError, match=r"does not support 'int8'.*example_frames"):
        fmt.export(_sentry(), META, tmp_path / "x.onnx", int8=True)
    with pytest.raises(ExportError, match="Did you mean 'onnx'"):
        get_format("onxx")
    path = export_model(_judge(), JUDGE_META, tmp_path / "j.onnx", "onnx", verify=False)
    assert path == tmp_path / "j.onnx" and path.is_file()


def test_artifact_update_metadata_replaces_only_the_metadata(
    sentry_file: tuple[StreamingWakeModel, Path], tmp_path: Path
) -> None:
    _, original = sentry_file
    artifact = Artifact(tmp_path)
    artifact.onnx_path.write_bytes(original.read_bytes())
    calibrated = META.model_copy(
        update={
            "thresholds": [
                Threshold(name="default", threshold=0.7, target_fa_per_hour=0.5, fa_per_hour=0.4, recall=0.9)
            ]
        }
    )
    artifact.update_metadata(calibrated)
    before, after = onnx.load(str(original)), onnx.load(str(artifact.onnx_path))
    props = {p.key: p.value for p in after.metadata_props}
    assert ModelMetadata.from_json(props["wakesmith"]).threshold("default") == 0.7
    assert artifact.metadata == calibrated
    assert after.graph.SerializeToString() == before.graph.SerializeToString()
    assert props["wakesmith_exporter"] == "dynamo"

    plain = Artifact(tmp_path / "plain")
    plain.path.mkdir()
    before.ClearField("metadata_props")
    onnx.save(before, str(plain.onnx_path))
    with pytest.raises(ArtifactError, match="not exported by wakesmith"):
        plain.update_metadata(META)
    assert not plain.metadata_path.exists()
