"""``tinyconv``: TensorFlow's ``tiny_conv`` from the micro_speech example, the hobbyist's ESP32 model.

One 2-D convolution (8 filters of 10 frames × 8 bands, stride 2 in both) with ReLU, dropout, and a
fully connected layer over the whole flattened feature map → one logit. About 25 k parameters for a
1.5 s window of 40 bands, nearly all of them in the last layer.

Because the last layer reads every position of the map, the model is built for one window length:
``create_model`` passes ``window_frames`` (the recipe's ``train.clip_seconds`` in frames, or the
artifact's ``window_frames``), and another length is refused.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.models.base import WakeModel, register_model

KERNEL = (10, 8)
"""(frames, bands), as micro_speech's ``tiny_conv``."""
STRIDE = 2


def _out(size: int) -> int:
    """Output length of a 'same'-padded strided convolution (TensorFlow's SAME: ceil(size / stride))."""
    return -(-size // STRIDE)


@register_model("tinyconv")
class TinyConv(WakeModel):
    """Window classifier for a fixed window: ``[B, window_frames, D] -> [B, 1]``."""

    fixed_window = True

    def __init__(self, input_dim: int, window_frames: int, filters: int = 8, dropout: float = 0.2) -> None:
        super().__init__(input_dim)
        if window_frames < KERNEL[0]:
            raise ConfigError(
                f"tinyconv: the window must have at least {KERNEL[0]} frames (got {window_frames})."
            )
        if filters < 1:
            raise ConfigError(f"tinyconv: filters must be at least 1 (got {filters}).")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"tinyconv: dropout must be in [0, 1) (got {dropout}).")
        self.window_frames = int(window_frames)
        # Asymmetric 'same' padding as TensorFlow does it (more on the right/bottom when the total is odd).
        self.pad = tuple(
            p
            for size, k in ((input_dim, KERNEL[1]), (window_frames, KERNEL[0]))
            for p in _same_padding(size, k)
        )
        self.conv = nn.Conv2d(1, filters, KERNEL, stride=STRIDE)
        self.dropout = nn.Dropout(dropout)
        cells = _out(window_frames) * _out(input_dim)
        self.head = nn.Linear(filters * cells, 1)

    @property
    def receptive_field(self) -> int:
        return self.window_frames

    def embed(self, x: Tensor) -> Tensor:
        """The flattened feature map the dense layer reads."""
        self._check_input(x)
        if x.shape[1] != self.window_frames:
            raise ValueError(f"tinyconv was built for {self.window_frames}-frame windows, got {x.shape[1]}")
        return F.relu(self.conv(F.pad(x.unsqueeze(1), self.pad))).flatten(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.dropout(self.embed(x)))


def _same_padding(size: int, kernel: int) -> tuple[int, int]:
    total = max((_out(size) - 1) * STRIDE + kernel - size, 0)
    return total // 2, total - total // 2
