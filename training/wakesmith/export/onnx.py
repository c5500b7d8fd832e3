"""ONNX export: the model's :class:`ScoringGraph` (sigmoid inside) with its metadata embedded.

- Streaming model: inputs ``features`` float32 ``[1, T, D]`` (T dynamic, a multiple of the stride) and
  ``state_0 … state_{k-1}`` (fixed shapes); outputs ``scores [1, T // stride]`` and ``next_state_i``.
- Window model: input ``features`` float32 ``[B, T, D]`` (B dynamic, T = the window); output
  ``scores [B, 1]``.

The :class:`~wakesmith.metadata.ModelMetadata` is stored as JSON in ``metadata_props['wakesmith']``,
so the file alone is enough to run it (after calibration, :meth:`Artifact.update_metadata` replaces that
copy in place). The file is written atomically and, by default, checked against torch with onnxruntime before
it replaces anything.
"""

from __future__ import annotations

import copy
import logging
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch

from wakesmith.artifact import ONNX_FILE
from wakesmith.errors import ExportError
from wakesmith.export.formats import register_format
from wakesmith.fsio import atomic_write_bytes
from wakesmith.metadata import ModelMetadata, embed_in_onnx
from wakesmith.models.base import ScoringGraph, StreamingWakeModel, WakeModel
from wakesmith.runtime.graph import FEATURES, SCORES, io_names

log = logging.getLogger(__name__)

OPSET = 18
PARITY_ATOL = 1e-4
EXAMPLE_STEPS = 16
"""Output steps in the example input of a streaming model (any value works: T is dynamic)."""
EXAMPLE_BATCH = 2
"""Example batch of a window model; 2, not 1, so the exporter cannot specialise the batch dimension."""
EXPORTER_KEY = "wakesmith_exporter"
"""metadata_props key recording which torch exporter (dynamo or torchscript) wrote the graph."""
MAX_STEPS = 1_000_000
MAX_BATCH = 4096


def _example(model: WakeModel, metadata: ModelMetadata, example_frames: int | None) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    if isinstance(model, StreamingWakeModel):
        frames = example_frames or model.stride * EXAMPLE_STEPS
        if frames % model.stride:
            raise ExportError(
                f"example_frames must be a multiple of the stride {model.stride} (got {frames})."
            )
        return torch.randn(1, frames, model.input_dim, generator=gen)
    frames = int(example_frames or metadata.window_frames or 0)
    if frames < 1:
        raise ExportError(
            "A window model needs its window length: put window_frames in the metadata "
            "or pass example_frames."
        )
    return torch.randn(EXAMPLE_BATCH, frames, model.input_dim, generator=gen)


def _check_matches(model: WakeModel, metadata: ModelMetadata) -> None:
    """The metadata must describe the graph being written: a file whose metadata lies cannot be run."""
    if bool(model.streaming) != metadata.streaming:
        kind = "a streaming" if metadata.streaming else "a window"
        raise ExportError(f"The metadata describes {kind} model; {type(model).__name__} is not one.")
    if int(model.stride) != metadata.stride:
        raise ExportError(f"The metadata gives stride {metadata.stride}; the model's is {model.stride}.")


