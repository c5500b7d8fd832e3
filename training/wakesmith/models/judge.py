"""``judge_resnet``: the Judge, a ResNet-style 2-D CNN that classifies a 1.5–2 s log-mel window.

The window ``[B, T, D]`` is treated as a one-channel image: a 3×3 stem (``stem_stride`` 2 halves time and
frequency before the first block: a quarter of the compute for every block, so a CPU trains four times as
many steps in the same time), ``blocks`` residual blocks that each halve time and frequency and double
the channels, global average pooling and a linear layer → one logit per window. It is not streaming:
the runtime slides it over the audio every hop.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.models.base import WakeModel, register_model
from wakesmith.models.layers import ResidualBlock2d

KERNEL = 3
DOWNSAMPLE = 2
"""Each block halves time and frequency (and doubles the channels), keeping the cost per block similar."""


@register_model("judge_resnet")
class JudgeResNet(WakeModel):
    """Window classifier: ``[B, T, D] -> [B, 1]``. Any T works (global pooling); train and run on one."""

    def __init__(
        self, input_dim: int, channels: int = 32, blocks: int = 3, dropout: float = 0.1, stem_stride: int = 1
    ) -> None:
        super().__init__(input_dim)
        if channels < 1 or blocks < 1:
            raise ConfigError(
                f"judge_resnet: channels and blocks must be at least 1 (got {channels}, {blocks})."
            )
        if stem_stride not in (1, 2):
            raise ConfigError(f"judge_resnet: stem_stride must be 1 or 2 (got {stem_stride}).")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"judge_resnet: dropout must be in [0, 1) (got {dropout}).")
        self.stem = nn.Conv2d(1, channels, KERNEL, stride=stem_stride, padding=KERNEL // 2, bias=False)
        self.stem_norm = nn.BatchNorm2d(channels)
        widths = [channels * DOWNSAMPLE**i for i in range(blocks + 1)]
        self.blocks = nn.Sequential(
            *(ResidualBlock2d(widths[max(i - 1, 0)], widths[i], DOWNSAMPLE) for i in range(blocks))
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(widths[blocks - 1], 1)
        self._blocks = blocks
        self._stem_stride = stem_stride

    @property
    def receptive_field(self) -> int:
        """Frames seen by one position before pooling (the pooled logit sees the whole window)."""
        field, jump = KERNEL, self._stem_stride  # the stem
        for _ in range(self._blocks):
            field += (KERNEL - 1) * jump  # conv1 (strided)
            jump *= DOWNSAMPLE
            field += (KERNEL - 1) * jump  # conv2, at the coarser resolution
        return field

    def embed(self, x: Tensor) -> Tensor:
        self._check_input(x)
        h = F.relu(self.stem_norm(self.stem(x.unsqueeze(1))))
        return self.blocks(h).mean(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.dropout(self.embed(x)))
