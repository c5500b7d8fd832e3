"""One contract for the zoo, one test for the zoo, parametrized over every registered model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F

from wakesmith.config import DetectorConfig, FeatureConfig, ModelConfig
from wakesmith.errors import ConfigError
from wakesmith.export import export_onnx
from wakesmith.metadata import ModelMetadata
from wakesmith.models import MODELS, StreamingWakeModel, WakeModel, create_model, list_models, model_defaults

INPUT_DIM = 40
WINDOW_FRAMES = 148
"""1.5 s of 10 ms frames, the default training window."""
BATCH = 3
ONNX_ATOL = 1e-4
STREAM_ATOL = 1e-5

PARAMETER_BOUNDS = {
    # The sentry must fit an ESP32 (≤ 60 KB flash as INT8); the Judge is a mid-size server model.
    "sentry_tcn": (5_000, 30_000),
    "judge_resnet": (100_000, 500_000),
    # A head over a frozen 96-d speech embedding: the pretrained network does the hearing.
    "judge_embedding": (20_000, 300_000),
    # The classic baseline at width 16 (ResNet-18 at width 64 has 11 M).
    "resnet18": (300_000, 1_500_000),
    # micro_speech's tiny_conv: nearly all of it the dense layer over the 74 × 20 × 8 map.
    "tinyconv": (5_000, 30_000),
    "mobilenetv3": (100_000, 500_000),
    "conformer": (100_000, 600_000),
    # The tiny random encoder of the defaults (a real Judge names a pretrained checkpoint).
    "wav2vec2": (10_000, 100_000),
}
STREAMING_MODELS = [n for n in list_models() if MODELS.get(n).streaming]
MIN_SENTRY_RECEPTIVE_FIELD = 120
"""Frames (1.2 s): a sentry must hear a whole two-word phrase."""


def _model(name: str) -> WakeModel:
    torch.manual_seed(0)
    model = create_model(name, INPUT_DIM, window_frames=WINDOW_FRAMES)
    # Non-trivial BatchNorm statistics, so eval mode is not the identity and parity tests mean something.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
                assert m.running_mean is not None and m.running_var is not None
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return model.eval()


def _features(batch: int, frames: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(batch, frames, INPUT_DIM, generator=torch.Generator().manual_seed(seed))


def _metadata(model: WakeModel, name: str) -> ModelMetadata:
    streaming = bool(model.streaming)
    return ModelMetadata(
        model_id=name,
        role="sentry" if streaming else "judge",
        phrase="hey katya",
        features=FeatureConfig(),
        model=ModelConfig(name=name),
        streaming=streaming,
        stride=int(model.stride),
        window_frames=None if streaming else WINDOW_FRAMES,
        state_shapes=[list(s.shape) for s in model.initial_state(1)],
        detector=DetectorConfig(),
    )


@pytest.fixture(params=list_models())
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_zoo_is_not_empty() -> None:
    assert {"sentry_tcn", "judge_resnet"} <= set(list_models())


def test_output_shapes(name: str) -> None:
    model = _model(name)
    x = _features(BATCH, WINDOW_FRAMES)
    with torch.no_grad():
        logits = model(x)
    if isinstance(model, StreamingWakeModel):
        assert logits.shape == (BATCH, WINDOW_FRAMES // model.stride)
        # Leading frames beyond a multiple of the stride are dropped: the last step ends on the last frame.
        extra = WINDOW_FRAMES % model.stride
        with torch.no_grad():
            torch.testing.assert_close(logits, model(x[:, extra:]), rtol=0, atol=0)
    else:
        assert model.stride == 1
        assert logits.shape == (BATCH, 1)
    assert torch.isfinite(logits).all()


def test_gradients_reach_every_parameter(name: str) -> None:
    model = _model(name).train()
    x = _features(BATCH + 1, WINDOW_FRAMES)
    logits = model(x)
    target = (torch.arange(logits.numel()).reshape(logits.shape) % 2).float()
    F.binary_cross_entropy_with_logits(logits, target).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, f"{pname} got no gradient"
        assert p.grad.abs().sum() > 0, f"{pname} got an all-zero gradient"


def test_parameter_count_within_bounds(name: str) -> None:
    if name not in PARAMETER_BOUNDS:
        pytest.fail(f"add parameter bounds for {name!r} to PARAMETER_BOUNDS")
    low, high = PARAMETER_BOUNDS[name]
    assert low <= _model(name).num_parameters() <= high


def test_onnx_matches_torch(name: str, tmp_path: Path) -> None:
    model = _model(name)
    path = export_onnx(model, _metadata(model, name), tmp_path / f"{name}.onnx", verify=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    if isinstance(model, StreamingWakeModel):
        x = _features(1, model.stride * 40)
        feeds = {"features": x.numpy()} | {
            f"state_{i}": s.numpy() for i, s in enumerate(model.initial_state(1))
        }
    else:
        x = _features(BATCH, WINDOW_FRAMES)
        feeds = {"features": x.numpy()}
    with torch.no_grad():
        expected = torch.sigmoid(model(x)).numpy()
    scores = session.run(["scores"], feeds)[0]
    assert scores.shape == expected.shape
    np.testing.assert_allclose(scores, expected, atol=ONNX_ATOL, rtol=0)
    assert scores.min() > 0.0 and scores.max() < 1.0  # probabilities, not logits


@pytest.mark.parametrize("streaming_name", STREAMING_MODELS)
@pytest.mark.parametrize("chunk_steps", [[1], [7], [1, 5, 2, 13], [50]])
def test_streaming_equals_batch(streaming_name: str, chunk_steps: list[int]) -> None:
    model = _model(streaming_name)
    assert isinstance(model, StreamingWakeModel)
    steps = 50
    x = _features(2, steps * model.stride)
    with torch.no_grad():
        batch = model(x)
        state, outputs, start, i = model.initial_state(2), [], 0, 0
        while start < steps:
            n = min(chunk_steps[i % len(chunk_steps)], steps - start)
            chunk = x[:, start * model.stride : (start + n) * model.stride]
            out, state = model.forward_stream(chunk, state)
            outputs.append(out)
            start, i = start + n, i + 1
    torch.testing.assert_close(torch.cat(outputs, dim=1), batch, rtol=0, atol=STREAM_ATOL)


@pytest.mark.parametrize("streaming_name", STREAMING_MODELS)
def test_streaming_receptive_field_is_exact(streaming_name: str) -> None:
    """The earliest frame that moves a step's logit is exactly ``receptive_field`` frames back."""
    model = _model(streaming_name).double()
    assert isinstance(model, StreamingWakeModel)
    rf, stride = model.receptive_field, model.stride
    if streaming_name == "sentry_tcn":
        assert rf >= MIN_SENTRY_RECEPTIVE_FIELD
    frames = rf + 10 * stride
    x = _features(1, frames).double().requires_grad_(True)
    model(x)[0, -1].backward()
    assert x.grad is not None
    touched = torch.nonzero(x.grad[0].abs().sum(dim=1) > 0).flatten()
    assert int(touched.min()) == frames - rf
    assert int(touched.max()) == frames - 1


