"""The TFLite backend: ``.tflite`` files in the TFLite interpreter (``ai-edge-litert``, the edge extra).

Two kinds of wakesmith ``.tflite`` files, told apart by their input shape:

- **streaming** (``esphome``, the C header's model): one step ``[1, stride, D]`` per invocation, the
  model's state in resource variables inside the interpreter. :meth:`TfliteBackend.forward` takes any
  whole number of steps and runs them in order; :meth:`TfliteBackend.reset` starts a fresh stream (the
  interpreter is rebuilt: that is what clears resource variables). A :class:`StreamingScorer` over this
  backend feeds no state tensors, since there are none to feed.
- **window** (``tflite``, ``tflite-int8``): a fixed window ``[1, T, D]`` → ``[1, T // stride]`` from
  the zero state; ``forward`` takes exactly that window.

Quantized inputs are quantized as pymicro-wakeword (and ESPHome) does, ``round(x / scale + zero_point)``;
quantized outputs are dequantized to probabilities. The metadata is the JSON the exporter put in the
flatbuffer's metadata table (:data:`~wakesmith.metadata.TFLITE_METADATA_NAME`). The interpreter and
the flatbuffer schema are imported only when a file is opened, so the light runtime never needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wakesmith.errors import ArtifactError, ToolMissingError
from wakesmith.metadata import TFLITE_METADATA_NAME, ModelMetadata
from wakesmith.runtime.graph import FEATURES, SCORES

EDGE_HINT = "pip install 'wakesmith[edge]'"


def tflite_schema() -> Any:
    """The TFLite flatbuffer schema module (from ai-edge-litert; no TensorFlow needed)."""
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError:
        raise ToolMissingError(f"Reading TFLite files needs ai-edge-litert: {EDGE_HINT}.") from None
    return schema_py_generated


def read_tflite_metadata(data: bytes) -> ModelMetadata | None:
    """The wakesmith metadata embedded in a ``.tflite`` (None if it has none)."""
    schema = tflite_schema()
    model = schema.Model.GetRootAs(data, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() and entry.Name().decode() == TFLITE_METADATA_NAME:
            raw = model.Buffers(entry.Buffer()).DataAsNumpy()
            return ModelMetadata.from_json(bytes(raw), source="the TFLite file")
    return None


def _interpreter(data: bytes, threads: int | None) -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise ToolMissingError(f"Running TFLite files needs ai-edge-litert: {EDGE_HINT}.") from None
    interpreter = Interpreter(model_content=data, num_threads=threads)
    interpreter.allocate_tensors()
    return interpreter


class TfliteBackend:
    """A wakesmith ``.tflite`` behind the backend interface; see the module docstring."""

    def __init__(self, data: bytes, metadata: ModelMetadata, *, threads: int | None = None) -> None:
        self.metadata = metadata
        self._data = data
        self._threads = threads
        self.input_names = [FEATURES]
        self.output_names = [SCORES]
        self._interpreter = _interpreter(data, threads)
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.input_frames = int(self._input["shape"][1])
        """Frames per invocation: the stride (streaming file) or the window (window file)."""
        self.streaming = self.input_frames == metadata.stride
        """Whether the file steps through a stream with its state inside (else: fixed windows)."""

    @classmethod
    def load(cls, path: Path | str, *, threads: int | None = None) -> TfliteBackend:
        path = Path(path)
        if not path.is_file():
            raise ArtifactError(f"No TFLite model at {path}; export one with `wakesmith export`.")
        data = path.read_bytes()
        try:
            metadata = read_tflite_metadata(data)
        except ArtifactError:
            raise
        except Exception as exc:  # the flatbuffer reader raises untyped errors on corrupt files
            raise ArtifactError(f"{path} is not a readable TFLite model: {exc}") from None
        if metadata is None:
            raise ArtifactError(
                f"{path} carries no wakesmith metadata ({TFLITE_METADATA_NAME!r} in its metadata table); "
                "only files exported by wakesmith can be run."
            )
        return cls(data, metadata, threads=threads)

    def reset(self) -> None:
        """Start a fresh stream: the interpreter is rebuilt, whose CALL_ONCE subgraph sets the ring buffers
        to their reset values again (zeros, or the silence state of a ``reset: silence`` sentry)."""
        self._interpreter = _interpreter(self._data, self._threads)

    def forward(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        x = np.asarray(feeds[FEATURES], dtype=np.float32)
        if x.ndim != 3 or x.shape[0] != 1 or x.shape[1] % self.input_frames:
            raise ArtifactError(
                f"This TFLite file takes features [1, {'k × ' if self.streaming else ''}"
                f"{self.input_frames}, D]; got {list(x.shape)}."
            )
        if not self.streaming and x.shape[1] != self.input_frames:
            raise ArtifactError(f"This TFLite window model scores exactly {self.input_frames} frames.")
        scores = [
            self._invoke(x[:, i : i + self.input_frames]) for i in range(0, x.shape[1], self.input_frames)
        ]
        out = np.concatenate(scores, axis=1) if scores else np.zeros((1, 0), np.float32)
        return {SCORES: out.astype(np.float32, copy=False)}

    def _invoke(self, x: np.ndarray) -> np.ndarray:
        inp, out = self._input, self._output
        if inp["dtype"] != np.float32:
            scale, zero = inp["quantization"]
            info = np.iinfo(inp["dtype"])
            x = np.clip(np.round(x / scale + zero), info.min, info.max).astype(inp["dtype"])
        self._interpreter.set_tensor(inp["index"], np.ascontiguousarray(x))
        self._interpreter.invoke()
        y = self._interpreter.get_tensor(out["index"])
        if out["dtype"] != np.float32:
            scale, zero = out["quantization"]
            y = (y.astype(np.float32) - zero) * scale
        return np.asarray(y, dtype=np.float32).reshape(1, -1)
