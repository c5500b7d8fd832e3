"""Building blocks whose streaming state is explicit.

Every causal convolution keeps its left context as a state tensor: the input is appended to the state
(concat) and the last ``context`` frames become the next state (slice). Batch mode is the same code
starting from zeros, so there are no padding tricks that could differ between the two modes, and the
ops (Conv, concat, slice) map one-to-one onto the TFLite-Micro streaming ops ESPHome runs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wakesmith.errors import ConfigError


class CausalConv1d(nn.Module):
    """A causal 1-D convolution over ``[B, C, T]`` whose left context ``(kernel - 1) * dilation`` is state."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        *,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if kernel < 2:
            raise ConfigError(f"A causal convolution needs kernel >= 2 to have context (got {kernel}).")
        self.in_channels = in_channels
        self.context = (kernel - 1) * dilation
        self.conv = nn.Conv1d(in_channels, out_channels, kernel, dilation=dilation, groups=groups, bias=bias)

    def forward(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """``x [B, C, T]``, ``state [B, C, context]`` → ``(y [B, out, T], next_state [B, C, context])``."""
        buffer = torch.cat([state, x], dim=2)
        return self.conv(buffer), buffer[:, :, -self.context :]


class DepthwiseSeparableBlock(nn.Module):
    """Causal depthwise temporal conv → pointwise conv → BatchNorm → ReLU, plus a residual connection."""

    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.depthwise = CausalConv1d(
            channels, channels, kernel, dilation=dilation, groups=channels, bias=False
        )
        self.pointwise = nn.Conv1d(channels, channels, 1, bias=False)
        self.norm = nn.BatchNorm1d(channels)
        self.act = nn.ReLU()  # a module (no weights), so QAT fuses Conv+BN+ReLU as TFLite does

    @property
    def context(self) -> int:
        return self.depthwise.context

    def forward(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        y, next_state = self.depthwise(x, state)
        # ReLU before the add, so it fuses into the conv on TFLite (ADD is then a plain add).
        return x + self.act(self.norm(self.pointwise(y))), next_state


class ResidualBlock2d(nn.Module):
    """A ResNet basic block: two 3×3 convs with BatchNorm, a projected shortcut when the shape changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return F.relu(y + self.shortcut(x))