def test_unknown_parameter_names_the_accepted_ones() -> None:
    with pytest.raises(ConfigError, match=r"chanels.*Did you mean 'channels'.*accepts: channels=48"):
        create_model("sentry_tcn", INPUT_DIM, chanels=8)


def test_bad_values_and_names_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="kernel"):
        create_model("sentry_tcn", INPUT_DIM, kernel=1)
    with pytest.raises(ConfigError, match="dropout"):
        create_model("judge_resnet", INPUT_DIM, dropout=1.5)
    with pytest.raises(ConfigError, match="Did you mean 'sentry_tcn'"):
        create_model("sentry_tnc", INPUT_DIM)
    with pytest.raises(ConfigError, match="input_dim"):
        create_model("judge_resnet", 0)
    with pytest.raises(ConfigError, match="stem_stride"):
        create_model("judge_resnet", INPUT_DIM, stem_stride=3)


def test_a_fixed_window_model_gets_its_window_from_the_caller_and_refuses_another() -> None:
    with pytest.raises(ConfigError, match="one window length"):
        create_model("tinyconv", INPUT_DIM)
    with pytest.raises(ValueError, match=r"train\.clip_seconds"):
        ModelConfig(name="tinyconv", params={"window_frames": 10})
    assert "window_frames" not in model_defaults("tinyconv")
    model = create_model("tinyconv", INPUT_DIM, window_frames=100).eval()
    assert model(_features(2, 100)).shape == (2, 1)
    with pytest.raises(ValueError, match="100-frame windows, got 148"):
        model(_features(2, WINDOW_FRAMES))
    # Models with any window length ignore it.
    assert create_model("resnet18", INPUT_DIM, window_frames=100).eval()(_features(1, 70)).shape == (1, 1)


