"""``sentry_tcn`` ``reset: silence``: a zero state means "heard silence" (torch, ONNX, the saved
model); ``reset: zeros`` (the default) is the plain model. TFLite and INT8: tests/edge/test_reset_state.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from wakesmith.errors import ConfigError
from wakesmith.models import create_model
from wakesmith.models.sentry import SentryTCN

DIM = 40


def _model(reset: str, seed: int = 0) -> SentryTCN:
    torch.manual_seed(seed)
    model = create_model("sentry_tcn", DIM, channels=16, blocks=3, reset=reset)
    assert isinstance(model, SentryTCN)
    model.train()
    with torch.no_grad():  # non-trivial BatchNorm statistics
        for _ in range(5):
            model(torch.rand(8, 120, DIM) * 26)
    return model.eval()


def _stream(model: SentryTCN, x: torch.Tensor, state: list[torch.Tensor]) -> tuple[torch.Tensor, list]:
    with torch.no_grad():
        return model.forward_stream(x, state)


def test_zeros_is_the_plain_model_and_silence_only_adds_the_settled_offsets() -> None:
    plain, silence = _model("zeros"), _model("silence")
    assert plain.reset_states() is None and not any("reset_state" in k for k in plain.state_dict())
    x = torch.rand(2, 90, DIM) * 20
    with torch.no_grad():
        torch.testing.assert_close(plain(x), silence(x))  # unsettled offsets are zeros: same model
    silence.settle_reset(torch.zeros(DIM))
    with torch.no_grad():
        assert not torch.allclose(plain(x), silence(x))
    with pytest.raises(ConfigError, match="reset must be one of"):
        create_model("sentry_tcn", DIM, reset="noise")


def test_after_settling_a_reset_stream_is_one_that_has_heard_silence() -> None:
    model = _model("silence")
    silence = torch.full((DIM,), 0.5)  # any front end's silence frame
    model.settle_reset(silence)
    steps = 1 + sum(b.context for b in model._blocks())
    quiet = silence.expand(1, steps * model.stride, DIM).contiguous()
    speech = torch.rand(1, 60, DIM) * 20
    # Silence keeps the zero state where it is: it is the fixed point.
    _, state = _stream(model, quiet, model.initial_state(1))
    assert max(float(s.abs().max()) for s in state) < 1e-5
    # From a reset, the model answers as it does after a long silence from literally zero buffers.
    fresh, _ = _stream(model, speech, model.initial_state(1))
    zero_buffers = [-r for r in model.reset_states()]  # external -r is an actual all-zero buffer
    warmed, _ = _stream(model, torch.cat([quiet, quiet, speech], 1), zero_buffers)
    torch.testing.assert_close(fresh, warmed[:, -fresh.shape[1] :], atol=1e-5, rtol=0)
    # ...and not as it would from literally zero buffers.
    cold, _ = _stream(model, speech, zero_buffers)
    assert float((fresh - cold).abs().max()) > 1e-2


def test_the_settled_reset_travels_in_the_weights_and_the_onnx_file(tmp_path: Path) -> None:
    from wakesmith.config import DetectorConfig, FeatureConfig, ModelConfig
    from wakesmith.export import export_onnx
    from wakesmith.metadata import ModelMetadata

    model = _model("silence")
    model.settle_reset(torch.zeros(DIM))
    reloaded = create_model("sentry_tcn", DIM, channels=16, blocks=3, reset="silence")
    reloaded.load_state_dict(model.state_dict())
    for a, b in zip(model.reset_states(), reloaded.eval().reset_states(), strict=True):
        torch.testing.assert_close(a, b)

    meta = ModelMetadata(
        model_id="hey-test-sentry",
        role="sentry",
        phrase="hey test",
        features=FeatureConfig(name="micro"),
        model=ModelConfig(name="sentry_tcn", params={"channels": 16, "blocks": 3, "reset": "silence"}),
        streaming=True,
        stride=3,
        state_shapes=[list(s.shape) for s in model.initial_state(1)],
        detector=DetectorConfig(),
    )
    path = export_onnx(model, meta, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.rand(1, 90, DIM) * 20
    zeros = {f"state_{i}": s.numpy() for i, s in enumerate(model.initial_state(1))}
    got = session.run(None, {"features": x.numpy()} | zeros)[0][0]
    with torch.no_grad():
        want = torch.sigmoid(model(x))[0].numpy()
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


@pytest.mark.slow
def test_training_settles_the_reset_and_the_artifact_runs_from_it(home_copy) -> None:  # type: ignore[no-untyped-def]
    from wakesmith import api
    from wakesmith.runtime import OnnxBackend, TorchBackend, make_scorer

    summary = api.train("tiny", overrides=["model.params.reset=silence"], home=home_copy)
    saved = torch.load(summary.artifact.weights_path, weights_only=True)["state_dict"]
    resets = [v for k, v in saved.items() if k.startswith("reset_state_")]
    assert resets and any(float(r.abs().max()) > 0 for r in resets)
    audio = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.05
    torch_scores = make_scorer(TorchBackend.load(summary.artifact.path)).score(audio)
    onnx_scores = make_scorer(OnnxBackend.load(summary.artifact.onnx_path)).score(audio)
    np.testing.assert_allclose(onnx_scores, torch_scores, atol=1e-4, rtol=0)
