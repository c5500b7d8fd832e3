"""QAT (eager torch.ao): fusion keeps the parameters, the float warm-up is the float model, fake
quantization changes outputs, strip_qat gives back the plain architecture; a QAT training run saves a
plain artifact that exports to ESPHome."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from wakesmith import api
from wakesmith.config import Recipe, load_recipe
from wakesmith.errors import ConfigError
from wakesmith.home import Home
from wakesmith.models import create_model
from wakesmith.models.sentry import SentryTCN
from wakesmith.runtime.backends import TorchBackend
from wakesmith.runtime.pymicro import MicroWakeWordScorer
from wakesmith.runtime.scorers import make_scorer
from wakesmith.train.qat import prepare_qat, set_fake_quant, strip_qat

FLOAT_ATOL = 1e-5
PARITY_MAD = 0.02


def _trained_like(seed: int = 0) -> SentryTCN:
    torch.manual_seed(seed)
    model = create_model("sentry_tcn", 40, channels=16, blocks=3)
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.rand(8, 120, 40) * 26)
    assert isinstance(model, SentryTCN)
    return model.eval()


def test_qat_is_off_by_default() -> None:
    recipe = Recipe()
    assert recipe.qat.enabled is False and recipe.size_target.max_flash_kb is None
    with pytest.raises(ConfigError, match="start_epoch"):
        load_recipe(None, ["qat.start_epoch=-1"])


def test_prepare_keeps_parameters_and_the_warm_up_is_the_float_model() -> None:
    model = _trained_like()
    x = torch.rand(2, 150, 40) * 26
    with torch.no_grad():
        reference = model(x)
    params = {id(p) for p in model.parameters()}
    prepare_qat(model)
    assert {id(p) for p in model.parameters()} == params  # the optimizer keeps training the same tensors
    # Conv+BN+ReLU fused (the ReLU modules become identities), as TFLite fuses the activation.
    assert type(model.stem).__name__ == "ConvBnReLU1d"
    assert type(model.blocks[0].pointwise).__name__ == "ConvBnReLU1d"
    assert type(model.blocks[0].act).__name__ == "Identity"
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(model(x).numpy(), reference.numpy(), atol=FLOAT_ATOL)

    set_fake_quant(model, enabled=True)
    model.train()
    with torch.no_grad():
        model(x)  # observers see the ranges (BatchNorm stats move too, as in real training)
    model.eval()
    with torch.no_grad():
        quantized = model(x)
    set_fake_quant(model, enabled=False)
    with torch.no_grad():
        float_after = model(x)
        plain = strip_qat(model)
        assert type(plain) is SentryTCN and not hasattr(plain, "qconfig")
        np.testing.assert_allclose(plain(x).numpy(), float_after.numpy(), atol=FLOAT_ATOL)
    assert float((quantized - float_after).abs().max()) > 1e-4  # fake quantization really acts
    # The conv's output is quantized after its ReLU: the int8 range covers only [0, max].
    assert float(model.stem.activation_post_process.activation_post_process.min_val) >= 0.0
    assert float(model.blocks[0].pointwise.activation_post_process.activation_post_process.min_val) >= 0.0
    assert set(plain.state_dict()) == set(_trained_like().state_dict())


@pytest.mark.filterwarnings("ignore:Please use quant_min and quant_max")  # torch's fbgemm/x86 configs
@pytest.mark.parametrize("backend", ["fbgemm", "x86", "qnnpack"])
def test_the_backend_picks_torchs_scheme_for_that_engine(backend: str) -> None:
    """``qat.backend``: torch's QAT configuration for fbgemm / x86 / qnnpack instead of TFLite's."""
    import torch.ao.quantization as tq

    x = torch.rand(2, 150, 40) * 26
    outputs = {}
    for name in ("eager", backend):
        model = _trained_like()
        prepare_qat(model, name)
        want = tq.get_default_qat_qconfig(backend) if name == backend else None
        if want is not None:
            assert model.stem.weight_fake_quant.qscheme == want.weight().qscheme
            assert model.stem.activation_post_process.quant_max == want.activation().quant_max
        set_fake_quant(model, enabled=True)
        model.train()
        with torch.no_grad():
            model(x)
        model.eval()
        with torch.no_grad():
            outputs[name] = model(x)
    assert not torch.allclose(outputs["eager"], outputs[backend])
    assert load_recipe(None, [f"qat.backend={backend}"]).qat.backend == backend


def test_qat_refuses_other_models() -> None:
    judge = create_model("judge_resnet", 40)
    with pytest.raises(ConfigError, match="sentry_tcn"):
        prepare_qat(judge)


@pytest.mark.slow
def test_a_qat_run_saves_a_plain_artifact_that_exports_to_esphome(edge_home: Home) -> None:
    overrides = [
        "train.epochs=2",
        "train.samples_per_epoch=96",
        "train.batch_size=32",
        "train.num_workers=0",
        "qat.enabled=true",
        "qat.start_epoch=1",
    ]
    summary = api.train("tiny", overrides=overrides, home=edge_home)
    backend = TorchBackend.load(summary.artifact.path)  # plain state_dict: loads into a fresh SentryTCN
    assert not hasattr(backend.graph.model, "qconfig")
    manifest = api.export(summary.artifact.path, "esphome", home=edge_home, calibrate=False)
    assert json.loads(manifest.read_text())["version"] == 2
    scorer = MicroWakeWordScorer(manifest.with_suffix(".tflite"))
    audio = np.random.default_rng(0).normal(0, 0.05, 32000).astype(np.float32)
    got, want = scorer.score(audio), make_scorer(backend).score(audio)  # the same time grid
    assert got.shape == want.shape
    assert float(np.abs(got - want).mean()) < PARITY_MAD
