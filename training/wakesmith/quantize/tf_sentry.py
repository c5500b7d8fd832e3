"""The trained ``sentry_tcn`` rebuilt as a TensorFlow graph, weights copied from torch.

This is the route known to reach ESPHome: TensorFlow's converter is the only
one that turns a stateful streaming graph into TFLite resource variables. Two graphs share the folded
weights:

- :class:`StreamingSentry`: one step per call, input ``[1, stride, D]``, output ``[1, 1]``; the left
  context of every depthwise conv is a ``tf.Variable`` ring buffer ``[1, context, 1, C]`` updated with
  ``assign`` (→ VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE, initialised in a CALL_ONCE subgraph).
  A dilated tap is a strided slice of the buffer, so no SpaceToBatch op appears.
- :func:`batch_function`: a fixed window ``[1, T, D]`` → ``[1, T // stride]`` whose left context is
  the reset state, stateless (the non-streaming TFLite formats).

The reset state is zeros, or with ``reset: silence`` the state after silence: the ring buffers' initial
values (the torch model carries it as offsets; see :mod:`wakesmith.models.sentry`).

Tensors are NHWC with W = 1: time is H, channels are C. BatchNorm is folded into the conv before it.
TensorFlow is imported lazily by the callers of this module (it is an optional extra, ``edge``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wakesmith.errors import ExportError

BN_FOLD_DTYPE = np.float64
"""BatchNorm is folded in float64, then cast: the folded float32 weights then match torch to ~1e-7."""


@dataclass(frozen=True)
class BlockWeights:
    """One depthwise-separable block: taps ``[k, 1, C, 1]``, pointwise ``[1, 1, C, C]`` + bias."""

    depthwise: np.ndarray
    dilation: int
    context: int
    pointwise: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True)
class SentryWeights:
    """Every weight of a ``sentry_tcn`` in TF layout with BatchNorm folded in."""

    stride: int
    input_dim: int
    channels: int
    stem: np.ndarray
    """``[stride, 1, D, C]``."""
    stem_bias: np.ndarray
    blocks: tuple[BlockWeights, ...]
    head: np.ndarray
    """``[1, 1, C, 1]``."""
    head_bias: np.ndarray
    reset: tuple[np.ndarray, ...] | None = None
    """The ring buffers' reset contents ``[1, context, 1, C]`` per block (``reset: silence``: the
    state after silence); None means zeros."""


def _fold(weight: Any, norm: Any) -> tuple[np.ndarray, np.ndarray]:
    """Conv weight ``[out, in, k]`` (no bias) followed by eval-mode BatchNorm → folded weight and bias."""
    w = weight.detach().double().cpu().numpy()
    gamma = norm.weight.detach().double().cpu().numpy()
    beta = norm.bias.detach().double().cpu().numpy()
    mean = norm.running_mean.detach().double().cpu().numpy()
    var = norm.running_var.detach().double().cpu().numpy()
    scale = gamma / np.sqrt(var + norm.eps)
    return (w * scale[:, None, None]), beta - mean * scale


def _conv_to_hwio(w: np.ndarray) -> np.ndarray:
    """torch Conv1d ``[out, in, k]`` → TF Conv2D ``[k, 1, in, out]`` (float32)."""
    return np.ascontiguousarray(w.transpose(2, 1, 0)[:, None, :, :], dtype=np.float32)


def sentry_weights(model: Any) -> SentryWeights:
    """Read a trained ``SentryTCN`` (torch) into TF layout. Refuses any other model."""
    from wakesmith.models.sentry import SentryTCN

    if not isinstance(model, SentryTCN):
        raise ExportError(
            f"The ESPHome/TFLite exports support the sentry_tcn model only, not {type(model).__name__}; "
            "train a sentry with model.name=sentry_tcn, or export ONNX."
        )
    if model.stem.bias is not None:
        raise ExportError("This sentry_tcn has a stem bias, which the architecture never has; re-train it.")
    # Reading weights never changes the caller's model: BatchNorm is folded from its running
    # statistics (eval semantics) whatever mode the model is in, on whatever device.
    stem, stem_bias = _fold(model.stem.weight, model.stem_norm)
    blocks = []
    for block in model._blocks():
        conv = block.depthwise.conv
        dw = conv.weight.detach().double().cpu().numpy()  # [C, 1, k]
        pw, pw_bias = _fold(block.pointwise.weight, block.norm)
        blocks.append(
            BlockWeights(
                depthwise=np.ascontiguousarray(dw.transpose(2, 0, 1)[:, None, :, :], dtype=np.float32),
                dilation=int(conv.dilation[0]),
                context=int(block.context),
                pointwise=_conv_to_hwio(pw),
                bias=pw_bias.astype(np.float32),
            )
        )
    head_bias = model.head.bias
    resets = model.reset_states()
    reset = (
        None
        if resets is None
        else tuple(  # torch [1, C, context] → TF [1, context, 1, C]
            np.ascontiguousarray(r.detach().cpu().numpy().transpose(0, 2, 1)[:, :, None, :], np.float32)
            for r in resets
        )
    )
    return SentryWeights(
        stride=model.stride,
        input_dim=model.input_dim,
        channels=int(stem.shape[0]),
        stem=_conv_to_hwio(stem),
        stem_bias=stem_bias.astype(np.float32),
        blocks=tuple(blocks),
        head=_conv_to_hwio(model.head.weight.detach().double().cpu().numpy()),
        head_bias=np.zeros(1, np.float32) if head_bias is None else head_bias.detach().cpu().numpy(),
        reset=reset,
    )


def reset_buffer(weights: SentryWeights, i: int) -> np.ndarray:
    """Block ``i``'s ring buffer after a reset, ``[1, context, 1, C]``."""
    if weights.reset is not None:
        return weights.reset[i]
    return np.zeros([1, weights.blocks[i].context, 1, weights.channels], np.float32)