def test_the_edge_mobilenet_uses_no_hard_swish() -> None:
    """ESPHome's TFLite-Micro build has no HARD_SWISH kernel: ``activation: relu`` avoids it (and the
    hard-sigmoid gate); the paper's variant has both."""
    hard = (torch.nn.Hardswish, torch.nn.Hardsigmoid)
    edge = create_model("mobilenetv3", INPUT_DIM, activation="relu")
    paper = create_model("mobilenetv3", INPUT_DIM)
    assert not any(isinstance(m, hard) for m in edge.modules())
    assert any(isinstance(m, torch.nn.Hardswish) for m in paper.modules())
    assert edge.num_parameters() == paper.num_parameters()
    with pytest.raises(ConfigError, match="activation"):
        create_model("mobilenetv3", INPUT_DIM, activation="gelu")


def test_resnet18_is_resnet18_with_a_softmax_head() -> None:
    model = create_model("resnet18", INPUT_DIM).eval()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
    assert len(convs) + 1 == 18  # 17 3×3 convolutions and the linear layer (shortcuts are 1×1)
    x = _features(2, WINDOW_FRAMES)
    with torch.no_grad():
        z = model.class_logits(x)
        assert z.shape == (2, 1, 2)
        # The zoo's one logit is the softmax's p(wake) in sigmoid form.
        torch.testing.assert_close(torch.sigmoid(model(x)), torch.softmax(z, -1)[..., 1])


def test_params_change_the_architecture() -> None:
    defaults = {"channels": 48, "blocks": 4, "kernel": 5, "stride": 3, "reset": "zeros"}
    assert model_defaults("sentry_tcn") == defaults
    small = create_model("sentry_tcn", INPUT_DIM, channels=16, blocks=2)
    assert isinstance(small, StreamingWakeModel)
    assert len(small.initial_state(1)) == 2
    assert [tuple(s.shape) for s in small.initial_state(1)] == [(1, 16, 4), (1, 16, 8)]
    assert small.num_parameters() < _model("sentry_tcn").num_parameters()


def _conv_macs(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates of every Conv2d for one forward pass of ``x``."""
    total = 0

    def count(module: torch.nn.Module, _: object, out: torch.Tensor) -> None:
        nonlocal total
        assert isinstance(module, torch.nn.Conv2d)
        k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
        total += out.numel() * k

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    model(x)
    for h in hooks:
        h.remove()
    return total


def test_judge_stem_stride_quarters_the_compute_with_the_same_weights() -> None:
    """``stem_stride=2`` is the same network on a half-resolution image: same parameters, ~¼ the work."""
    plain, strided = (
        create_model("judge_resnet", INPUT_DIM),
        create_model("judge_resnet", INPUT_DIM, stem_stride=2),
    )
    assert plain.num_parameters() == strided.num_parameters()
    x = _features(1, WINDOW_FRAMES)
    ratio = _conv_macs(strided.eval(), x) / _conv_macs(plain.eval(), x)
    assert 0.2 < ratio < 0.3
    assert strided.receptive_field > plain.receptive_field
    assert strided.eval()(_features(2, 200)).shape == (2, 1)
