"""TFLite conversion of the sentry (TensorFlow converter, lazily imported).

- :func:`convert_streaming_int8`: the ESPHome micro_wake_word model. Full-integer quantization with the
  ring-buffer state quantized too (``_experimental_variable_quantization``: without it the state stays
  float and DEQUANTIZE ops appear, which ESPHome does not register); int8 input, uint8 output.
- :func:`convert_window`: a stateless window ``[1, T, 40] → [1, T // 3]`` (float32, or int8), for the
  ``tflite`` and ``tflite-int8`` formats.

The representative data are real feature chunks fed in stream order, so the state variables see the
values they hold on the device; one extra chunk spans the front end's full range (0–26), which pins
the input scale at about 26/255 with zero point −128 as ESPHome expects.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from wakesmith.errors import ExportError, ToolMissingError
from wakesmith.quantize.tf_sentry import batch_function, make_streaming_module, sentry_weights

log = logging.getLogger(__name__)

FEATURE_MAX = 26.0
"""Top of the micro front end's feature range (pymicro-features: raw uint16 / 25.6)."""
SIGNATURE = "serving_default"
REPRESENTATIVE_CHUNKS = 10_000
"""Stream steps used at most to calibrate quantization ranges (5 minutes of audio)."""
REPRESENTATIVE_WINDOWS = 300
"""Windows used at most to calibrate the non-streaming int8 model."""


def import_tensorflow() -> Any:
    """TensorFlow, or a :class:`ToolMissingError` saying which extra installs it."""
    try:
        import tensorflow as tf
    except ImportError:
        raise ToolMissingError(
            "TFLite and ESPHome exports need TensorFlow: pip install 'wakesmith[edge]'."
        ) from None
    return tf


def range_chunk(stride: int, dim: int) -> np.ndarray:
    """A ``[stride, dim]`` ramp from 0 to :data:`FEATURE_MAX`: pins the input quantization range."""
    return np.linspace(0.0, FEATURE_MAX, stride * dim, dtype=np.float32).reshape(stride, dim)


def stream_chunks(features: Sequence[np.ndarray], stride: int, limit: int = REPRESENTATIVE_CHUNKS) -> list:
    """Cut feature sequences ``[T, D]`` into ``[stride, D]`` chunks in stream order (at most ``limit``)."""
    chunks: list[np.ndarray] = []
    for f in features:
        usable = len(f) - len(f) % stride
        chunks.extend(f[i : i + stride] for i in range(0, usable, stride))
        if len(chunks) >= limit:
            break
    return chunks[:limit]


def _representative(samples: Sequence[np.ndarray]) -> Callable[[], Iterator[list[np.ndarray]]]:
    def gen() -> Iterator[list[np.ndarray]]:
        for s in samples:
            yield [np.asarray(s, dtype=np.float32)[np.newaxis]]

    return gen


def _converter_int8(tf: Any, converter: Any, samples: Sequence[np.ndarray], *, output_uint8: bool) -> None:
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.uint8 if output_uint8 else tf.int8
    converter.representative_dataset = _representative(samples)


def convert_streaming_int8(model: Any, chunks: Sequence[np.ndarray]) -> bytes:
    """The ESPHome streaming flatbuffer of a trained ``sentry_tcn``, calibrated on ``chunks``."""
    tf = import_tensorflow()
    weights = sentry_weights(model)
    if not chunks:
        raise ExportError("Quantization needs representative feature chunks; none were given.")
    module = make_streaming_module(weights)
    samples = [range_chunk(weights.stride, weights.input_dim), *chunks]
    with tempfile.TemporaryDirectory() as tmp:
        tf.saved_model.save(module, tmp, signatures={SIGNATURE: module.serve})
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=[SIGNATURE])
        converter.experimental_enable_resource_variables = True
        converter._experimental_variable_quantization = True
        _converter_int8(tf, converter, samples, output_uint8=True)
        try:
            return bytes(converter.convert())
        except Exception as exc:  # the converter raises untyped errors
            raise ExportError(f"TensorFlow could not convert the streaming sentry: {exc}") from exc


def convert_window(model: Any, frames: int, windows: Sequence[np.ndarray] | None) -> bytes:
    """A stateless window model; float32 when ``windows`` is None, else int8 calibrated on them."""
    tf = import_tensorflow()
    weights = sentry_weights(model)
    fn = batch_function(weights, frames)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()])
    if windows is not None:
        if not windows:
            raise ExportError("Quantization needs representative feature windows; none were given.")
        ramp = np.linspace(0.0, FEATURE_MAX, frames * weights.input_dim, dtype=np.float32)
        samples = [ramp.reshape(frames, weights.input_dim), *windows]
        _converter_int8(tf, converter, samples, output_uint8=False)
    try:
        return bytes(converter.convert())
    except Exception as exc:  # the converter raises untyped errors
        raise ExportError(f"TensorFlow could not convert the sentry window model: {exc}") from exc


def feature_windows(features: Sequence[np.ndarray], frames: int, limit: int = REPRESENTATIVE_WINDOWS) -> list:
    """Consecutive ``[frames, D]`` windows cut from feature sequences (a short one is zero-padded)."""
    out: list[np.ndarray] = []
    for f in features:
        if len(f) < frames:
            f = np.concatenate([np.zeros((frames - len(f), f.shape[1]), np.float32), f])
        out.extend(f[i : i + frames].astype(np.float32) for i in range(0, len(f) - frames + 1, frames))
    return out[:limit]