def _pointwise(tf: Any, h: Any, w: np.ndarray, b: np.ndarray) -> Any:
    return tf.nn.bias_add(tf.nn.conv2d(h, w, strides=1, padding="VALID"), b)


def _stem(tf: Any, weights: SentryWeights, x: Any) -> Any:
    """``x [1, T, D]`` → ``[1, T // stride, 1, C]`` after the strided stem conv, folded BN and ReLU."""
    h = tf.reshape(x, [1, -1, 1, weights.input_dim])
    stride = (weights.stride, 1)
    h = tf.nn.conv2d(h, weights.stem, strides=stride, padding="VALID")
    return tf.nn.relu(tf.nn.bias_add(h, weights.stem_bias))


def _head(tf: Any, weights: SentryWeights, h: Any) -> Any:
    return tf.sigmoid(_pointwise(tf, h, weights.head, weights.head_bias))


def make_streaming_module(weights: SentryWeights) -> Any:
    """A ``tf.Module`` with ring-buffer variables and a ``serve`` function ``[1, stride, D] → [1, 1]``."""
    import tensorflow as tf

    class StreamingSentry(tf.Module):
        def __init__(self) -> None:
            super().__init__(name="wakesmith_sentry")
            self.states = [  # initialised by the CALL_ONCE subgraph on every (re)load
                tf.Variable(tf.constant(reset_buffer(weights, i)), trainable=False, name=f"state_{i}")
                for i in range(len(weights.blocks))
            ]

        @tf.function(input_signature=[tf.TensorSpec([1, weights.stride, weights.input_dim], tf.float32)])
        def serve(self, features: Any) -> Any:
            h = _stem(tf, weights, features)  # [1, 1, 1, C]
            for block, state in zip(weights.blocks, self.states, strict=True):
                buffer = tf.concat([state, h], axis=1)  # [1, context + 1, 1, C]
                state.assign(buffer[:, 1:])
                taps = buffer[:, :: block.dilation]  # the k dilated taps, oldest first
                y = tf.nn.depthwise_conv2d(taps, block.depthwise, strides=[1, 1, 1, 1], padding="VALID")
                h = h + tf.nn.relu(_pointwise(tf, y, block.pointwise, block.bias))
            return tf.reshape(_head(tf, weights, h), [1, 1])

    return StreamingSentry()


def batch_function(weights: SentryWeights, frames: int) -> Any:
    """A stateless ``tf.function`` ``[1, frames, D] → [1, frames // stride]`` from the reset state."""
    import tensorflow as tf

    if frames % weights.stride:
        raise ExportError(f"The window must be a multiple of the stride {weights.stride} (got {frames}).")

    @tf.function(input_signature=[tf.TensorSpec([1, frames, weights.input_dim], tf.float32)])
    def serve(features: Any) -> Any:
        h = _stem(tf, weights, features)  # [1, S, 1, C]
        for i, block in enumerate(weights.blocks):
            pad = tf.constant(reset_buffer(weights, i))
            buffer = tf.concat([pad, h], axis=1)
            y = tf.nn.depthwise_conv2d(
                buffer,
                block.depthwise,
                strides=[1, 1, 1, 1],
                padding="VALID",
                dilations=[block.dilation, 1],
            )
            h = h + tf.nn.relu(_pointwise(tf, y, block.pointwise, block.bias))
        return tf.reshape(_head(tf, weights, h), [1, frames // weights.stride])

    return serve
