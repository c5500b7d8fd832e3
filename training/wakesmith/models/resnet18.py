"""``resnet18``: the classic baseline — ResNet-18 with a two-class softmax head, on a log-mel window.

The window ``[B, T, D]`` is a one-channel image. The topology is ResNet-18's (He et al. 2016): a 3×3
stem (stride 1: a 40-band spectrogram is already small), four stages of two basic blocks whose widths
double (``width``, 2×, 4×, 8×) while time and frequency halve from the second stage on, global average
pooling, and a linear layer with **two outputs** (not-wake, wake), trained with cross-entropy
(``loss.loss_function: cross_entropy``).

The zoo's contract is one logit per window; the two classes give it exactly: softmax's ``p(wake)`` is
``sigmoid(z_wake − z_other)``, so :meth:`forward` returns that difference and every runtime, exporter and
calibration works unchanged. :meth:`class_logits` exposes the two outputs to the loss.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.models.base import WakeModel, register_model
from wakesmith.models.layers import ResidualBlock2d

STAGES = 4
BLOCKS_PER_STAGE = 2
"""ResNet-18: 4 stages × 2 basic blocks (+ stem and head = 18 weighted layers)."""
KERNEL = 3


@register_model("resnet18")
class ResNet18(WakeModel):
    """Window classifier: ``[B, T, D] -> [B, 1]`` (the wake-vs-rest logit of a 2-class head); any T."""

    classes = 2

    def __init__(self, input_dim: int, width: int = 16, dropout: float = 0.1) -> None:
        super().__init__(input_dim)
        if width < 1:
            raise ConfigError(f"resnet18: width must be at least 1 (got {width}).")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"resnet18: dropout must be in [0, 1) (got {dropout}).")
        self.stem = nn.Conv2d(1, width, KERNEL, padding=KERNEL // 2, bias=False)
        self.stem_norm = nn.BatchNorm2d(width)
        blocks: list[nn.Module] = []
        channels = width
        for stage in range(STAGES):
            out = width * 2**stage
            for b in range(BLOCKS_PER_STAGE):
                stride = 2 if stage > 0 and b == 0 else 1
                blocks.append(ResidualBlock2d(channels, out, stride))
                channels = out
        self.blocks = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels, self.classes)

    @property
    def receptive_field(self) -> int:
        """Frames seen by one position before pooling (the pooled logit sees the whole window)."""
        field, jump = KERNEL, 1
        for stage in range(STAGES):
            for b in range(BLOCKS_PER_STAGE):
                field += (KERNEL - 1) * jump  # conv1 (strided in a stage's first block)
                if stage > 0 and b == 0:
                    jump *= 2
                field += (KERNEL - 1) * jump  # conv2
        return field

    def embed(self, x: Tensor) -> Tensor:
        self._check_input(x)
        h = F.relu(self.stem_norm(self.stem(x.unsqueeze(1))))
        return self.blocks(h).mean(dim=(2, 3))

    def class_logits(self, x: Tensor) -> Tensor:
        """``[B, 1, 2]``: the (not-wake, wake) logits of the softmax head, one step per window."""
        return self.head(self.dropout(self.embed(x))).unsqueeze(1)

    def forward(self, x: Tensor) -> Tensor:
        z = self.class_logits(x)
        return z[..., 1] - z[..., 0]
