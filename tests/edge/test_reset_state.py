"""``sentry_tcn`` with ``reset: silence``: the zero state means "heard silence", in torch, ONNX, the
TFLite graph and the INT8 ESPHome file alike (tests/models/test_reset_state.py covers torch alone)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from wakesmith.export.esphome import convert_checked
from wakesmith.quantize.tf_sentry import make_streaming_module, sentry_weights
from wakesmith.runtime import TfliteBackend, make_scorer
from wakesmith.runtime.pymicro import MicroWakeWordScorer

FLOAT_ATOL = 1e-4
INT8_MAD = 0.02


@pytest.fixture(scope="module")
def silence_sentry():  # type: ignore[no-untyped-def]
    """An untrained sentry with non-trivial BatchNorm statistics, its reset settled on silence."""
    from wakesmith.models import create_model

    torch.manual_seed(1)
    model = create_model("sentry_tcn", 40, channels=16, blocks=3, reset="silence")
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.rand(8, 120, 40) * 26)
    model.settle_reset(torch.zeros(40))
    assert any(float(r.abs().max()) > 0.1 for r in model.reset_states())  # the silence state is not zeros
    return model.eval()


def _torch_probs(model, features: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    with torch.no_grad():
        logits, _ = model.forward_stream(torch.from_numpy(features)[None], model.initial_state(1))
    return torch.sigmoid(logits)[0].numpy()


def test_the_tf_graph_starts_where_torch_does(silence_sentry, feature_stream) -> None:  # type: ignore[no-untyped-def]
    module = make_streaming_module(sentry_weights(silence_sentry))
    x = feature_stream[0][:240]
    got = np.array([float(module.serve(x[i : i + 3][None]).numpy()[0, 0]) for i in range(0, len(x), 3)])
    np.testing.assert_allclose(got, _torch_probs(silence_sentry, x), atol=FLOAT_ATOL)


def test_the_int8_file_resets_to_the_silence_state_in_pymicro_wakeword(
    silence_sentry, feature_stream, sentry_metadata, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The ESPHome file, run by ESPHome's runtime from a fresh model object (and after a reset),
    follows the torch model from its silence reset within the INT8 tolerance; from a zero reset it
    would not."""
    from wakesmith.config import ModelConfig

    params = {"channels": 16, "blocks": 3, "reset": "silence"}
    meta = sentry_metadata.model_copy(update={"model": ModelConfig(name="sentry_tcn", params=params)})
    path = tmp_path / "m.tflite"
    path.write_bytes(convert_checked(silence_sentry, meta, feature_stream, None, None).data)
    rng = np.random.default_rng(3)
    audio = (rng.standard_normal(16000) * 0.05).astype(np.float32)  # 1 s of noise right after the reset
    reference = make_scorer(_torch_backend(silence_sentry, meta))
    want = reference.score(audio)
    zero_reset = _zero_reset_probs(silence_sentry, reference, audio)
    for scorer in (MicroWakeWordScorer(path), make_scorer(TfliteBackend.load(path))):
        got = scorer.score(audio)
        assert float(np.abs(got - want).mean()) < INT8_MAD
        start = slice(0, 10)  # the steps whose receptive field still reaches back before the reset
        to_silence = float(np.abs(got[start] - want[start]).mean())
        to_zeros = float(np.abs(got[start] - zero_reset[start]).mean())
        assert to_zeros > 2 * to_silence, (to_zeros, to_silence)
        scorer.push(audio)
        scorer.reset()
        np.testing.assert_allclose(scorer.score(audio), got, atol=1e-6)  # a reset is the same start


def _torch_backend(model, meta):  # type: ignore[no-untyped-def]
    from wakesmith.runtime import TorchBackend

    return TorchBackend(model, meta)


def _zero_reset_probs(model, reference, audio: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The same stream started from literally zero ring buffers (the state ``reset: zeros`` means)."""
    feats = reference.frontend(audio)
    usable = len(feats) - len(feats) % model.stride
    actual = [-r for r in model.reset_states()]  # external state -r is actual state 0
    with torch.no_grad():
        logits, _ = model.forward_stream(torch.from_numpy(feats[:usable])[None], actual)
    return torch.sigmoid(logits)[0].numpy()
