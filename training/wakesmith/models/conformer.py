"""``conformer``: a small Conformer (Gulati et al. 2020) window classifier, for the Judge or a teacher.

The window ``[B, T, D]`` is subsampled 4× in time and frequency by two strided 3×3 convolutions
(ReLU), projected to ``dim``, given sinusoidal positions, and passed through ``blocks`` Conformer
blocks — half-step feed-forward, multi-head self-attention, a convolution module (pointwise → GLU →
depthwise ``kernel`` → BatchNorm → SiLU → pointwise), half-step feed-forward, LayerNorm — then
mean-pooled over time → one logit. Attention sees the whole window (it is not a streaming model).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.models.base import WakeModel, register_model

SUBSAMPLE = 4
"""Two stride-2 convolutions."""
FF_EXPANSION = 4


class FeedForward(nn.Module):
    def __init__(self, dim: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, dim * FF_EXPANSION),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Linear(dim * FF_EXPANSION, dim),
            nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class ConvModule(nn.Module):
    def __init__(self, dim: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.pointwise_in = nn.Conv1d(dim, 2 * dim, 1)
        self.depthwise = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim, bias=False)
        self.batch_norm = nn.BatchNorm1d(dim)
        self.pointwise_out = nn.Conv1d(dim, dim, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:  # [B, T, C]
        h = F.glu(self.pointwise_in(self.norm(x).transpose(1, 2)), dim=1)
        h = F.silu(self.batch_norm(self.depthwise(h)))
        return self.dropout(self.pointwise_out(h)).transpose(1, 2)


class ConformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.ff1 = FeedForward(dim, dropout)
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.attn_dropout = nn.Dropout(dropout)
        self.conv = ConvModule(dim, kernel, dropout)
        self.ff2 = FeedForward(dim, dropout)
        self.out_norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        x = x + 0.5 * self.ff1(x)
        h = self.attn_norm(x)
        x = x + self.attn_dropout(self.attn(h, h, h, need_weights=False)[0])
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.out_norm(x)


def _halved(size: int) -> int:
    """Output length of a stride-2, kernel-3, padding-1 convolution."""
    return (size + 1) // 2


def sinusoids(length: int, dim: int, device: torch.device) -> Tensor:
    """``[length, dim]`` absolute sinusoidal positions (Vaswani et al.)."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate[: dim // 2])
    return table


@register_model("conformer")
class Conformer(WakeModel):
    """Window classifier: ``[B, T, D] -> [B, 1]``; any T of at least 7 frames."""

    def __init__(
        self,
        input_dim: int,
        dim: int = 64,
        blocks: int = 2,
        heads: int = 4,
        kernel: int = 15,
        dropout: float = 0.1,
    ) -> None:
        super().__init__(input_dim)
        if dim < 8 or dim % heads or dim % 2:
            raise ConfigError(
                f"conformer: dim must be even, at least 8 and a multiple of heads (got {dim}, {heads})."
            )
        if blocks < 1:
            raise ConfigError(f"conformer: blocks must be at least 1 (got {blocks}).")
        if kernel < 3 or kernel % 2 == 0:
            raise ConfigError(f"conformer: kernel must be odd and at least 3 (got {kernel}).")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"conformer: dropout must be in [0, 1) (got {dropout}).")
        self.subsample = nn.Sequential(
            nn.Conv2d(1, dim, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(dim, dim, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        bands = _halved(_halved(input_dim))
        self.project = nn.Linear(dim * bands, dim)
        self.blocks = nn.Sequential(*(ConformerBlock(dim, heads, kernel, dropout) for _ in range(blocks)))
        self.head = nn.Linear(dim, 1)
        self.dim = dim

    def embed(self, x: Tensor) -> Tensor:
        self._check_input(x)
        h = self.subsample(x.unsqueeze(1))  # [B, C, T/4, D/4]
        h = self.project(h.permute(0, 2, 1, 3).flatten(2))  # [B, T/4, C]
        h = h + sinusoids(h.shape[1], self.dim, h.device)
        return self.blocks(h).mean(dim=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.embed(x))
