"""The ``tflite`` (float32) and ``tflite-int8`` formats, and the metadata every wakesmith ``.tflite`` carries.

Both formats are a stateless window ``[1, T, 40] → [1, T // 3]`` (from the zero state) for TFLite
projects that score whole windows; conversion is :mod:`wakesmith.quantize.tflite`. Every wakesmith
``.tflite`` (these, and the streaming model inside ``esphome`` and ``c-header``) carries the artifact's
metadata JSON in the flatbuffer's own ``metadata`` table (entry
:data:`~wakesmith.metadata.TFLITE_METADATA_NAME`), which interpreters ignore, so the file alone tells
what it is (:func:`wakesmith.runtime.tflite.read_tflite_metadata` reads it back).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wakesmith.errors import ExportError
from wakesmith.export.formats import register_format
from wakesmith.fsio import atomic_write_bytes
from wakesmith.metadata import TFLITE_METADATA_NAME, ModelMetadata
from wakesmith.runtime.tflite import tflite_schema

FILE_IDENTIFIER = b"TFL3"
DEFAULT_WINDOW_FRAMES = 147
"""Non-streaming window: 1.47 s, a multiple of the stride 3 (the 1.5 s training window, rounded down)."""


def embed_tflite_metadata(data: bytes, metadata: ModelMetadata) -> bytes:
    """``data`` with ``metadata`` (JSON) in the flatbuffer's metadata table, replacing an earlier copy."""
    import flatbuffers  # comes with ai-edge-litert (the edge extra)

    schema = tflite_schema()
    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    blob = metadata.to_json().encode()
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(blob, dtype=np.uint8)
    buffers = list(model.buffers or [])
    old = [m for m in (model.metadata or []) if _name(m) == TFLITE_METADATA_NAME]
    if old and old[-1].buffer == len(buffers) - 1:
        buffers.pop()  # our earlier copy is the last buffer: drop it rather than leave it orphaned
    model.buffers = [*buffers, buffer]
    entry = schema.MetadataT()
    entry.name = TFLITE_METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    kept = [m for m in (model.metadata or []) if _name(m) != TFLITE_METADATA_NAME]
    model.metadata = [*kept, entry]
    builder = flatbuffers.Builder(len(data) + len(blob) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=FILE_IDENTIFIER)
    return bytes(builder.Output())


def _name(entry: Any) -> str:
    name = entry.name
    return name.decode() if isinstance(name, bytes) else str(name)


def _window_export(
    model: Any,
    metadata: ModelMetadata,
    out_path: Path,
    window_frames: int | None,
    features: Sequence[np.ndarray] | None,
    *,
    quantize: bool,
) -> Path:
    from wakesmith.quantize.tflite import convert_window, feature_windows

    frames = int(window_frames or DEFAULT_WINDOW_FRAMES)
    windows = feature_windows(features or [], frames) if quantize else None
    if quantize and not windows:
        raise ExportError("The tflite-int8 export needs representative features (the features= option).")
    data = convert_window(model, frames, windows)
    return atomic_write_bytes(out_path, embed_tflite_metadata(data, metadata))


@register_format("tflite", suffix=".tflite", options=("window_frames",), roles=("sentry",))
def export_tflite(
    model: Any, metadata: ModelMetadata, out_path: Path, *, window_frames: int | None = None
) -> Path:
    """TFLite float32, stateless window [1, T, 40] → per-step probabilities [1, T // 3]."""
    return _window_export(model, metadata, Path(out_path), window_frames, None, quantize=False)


@register_format("tflite-int8", suffix=".tflite", options=("window_frames", "features"), roles=("sentry",))
def export_tflite_int8(
    model: Any,
    metadata: ModelMetadata,
    out_path: Path,
    *,
    window_frames: int | None = None,
    features: Sequence[np.ndarray] | None = None,
) -> Path:
    """TFLite full-integer (int8 in and out), stateless window, calibrated on representative features."""
    return _window_export(model, metadata, Path(out_path), window_frames, features, quantize=True)
