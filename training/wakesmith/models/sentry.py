"""``sentry_tcn``: the tiny streaming sentry for the ESP32 (microWakeWord MixedNet style).

On the ``micro`` front end (40 features every 10 ms): a strided stem conv (kernel = stride = 3 frames,
so one output step every 30 ms, matching ESPHome feeding ``[1, 3, 40]`` per inference), then blocks of
causal depthwise temporal convs with growing dilation (1, 2, 4, 8 …), each followed by a pointwise
conv, BatchNorm and ReLU with a residual, then a pointwise head: one logit per step.

Only ops that TFLite-Micro runs: Conv / DepthwiseConv (1-D as 2-D), foldable BatchNorm, ReLU, Add,
concat and slice for the ring buffers. With the defaults the receptive field is 183 frames (1.83 s)
and the model has about 17k parameters.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.models.base import StreamingWakeModel, register_model
from wakesmith.models.layers import DepthwiseSeparableBlock

DEFAULT_STRIDE = 3
"""Frames per output step: 3 × 10 ms = 30 ms, as in microWakeWord."""


@register_model("sentry_tcn")
class SentryTCN(StreamingWakeModel):
    """Causal temporal conv net; state = the left context of every dilated depthwise conv."""

    def __init__(
        self,
        input_dim: int,
        channels: int = 48,
        blocks: int = 4,
        kernel: int = 5,
        stride: int = DEFAULT_STRIDE,
    ) -> None:
        super().__init__(input_dim)
        for key, value in {
            "channels": channels,
            "blocks": blocks,
            "kernel": kernel,
            "stride": stride,
        }.items():
            if value < 1:
                raise ConfigError(f"sentry_tcn: {key} must be at least 1 (got {value}).")
        self._stride = int(stride)
        # kernel == stride: each step sees exactly its own frames, so the stem needs no state.
        self.stem = nn.Conv1d(input_dim, channels, kernel_size=stride, stride=stride, bias=False)
        self.stem_norm = nn.BatchNorm1d(channels)
        self.blocks = nn.ModuleList(
            DepthwiseSeparableBlock(channels, kernel, dilation=2**i) for i in range(blocks)
        )
        self.head = nn.Conv1d(channels, 1, 1)
        self._state_shapes = [(channels, block.context) for block in self._blocks()]

    @property
    def stride(self) -> int:
        return self._stride

    @property
    def receptive_field(self) -> int:
        steps = 1 + sum(block.context for block in self._blocks())
        return steps * self._stride

    def _blocks(self) -> list[DepthwiseSeparableBlock]:
        return [b for b in self.blocks if isinstance(b, DepthwiseSeparableBlock)]

    def initial_state(self, batch: int) -> list[Tensor]:
        return [self._zeros(batch, *shape) for shape in self._state_shapes]

    def forward_stream(self, x: Tensor, state: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        self._check_input(x)
        if x.shape[1] % self._stride != 0:
            raise ValueError(f"stream chunks must be a multiple of {self._stride} frames, got {x.shape[1]}")
        if len(state) != len(self._state_shapes):
            raise ValueError(f"expected {len(self._state_shapes)} state tensors, got {len(state)}")
        h = F.relu(self.stem_norm(self.stem(x.transpose(1, 2))))
        next_state = []
        for block, s in zip(self._blocks(), state, strict=True):
            h, s_next = block(h, s)
            next_state.append(s_next)
        return self.head(h).squeeze(1), next_state