def _export_proto(graph: ScoringGraph, features: torch.Tensor, *, dynamo: bool) -> onnx.ModelProto:
    """Trace ``graph`` on ``features`` with the dynamo exporter (or the TorchScript one) into a proto."""
    model = graph.model
    state = model.initial_state(1)
    inputs, outputs = io_names(model.streaming, len(state))
    args: tuple[Any, ...] = (features, state) if model.streaming else (features,)
    common: dict[str, Any] = {"input_names": inputs, "output_names": outputs, "opset_version": OPSET}
    with warnings.catch_warnings():
        # torch's exporters warn about their own internals (pytree deprecations, axis renaming).
        warnings.simplefilter("ignore")
        if dynamo:
            dims: tuple[Any, ...] = (
                ({1: model.stride * torch.export.Dim("steps", min=1, max=MAX_STEPS)}, [None] * len(state))
                if model.streaming
                else ({0: torch.export.Dim("batch", min=1, max=MAX_BATCH)},)
            )
            program = torch.onnx.export(
                graph,
                args,
                None,
                dynamo=True,
                external_data=False,
                dynamic_shapes=dims,
                verbose=False,
                **common,
            )
            if program is None:
                raise RuntimeError("the dynamo exporter returned no program")
            return program.model_proto
        axes = (
            {FEATURES: {1: "frames"}, SCORES: {1: "steps"}}
            if model.streaming
            else {FEATURES: {0: "batch"}, SCORES: {0: "batch"}}
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.onnx"
            torch.onnx.export(graph, args, path, dynamo=False, dynamic_axes=axes, **common)
            return onnx.load(str(path))


def _strip_debug_info(proto: onnx.ModelProto) -> None:
    """Drop per-node debug metadata (source stack traces with local paths): smaller, reproducible files."""
    for node in proto.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    for value in (*proto.graph.input, *proto.graph.output, *proto.graph.value_info):
        del value.metadata_props[:]


def _verify(proto: onnx.ModelProto, graph: ScoringGraph, features: torch.Tensor) -> None:
    """Run the exported graph with onnxruntime on ``features`` (and twice as many frames) vs torch."""
    import onnxruntime as ort

    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    model = graph.model
    longer = torch.cat([features, features.flip(1)], dim=1 if model.streaming else 0)
    for x in (features, longer):
        with torch.no_grad():
            expected = graph(x)
        expected_list = list(expected) if isinstance(expected, tuple) else [expected]
        feeds = {FEATURES: x.numpy()}
        if isinstance(model, StreamingWakeModel):
            names = [i.name for i in session.get_inputs()][1:]
            feeds |= {n: s.numpy() for n, s in zip(names, model.initial_state(1), strict=True)}
        got = session.run(None, feeds)
        for name, ref, out in zip(session.get_outputs(), expected_list, got, strict=True):
            err = float(np.max(np.abs(ref.numpy() - out))) if out.size else 0.0
            if out.shape != tuple(ref.shape) or err > PARITY_ATOL:
                raise ExportError(
                    f"The ONNX file disagrees with torch on {name.name!r} (shape {out.shape} vs "
                    f"{tuple(ref.shape)}, max error {err:.2e}); the export is not usable."
                )


@register_format("onnx", suffix=".onnx", options=("example_frames", "verify"), artifact_file=ONNX_FILE)
def export_onnx(
    model: WakeModel,
    metadata: ModelMetadata,
    out_path: Path | str,
    *,
    example_frames: int | None = None,
    verify: bool = True,
) -> Path:
    """ONNX (opset 18) for onnxruntime: sigmoid inside, state as inputs/outputs, metadata embedded."""
    _check_matches(model, metadata)
    # Export a CPU copy in eval mode, so the caller's model (perhaps on a GPU, perhaps training) is untouched.
    net = copy.deepcopy(model).cpu().float().eval()
    graph = ScoringGraph(net).eval()
    features = _example(net, metadata, example_frames)

    started = time.perf_counter()
    try:
        proto, exporter = _export_proto(graph, features, dynamo=True), "dynamo"
    except Exception as exc:  # the exporter raises many types; any failure means: try the other one
        log.warning("dynamo ONNX export failed (%s); falling back to the TorchScript exporter", exc)
        try:
            proto, exporter = _export_proto(graph, features, dynamo=False), "torchscript"
        except Exception as exc2:
            raise ExportError(f"ONNX export failed with both exporters: {exc2}") from exc2
    log.info(
        "exported %s to ONNX with the %s exporter in %.2f s",
        type(model).__name__,
        exporter,
        time.perf_counter() - started,
    )

    _strip_debug_info(proto)
    embed_in_onnx(proto, metadata)
    proto.metadata_props.add(key=EXPORTER_KEY, value=exporter)
    if verify:
        _verify(proto, graph, features)
    return atomic_write_bytes(Path(out_path), proto.SerializeToString())
