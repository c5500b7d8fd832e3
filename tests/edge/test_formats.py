"""The edge formats: TF graph == torch, non-streaming TFLite (float, int8) through the runtime's TFLite
backend, C header, light import."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from wakesmith.errors import ArtifactError, ExportError
from wakesmith.export import export_model, list_formats
from wakesmith.export.cheader import c_identifier
from wakesmith.export.oplist import ESPHOME_OPS, read_ops
from wakesmith.quantize.tf_sentry import make_streaming_module, sentry_weights
from wakesmith.runtime import TfliteBackend, load_backend
from wakesmith.runtime.tflite import read_tflite_metadata

FLOAT_ATOL = 1e-4
INT8_MAD = 0.02
WINDOW = 147


def _torch_probs(model, features: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    with torch.no_grad():
        logits, _ = model.forward_stream(torch.from_numpy(features)[None], model.initial_state(1))
    return torch.sigmoid(logits)[0].numpy()


def _run_tflite(path: Path, x: np.ndarray) -> np.ndarray:
    """Probabilities of a window file on ``x`` [T, D], through the runtime's backend interface."""
    backend = load_backend(path)
    assert isinstance(backend, TfliteBackend) and not backend.streaming
    return backend.forward({"features": x[None]})["scores"][0]


def test_every_edge_format_is_in_the_table() -> None:
    assert {"esphome", "tflite", "tflite-int8", "c-header", "onnx"} <= set(list_formats())


def test_the_export_package_imports_without_tensorflow() -> None:
    code = "import sys, wakesmith.export as e; e.get_format('esphome'); print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_tf_streaming_graph_equals_torch_step_by_step(random_sentry, feature_stream) -> None:  # type: ignore[no-untyped-def]
    module = make_streaming_module(sentry_weights(random_sentry))
    x = feature_stream[0][:300]
    got = np.array([float(module.serve(x[i : i + 3][None]).numpy()[0, 0]) for i in range(0, len(x), 3)])
    np.testing.assert_allclose(got, _torch_probs(random_sentry, x), atol=FLOAT_ATOL)


def test_float_tflite_window_equals_torch(
    random_sentry, feature_stream, sentry_metadata, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = export_model(random_sentry, sentry_metadata, tmp_path / "m.tflite", "tflite", window_frames=WINDOW)
    x = feature_stream[0][:WINDOW]
    np.testing.assert_allclose(_run_tflite(path, x), _torch_probs(random_sentry, x), atol=FLOAT_ATOL)
    assert read_tflite_metadata(path.read_bytes()) == sentry_metadata


def test_int8_tflite_window_is_close_to_torch(
    random_sentry, feature_stream, sentry_metadata, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = export_model(
        random_sentry,
        sentry_metadata,
        tmp_path / "m.tflite",
        "tflite-int8",
        window_frames=WINDOW,
        features=feature_stream,
    )
    x = feature_stream[0][-WINDOW:]
    got, want = _run_tflite(path, x), _torch_probs(random_sentry, x)
    mad = float(np.abs(got - want).mean())
    assert 0 < mad < INT8_MAD, mad
    assert "DEQUANTIZE" not in read_ops(path.read_bytes())


def test_int8_tflite_needs_representative_features(random_sentry, sentry_metadata, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ExportError, match="representative features"):
        export_model(random_sentry, sentry_metadata, tmp_path / "m.tflite", "tflite-int8")


def test_c_header_holds_the_streaming_model_and_its_metadata(
    random_sentry, feature_stream, sentry_metadata, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = export_model(random_sentry, sentry_metadata, tmp_path / "m.h", "c-header", features=feature_stream)
    text = path.read_text()
    name = c_identifier(sentry_metadata.model_id)
    assert name == "hey_test_sentry" and f"alignas(16) static const unsigned char {name}_tflite[]" in text
    body = text.split(f"{name}_tflite[] = {{", 1)[1].split("};", 1)[0]
    data = bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", body))
    assert f"{name}_tflite_len = {len(data)};" in text
    assert set(read_ops(data)) <= ESPHOME_OPS and "VAR_HANDLE" in read_ops(data)
    assert read_tflite_metadata(data) == sentry_metadata
    arena = int(re.search(rf"#define {name.upper()}_ARENA_BYTES (\d+)", text).group(1))  # type: ignore[union-attr]
    assert 1000 < arena < 64 * 1024


def test_streaming_int8_file_runs_through_the_runtime_like_onnx(
    random_sentry, feature_stream, sentry_metadata, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The ESPHome model (state inside the file) behind the backend interface: any chunking gives the
    same scores, a reset starts a fresh stream, and it stays close to torch."""
    from wakesmith.export.tflite import embed_tflite_metadata
    from wakesmith.quantize.tflite import convert_streaming_int8, stream_chunks

    data = convert_streaming_int8(random_sentry, stream_chunks(feature_stream, 3))
    path = tmp_path / "m.tflite"
    path.write_bytes(embed_tflite_metadata(data, sentry_metadata))
    backend = load_backend(path)
    assert isinstance(backend, TfliteBackend) and backend.streaming
    assert backend.metadata == sentry_metadata and backend.input_names == ["features"]
    x = feature_stream[0][:300]
    whole = backend.forward({"features": x[None]})["scores"][0]
    backend.reset()
    parts = [backend.forward({"features": x[None, i : i + 30]})["scores"][0] for i in range(0, 300, 30)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert float(np.abs(whole - _torch_probs(random_sentry, x)).mean()) < INT8_MAD
    with pytest.raises(ArtifactError, match="takes features"):
        backend.forward({"features": x[None, :4]})
