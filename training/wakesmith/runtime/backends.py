"""Backends: one small interface (``load``, ``forward``) over onnxruntime, torch, TFLite and a fake.

Every backend speaks the graph interface of :mod:`wakesmith.runtime.graph`: feeds ``features`` (and
``state_i`` for streaming models), returns ``scores`` (probabilities; and ``next_state_i``), and
carries the file's :class:`~wakesmith.metadata.ModelMetadata`. Scorers only see this interface, so
an exported file is measured exactly as it will run.

torch is imported lazily, inside :class:`TorchBackend`, and the TFLite interpreter inside
:mod:`wakesmith.runtime.tflite`: the Judge runs with onnxruntime only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import onnxruntime as ort

from wakesmith.artifact import Artifact
from wakesmith.config import DetectorConfig, FeatureConfig, ModelConfig
from wakesmith.errors import ArtifactError
from wakesmith.metadata import ONNX_METADATA_KEY, ModelMetadata
from wakesmith.runtime.graph import FEATURES, SCORES, graph_names, io_names, state_output

if TYPE_CHECKING:
    from torch import nn

log = logging.getLogger(__name__)

ONNX_SUFFIX = ".onnx"
TORCH_SUFFIX = ".pt"
TFLITE_SUFFIX = ".tflite"

Feeds = dict[str, np.ndarray]


@runtime_checkable
class Backend(Protocol):
    """A loaded model: its metadata, its input/output names, and ``forward(feeds) -> outputs``."""

    metadata: ModelMetadata
    input_names: list[str]
    output_names: list[str]

    def forward(self, feeds: Feeds) -> Feeds:
        """Run the graph once; ``feeds`` maps every input name to a float32 array."""
        ...


class OnnxBackend:
    """onnxruntime on the CPU; metadata comes from the file's ``metadata_props``."""

    def __init__(
        self, session: ort.InferenceSession, metadata: ModelMetadata, path: Path | None = None
    ) -> None:
        self.session = session
        self.metadata = metadata
        self.path = path
        """The file it was loaded from (None when built from a session)."""
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_names = [o.name for o in session.get_outputs()]

    @classmethod
    def load(cls, path: Path | str, *, threads: int | None = None) -> OnnxBackend:
        """Open an exported ``.onnx`` file; ``threads``: onnxruntime intra-op threads (default: its own)."""
        path = Path(path)
        if not path.is_file():
            raise ArtifactError(f"No ONNX model at {path}; export one with `wakesmith export`.")
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for corrupt files
            raise ArtifactError(f"{path} is not a loadable ONNX model: {exc}") from None
        raw = session.get_modelmeta().custom_metadata_map.get(ONNX_METADATA_KEY)
        if raw is None:
            raise ArtifactError(
                f"{path} carries no wakesmith metadata ({ONNX_METADATA_KEY!r} in metadata_props); "
                "only files exported by wakesmith can be run."
            )
        backend = cls(session, ModelMetadata.from_json(raw, source=str(path)), path)
        inputs, outputs = graph_names(backend.metadata)
        if backend.input_names != inputs or backend.output_names != outputs:
            raise ArtifactError(
                f"{path} has inputs {backend.input_names} and outputs {backend.output_names}, "
                f"but its metadata describes {inputs} → {outputs}; re-export it."
            )
        return backend

    def forward(self, feeds: Feeds) -> Feeds:
        outputs = self.session.run(self.output_names, feeds)
        return dict(zip(self.output_names, outputs, strict=True))


