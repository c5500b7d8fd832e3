"""``judge_embedding``: a small Judge head over a frozen pretrained speech embedding.

Meant for ``features.name: speech_embedding`` (96-d embeddings every 80 ms, each of the last 790 ms of
audio; see :mod:`wakesmith.features.embedding`): the pretrained network has heard far more real speech
than our synthetic voices cover, and only this head learns the phrase. The window ``[B, T, D]`` (T = 9
for 1.5 s) goes through a per-frame LayerNorm, two temporal convolutions (kernel 3, BatchNorm, ReLU),
then max and mean pooling over time (the phrase may sit anywhere in the window) and a linear layer →
one logit per window. Like ``judge_resnet`` it is not streaming: the runtime slides it over the audio.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.models.base import WakeModel, register_model

KERNEL = 3


@register_model("judge_embedding")
class JudgeEmbeddingHead(WakeModel):
    """Window classifier: ``[B, T, D] -> [B, 1]`` for any T (pooled over time)."""

    def __init__(self, input_dim: int, channels: int = 128, dropout: float = 0.3) -> None:
        super().__init__(input_dim)
        if channels < 1:
            raise ConfigError(f"judge_embedding: channels must be at least 1 (got {channels}).")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"judge_embedding: dropout must be in [0, 1) (got {dropout}).")
        self.norm = nn.LayerNorm(input_dim)
        self.conv1 = nn.Conv1d(input_dim, channels, KERNEL, padding=KERNEL // 2, bias=False)
        self.norm1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, KERNEL, padding=KERNEL // 2, bias=False)
        self.norm2 = nn.BatchNorm1d(channels)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * channels, 1)

    @property
    def receptive_field(self) -> int:
        """Frames seen by one position before pooling (the pooled logit sees the whole window)."""
        return 2 * (KERNEL - 1) + 1

    def embed(self, x: Tensor) -> Tensor:
        self._check_input(x)
        h = self.norm(x).transpose(1, 2)  # [B, D, T]
        h = F.relu(self.norm1(self.conv1(h)))
        h = F.relu(self.norm2(self.conv2(h)))
        return torch.cat([h.amax(dim=2), h.mean(dim=2)], dim=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.dropout(self.embed(x)))
