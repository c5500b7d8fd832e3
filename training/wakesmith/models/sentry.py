"""``sentry_tcn``: the tiny streaming sentry for the ESP32 (microWakeWord MixedNet style).

On the ``micro`` front end (40 features every 10 ms): a strided stem conv (kernel = stride = 3 frames,
so one output step every 30 ms, matching ESPHome feeding ``[1, 3, 40]`` per inference), then blocks of
causal depthwise temporal convs with growing dilation (1, 2, 4, 8 …), each followed by a pointwise
conv, BatchNorm and ReLU with a residual, then a pointwise head: one logit per step.

Only ops that TFLite-Micro runs: Conv / DepthwiseConv (1-D as 2-D), foldable BatchNorm, ReLU, Add,
concat and slice for the ring buffers. With the defaults the receptive field is 183 frames (1.83 s)
and the model has about 17k parameters.

The reset state. Every runtime starts a stream from zero state tensors (ESPHome initialises the ring
buffers when micro_wake_word starts, after boot and after every assistant interaction). With
``reset: zeros`` (the default) that is literally zeros: activations no real audio produces, which the
model must learn to read as "the stream just began". With ``reset: silence`` the zero state *means*
"heard nothing but silence": the state tensors are offsets from the state the model settles into on
silence (:meth:`SentryTCN.settle_reset`, run once after training, stored as buffers), so right after a
reset the model is where it would be after a quiet room. The offsets are part of the graph (ONNX) and
the initial values of the ring buffers (TFLite), so every runtime agrees.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.models.base import StreamingWakeModel, register_model
from wakesmith.models.layers import DepthwiseSeparableBlock

DEFAULT_STRIDE = 3
"""Frames per output step: 3 × 10 ms = 30 ms, as in microWakeWord."""
RESETS = ("zeros", "silence")
"""What a zero state means: literally zeros, or the state after hearing silence (module docstring)."""


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
        reset: str = "zeros",
    ) -> None:
        super().__init__(input_dim)
        if reset not in RESETS:
            raise ConfigError(f"sentry_tcn: reset must be one of {', '.join(RESETS)} (got {reset!r}).")
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
        self.stem_act = nn.ReLU()  # a module, so QAT fuses the stem's Conv+BN+ReLU
        self.blocks = nn.ModuleList(
            DepthwiseSeparableBlock(channels, kernel, dilation=2**i) for i in range(blocks)
        )
        self.head = nn.Conv1d(channels, 1, 1)
        self._state_shapes = [(channels, block.context) for block in self._blocks()]
        self.reset = reset
        if reset == "silence":  # zeros until settle_reset(); saved with the weights
            for i, shape in enumerate(self._state_shapes):
                self.register_buffer(f"reset_state_{i}", torch.zeros(1, *shape))

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

    def reset_states(self) -> list[Tensor] | None:
        """The actual state a zero state stands for (``reset: silence``): ``[1, C, context]`` per block."""
        if self.reset != "silence":
            return None
        return [getattr(self, f"reset_state_{i}") for i in range(len(self._state_shapes))]

    @torch.no_grad()
    def settle_reset(self, silence: Tensor) -> None:
        """With ``reset: silence``, make the zero state mean "heard silence": stream the front end's
        silence frame ``silence [D]`` until every ring buffer holds only it, in eval mode (BatchNorm's
        running statistics, as exported), and keep the resulting state. A no-op with ``reset: zeros``."""
        resets = self.reset_states()
        if resets is None:
            return
        training = self.training
        self.eval()
        for r in resets:
            r.zero_()
        steps = 1 + sum(block.context for block in self._blocks())  # flushes every buffer
        x = silence.to(resets[0]).reshape(1, 1, -1).expand(1, steps * self._stride, self.input_dim)
        _, state = self.forward_stream(x.contiguous(), self.initial_state(1))
        for r, s in zip(resets, state, strict=True):
            r.copy_(s)
        self.train(training)

    def forward_stream(self, x: Tensor, state: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        self._check_input(x)
        if x.shape[1] % self._stride != 0:
            raise ValueError(f"stream chunks must be a multiple of {self._stride} frames, got {x.shape[1]}")
        if len(state) != len(self._state_shapes):
            raise ValueError(f"expected {len(self._state_shapes)} state tensors, got {len(state)}")
        h = self.stem_act(self.stem_norm(self.stem(x.transpose(1, 2))))
        next_state = []
        resets = self.reset_states()
        for i, (block, s) in enumerate(zip(self._blocks(), state, strict=True)):
            if resets is None:
                h, s_next = block(h, s)
            else:  # the state crossing the model's boundary is an offset from the silence state
                h, s_next = block(h, s + resets[i])
                s_next = s_next - resets[i]
            next_state.append(s_next)
        return self.head(h).squeeze(1), next_state