class TorchBackend:
    """A torch ``WakeModel`` behind the same feeds and outputs as its ONNX graph (sigmoid included)."""

    def __init__(self, model: nn.Module, metadata: ModelMetadata) -> None:
        from wakesmith.models.base import ScoringGraph, StreamingWakeModel, WakeModel

        if not isinstance(model, WakeModel):
            raise ArtifactError(f"TorchBackend needs a wakesmith WakeModel, got {type(model).__name__}.")
        self.graph = ScoringGraph(model).eval()
        self.metadata = metadata
        self._streaming = isinstance(model, StreamingWakeModel)
        n_states = len(model.initial_state(1)) if isinstance(model, StreamingWakeModel) else 0
        self.input_names, self.output_names = io_names(self._streaming, n_states)

    @classmethod
    def load(cls, path: Path | str) -> TorchBackend:
        """Load ``model.pt`` (or a model folder holding one): weights plus the metadata saved beside them."""
        path = Path(path)
        weights = Artifact(path).weights_path if path.is_dir() else path
        if not weights.is_file():
            raise ArtifactError(f"No torch weights at {weights}; pass a model folder or its model.pt.")
        try:
            import torch
        except ImportError:
            raise ArtifactError(
                f"Running {weights} needs torch, which is not installed here (install wakesmith[train]); "
                "or run the model's .onnx file instead."
            ) from None
        from wakesmith.features import create_frontend
        from wakesmith.models import create_model

        payload = torch.load(weights, map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or "state_dict" not in payload or "metadata" not in payload:
            raise ArtifactError(
                f"{weights} is not a wakesmith checkpoint (expected state_dict and metadata)."
            )
        metadata = ModelMetadata.load(payload["metadata"], source=str(weights))
        spec = metadata.model
        dim = create_frontend(metadata.features).dim
        model = create_model(spec.name, dim, window_frames=metadata.window_frames, **spec.params)
        model.load_state_dict(payload["state_dict"])
        return cls(model, metadata)

    def forward(self, feeds: Feeds) -> Feeds:
        import torch

        with torch.inference_mode():
            features = torch.from_numpy(np.ascontiguousarray(feeds[FEATURES], dtype=np.float32))
            if self._streaming:
                state = [
                    torch.from_numpy(np.ascontiguousarray(feeds[n], dtype=np.float32))
                    for n in self.input_names[1:]
                ]
                out = self.graph(features, state)
            else:
                out = self.graph(features)
        tensors = list(out) if isinstance(out, tuple) else [out]
        return {name: t.numpy() for name, t in zip(self.output_names, tensors, strict=True)}


def fake_metadata(role: str = "judge", **overrides: Any) -> ModelMetadata:
    """Valid metadata for a :class:`FakeBackend`: a 1.5 s log-mel judge or a micro sentry. ``overrides``
    replace top-level keys and go through the same validation as a file's metadata."""
    if role == "sentry":
        meta = ModelMetadata(
            model_id="fake-sentry",
            role="sentry",
            phrase="hey fake",
            features=FeatureConfig(name="micro"),
            model=ModelConfig(name="sentry_tcn"),
            streaming=True,
            stride=3,
            state_shapes=[[1, 1, 1]],
            detector=DetectorConfig(),
        )
    else:
        meta = ModelMetadata(
            model_id="fake-judge",
            role="judge",
            phrase="hey fake",
            features=FeatureConfig(name="logmel", window_ms=25.0),
            model=ModelConfig(name="judge_resnet"),
            streaming=False,
            stride=1,
            window_frames=148,
            detector=DetectorConfig(),
        )
    if not overrides:
        return meta
    return ModelMetadata.load(meta.model_dump(mode="json") | overrides, source=f"fake {role}")


class FakeBackend:
    """A public test helper (not a model runtime): scripted scores for server and detector tests.

    Each call consumes one score per output step (streaming) or per window (batch), in order; after
    the script runs out it returns ``after``. Code that serves real models never constructs one."""

    def __init__(
        self,
        scores: Sequence[float] | np.ndarray,
        metadata: ModelMetadata | None = None,
        *,
        after: float = 0.0,
    ) -> None:
        self.metadata = metadata if metadata is not None else fake_metadata()
        self.input_names, self.output_names = graph_names(self.metadata)
        self.script = np.asarray(scores, dtype=np.float32).ravel()
        self.after = after
        self.consumed = 0
        self.calls: list[Feeds] = []
        """Every ``feeds`` received, for assertions."""

    def forward(self, feeds: Feeds) -> Feeds:
        self.calls.append(feeds)
        x = feeds[FEATURES]
        n = x.shape[1] // self.metadata.stride if self.metadata.streaming else x.shape[0]
        taken = self.script[self.consumed : self.consumed + n]
        taken = np.concatenate([taken, np.full(n - len(taken), self.after, dtype=np.float32)])
        self.consumed += n
        if not self.metadata.streaming:
            return {SCORES: taken.reshape(n, 1)}
        states = {state_output(i): feeds[name] for i, name in enumerate(self.input_names[1:])}
        return {SCORES: taken.reshape(1, n), **states}


def load_backend(path: Path | str, *, threads: int | None = None) -> Backend:
    """Open a model by suffix: ``.onnx`` → onnxruntime; ``.tflite`` → the TFLite interpreter (edge
    extra); ``.pt`` or a model folder → torch."""
    path = Path(path)
    if path.suffix == ONNX_SUFFIX:
        return OnnxBackend.load(path, threads=threads)
    if path.suffix == TFLITE_SUFFIX:
        from wakesmith.runtime.tflite import TfliteBackend

        return TfliteBackend.load(path, threads=threads)
    if path.suffix == TORCH_SUFFIX or path.is_dir():
        return TorchBackend.load(path)
    raise ArtifactError(
        f"Cannot run {path}: expected a {ONNX_SUFFIX} file, a {TFLITE_SUFFIX} file, a {TORCH_SUFFIX} file "
        "or a model folder."
    )
