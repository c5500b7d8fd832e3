"""Quantization-aware training (QAT) of ``sentry_tcn`` with torch's eager ``torch.ao.quantization``.

Why eager and not torchao's PT2E flow: PT2E needs ``torch.export`` of the training graph with a fixed
batch size (a last partial batch or another validation batch size fails a shape guard), the
streaming model threads a list of state tensors through its forward, and
torchao is not a dependency here. The eager API (deprecated in name but working in torch 2.13) swaps
modules in place and keeps every ``Parameter`` object, so the optimizer and Lightning checkpoints keep
working, and it needs no graph capture.

What it does, matching what TFLite does to the ESPHome model:

- fuse Conv+BatchNorm+ReLU (the stem and every pointwise conv, whose ReLU is a module for this) and
  swap every conv for its QAT version: weights fake-quantized int8 symmetric per output channel, each
  conv's output fake-quantized int8 per tensor *after* its ReLU, as TFLite quantizes a conv with a
  fused activation (the int8 range then covers [0, max], not the pre-activation's negatives too);
- ``qat.backend`` picks the scheme: ``eager`` (the default) is TFLite's, the one the ESPHome file
  is quantized with; ``fbgemm``, ``x86`` and ``qnnpack`` are torch's own QAT configurations for those
  engines (7-bit activations on fbgemm/x86, per-tensor weights on qnnpack), for comparison only:
  what ships is still converted by TFLite;
- a float warm-up: fake quantization and observers stay off until ``qat.start_epoch``
  (:class:`QatCallback`), so the module structure, and so the checkpoints, never change mid-run;
- after training, :func:`strip_qat` gives back a plain ``SentryTCN`` with the learnt weights; the TFLite
  converter then quantizes exactly those weights (the same per-channel scheme).
"""

from __future__ import annotations

import copy
import logging
import warnings

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn
from torch.ao import quantization as tq
from torch.ao.nn import qat as nnqat

from wakesmith.errors import ConfigError
from wakesmith.models.base import WakeModel
from wakesmith.models.sentry import SentryTCN

log = logging.getLogger(__name__)

INT8_MIN, INT8_MAX = -128, 127


def qat_qconfig(backend: str = "eager") -> tq.QConfig:
    """``eager``: int8 activations per tensor (affine), int8 weights per channel (symmetric), TFLite's
    scheme; ``fbgemm`` / ``x86`` / ``qnnpack``: torch's default QAT configuration for that engine."""
    if backend != "eager":
        return tq.get_default_qat_qconfig(backend)
    activation = tq.FakeQuantize.with_args(
        observer=tq.MovingAverageMinMaxObserver,
        quant_min=INT8_MIN,
        quant_max=INT8_MAX,
        dtype=torch.qint8,
        qscheme=torch.per_tensor_affine,
    )
    return tq.QConfig(activation=activation, weight=tq.default_per_channel_weight_fake_quant)


def _fusion_groups(model: SentryTCN) -> list[list[str]]:
    groups = [["stem", "stem_norm", "stem_act"]]
    groups += [
        [f"blocks.{i}.pointwise", f"blocks.{i}.norm", f"blocks.{i}.act"] for i in range(len(model.blocks))
    ]
    return groups


def prepare_qat(model: WakeModel, backend: str = "eager") -> WakeModel:
    """Fuse and swap ``model``'s modules for QAT, in place (fake quantization starts disabled)."""
    if not isinstance(model, SentryTCN):
        raise ConfigError(
            f"qat.enabled supports the sentry_tcn model only, not {type(model).__name__}; "
            "set qat.enabled=false."
        )
    model.train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notice, once per call
        tq.fuse_modules_qat(model, _fusion_groups(model), inplace=True)
        model.qconfig = qat_qconfig(backend)  # type: ignore[assignment]
        mapping = tq.get_default_qat_module_mappings() | {nn.Conv1d: nnqat.Conv1d}
        tq.prepare_qat(model, mapping=mapping, inplace=True)
    set_fake_quant(model, enabled=False)
    return model


def set_fake_quant(model: nn.Module, *, enabled: bool) -> None:
    """Turn fake quantization and range observation on (QAT) or off (float warm-up)."""
    if enabled:
        model.apply(tq.enable_fake_quant)
        model.apply(tq.enable_observer)
    else:
        model.apply(tq.disable_fake_quant)
        model.apply(tq.disable_observer)


def _plain_conv(module: nn.Module) -> tuple[torch.Tensor, nn.BatchNorm1d | None]:
    """Weight (and BatchNorm, for a fused Conv+BN) of a QAT conv module."""
    bn = getattr(module, "bn", None)
    weight: torch.Tensor = getattr(module, "weight")  # noqa: B009  (a Parameter, typed for mypy)
    return weight.detach().clone(), copy.deepcopy(bn) if isinstance(bn, nn.BatchNorm1d) else None


def strip_qat(model: WakeModel) -> WakeModel:
    """A plain ``SentryTCN`` with the QAT model's learnt weights and BatchNorm statistics."""
    if not isinstance(model, SentryTCN) or not hasattr(model, "qconfig"):
        return model
    plain = SentryTCN(
        model.input_dim,
        channels=model.stem.weight.shape[0],
        blocks=len(model.blocks),
        kernel=model._blocks()[0].depthwise.conv.weight.shape[-1],
        stride=model.stride,
        reset=model.reset,  # its offsets are zeros until fit settles them, after this
    )
    state = plain.state_dict()
    weight, bn = _plain_conv(model.stem)
    state["stem.weight"] = weight
    assert bn is not None
    state |= {f"stem_norm.{k}": v for k, v in bn.state_dict().items()}
    for i, block in enumerate(model._blocks()):
        state[f"blocks.{i}.depthwise.conv.weight"] = block.depthwise.conv.weight.detach().clone()
        weight, bn = _plain_conv(block.pointwise)
        assert bn is not None
        state[f"blocks.{i}.pointwise.weight"] = weight
        state |= {f"blocks.{i}.norm.{k}": v for k, v in bn.state_dict().items()}
    state["head.weight"] = model.head.weight.detach().clone()
    bias = model.head.bias
    assert bias is not None  # sentry_tcn's head conv has a bias
    state["head.bias"] = bias.detach().clone()
    plain.load_state_dict(state)
    return plain.eval()


class QatCallback(Callback):
    """Prepares the task's model for QAT before any checkpoint is restored; turns fake quantization on
    from epoch ``start_epoch`` (float warm-up before), deterministically from the epoch number."""

    def __init__(self, start_epoch: int, backend: str = "eager") -> None:
        self.start_epoch = start_epoch
        self.backend = backend

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        model = getattr(pl_module, "model", None)
        if not isinstance(model, WakeModel):
            raise ConfigError("QAT needs the task's model at pl_module.model.")
        if not hasattr(model, "qconfig"):
            prepare_qat(model, self.backend)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        on = trainer.current_epoch >= self.start_epoch
        model = pl_module.model
        assert isinstance(model, nn.Module)
        set_fake_quant(model, enabled=on)
        if trainer.current_epoch == self.start_epoch:
            log.info("QAT: fake quantization on from epoch %d", self.start_epoch)
