"""``mobilenetv3``: MobileNetV3-Small (Howard et al. 2019) on a log-mel window, with an edge variant.

The window ``[B, T, D]`` is a one-channel image: a strided 3×3 stem, inverted-residual blocks
(1×1 expansion → depthwise k×k → optional squeeze-and-excitation → 1×1 projection, a residual when the
shape allows), a 1×1 head convolution, global average pooling and a linear layer → one logit.

``activation: hardswish`` is the paper's network (ReLU in the first blocks, hard-swish and
hard-sigmoid gates later). ``activation: relu`` is the **edge** variant: ReLU everywhere and a
logistic gate in squeeze-and-excitation, ops that TFLite-Micro's ESPHome build registers (it has no
HARD_SWISH kernel). ``width`` scales every channel count (rounded to multiples of 8).
"""

from __future__ import annotations

from typing import NamedTuple

import torch.nn.functional as F
from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.models.base import WakeModel, register_model

ACTIVATIONS = ("hardswish", "relu")


class Bneck(NamedTuple):
    kernel: int
    expand: int
    out: int
    se: bool
    late: bool
    """A late block: hard-swish in the paper's variant (early blocks use ReLU in both)."""
    stride: int


SMALL = (
    # MobileNetV3-Small's first eight bottlenecks (the last three, at 1/32 of the input, are dropped:
    # a 40-band spectrogram has a single band left by then).
    Bneck(3, 16, 16, True, False, 2),
    Bneck(3, 72, 24, False, False, 2),
    Bneck(3, 88, 24, False, False, 1),
    Bneck(5, 96, 40, True, True, 2),
    Bneck(5, 240, 40, True, True, 1),
    Bneck(5, 240, 40, True, True, 1),
    Bneck(5, 120, 48, True, True, 1),
    Bneck(5, 144, 48, True, True, 1),
)
STEM_CHANNELS = 16
HEAD_CHANNELS = 288


def _scaled(channels: int, width: float) -> int:
    return max(8, round(channels * width / 8) * 8)


def _act(name: str, late: bool) -> nn.Module:
    return nn.Hardswish() if late and name == "hardswish" else nn.ReLU()


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, gate: str) -> None:
        super().__init__()
        hidden = _scaled(channels // 4, 1.0)
        self.reduce = nn.Conv2d(channels, hidden, 1)
        self.expand = nn.Conv2d(hidden, channels, 1)
        self.gate: nn.Module = nn.Hardsigmoid() if gate == "hardswish" else nn.Sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        s = F.relu(self.reduce(x.mean(dim=(2, 3), keepdim=True)))
        return x * self.gate(self.expand(s))


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, spec: Bneck, width: float, activation: str) -> None:
        super().__init__()
        mid, out = _scaled(spec.expand, width), _scaled(spec.out, width)
        layers: list[nn.Module] = []
        if mid != cin:
            layers += [nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), _act(activation, spec.late)]
        layers += [
            nn.Conv2d(mid, mid, spec.kernel, spec.stride, spec.kernel // 2, groups=mid, bias=False),
            nn.BatchNorm2d(mid),
            _act(activation, spec.late),
        ]
        if spec.se:
            layers.append(SqueezeExcite(mid, activation))
        layers += [nn.Conv2d(mid, out, 1, bias=False), nn.BatchNorm2d(out)]
        self.body = nn.Sequential(*layers)
        self.residual = spec.stride == 1 and cin == out
        self.out_channels = out

    def forward(self, x: Tensor) -> Tensor:
        y = self.body(x)
        return x + y if self.residual else y


@register_model("mobilenetv3")
class MobileNetV3(WakeModel):
    """Window classifier: ``[B, T, D] -> [B, 1]``; any T (global pooling)."""

    def __init__(
        self, input_dim: int, width: float = 1.0, activation: str = "hardswish", dropout: float = 0.2
    ) -> None:
        super().__init__(input_dim)
        if activation not in ACTIVATIONS:
            raise ConfigError(f"mobilenetv3: activation must be one of {ACTIVATIONS} (got {activation!r}).")
        if not 0.1 <= width <= 4.0:
            raise ConfigError(f"mobilenetv3: width must be in [0.1, 4] (got {width}).")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"mobilenetv3: dropout must be in [0, 1) (got {dropout}).")
        stem = _scaled(STEM_CHANNELS, width)
        self.stem = nn.Sequential(
            nn.Conv2d(1, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem), _act(activation, True)
        )
        blocks, cin = [], stem
        for spec in SMALL:
            block = InvertedResidual(cin, spec, width, activation)
            blocks.append(block)
            cin = block.out_channels
        self.blocks = nn.Sequential(*blocks)
        head = _scaled(HEAD_CHANNELS, width)
        self.head_conv = nn.Sequential(
            nn.Conv2d(cin, head, 1, bias=False), nn.BatchNorm2d(head), _act(activation, True)
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(head, 1)
        self._strides = [2] + [s.stride for s in SMALL]
        self._kernels = [3] + [s.kernel for s in SMALL]

    @property
    def receptive_field(self) -> int:
        """Frames seen by one position before pooling (the pooled logit sees the whole window)."""
        field, jump = 1, 1
        for k, s in zip(self._kernels, self._strides, strict=True):
            field += (k - 1) * jump
            jump *= s
        return field

    def embed(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return self.head_conv(self.blocks(self.stem(x.unsqueeze(1)))).mean(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.dropout(self.embed(x)))
