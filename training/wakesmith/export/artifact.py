"""Export a trained model artifact in any format of the table: what ``wakesmith export`` runs.

The format functions take a model and its :class:`~wakesmith.metadata.ModelMetadata`; this module adds
what an artifact knows beyond them: its torch weights, its recipe's size target and where its exports
go. Data a format needs (representative features, calibration audio) comes in as options, built by
the caller (:func:`wakesmith.api.export`): the export stage never opens the clip store.

Where files land: ``out`` ending in the format's suffix is the file; any other ``out`` is a folder that
receives ``<phrase>.<suffix>`` (formats that write several files) or ``<phrase>.<format><suffix>``.
Without ``out``, a format with an artifact file (``onnx`` → ``model.onnx``) rewrites it, and the others
go under ``<artifact>/exports/``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from wakesmith.artifact import Artifact
from wakesmith.config import slugify
from wakesmith.errors import ArtifactError, ExportError
from wakesmith.events import Emitter
from wakesmith.export.formats import ExportFormat, get_format

log = logging.getLogger(__name__)

STAGE = "export"
EXPORTS_DIR = "exports"


def load_torch_model(artifact: Artifact) -> Any:
    """The trained ``WakeModel`` of an artifact, in eval mode on the CPU."""
    from wakesmith.runtime.backends import TorchBackend

    return TorchBackend.load(artifact.path).graph.model.eval()


def exportable(artifact: Artifact, fmt: str) -> ExportFormat:
    """The table row of ``fmt``, once ``artifact`` is known to be exportable in it (weights, role)."""
    spec = get_format(fmt)
    if not artifact.weights_path.is_file():
        raise ArtifactError(f"{artifact.path} has no torch weights (model.pt) to export from.")
    spec.check_role(artifact.metadata)
    return spec


def output_path(artifact: Artifact, spec: ExportFormat, out: Path | str | None) -> Path:
    """Where ``spec`` writes for ``out`` (see the module docstring)."""
    slug = slugify(artifact.metadata.phrase)
    name = f"{slug}{spec.suffix}" if spec.bundle else f"{slug}.{spec.name}{spec.suffix}"
    if out is None:
        if spec.artifact_file is not None:
            return artifact.path / spec.artifact_file
        folder = artifact.path / EXPORTS_DIR
        return (folder / spec.name if spec.bundle else folder) / name
    target = Path(out)
    if target.suffix == spec.suffix and not target.is_dir():
        return target
    if target.suffix and not target.is_dir():
        raise ExportError(
            f"The {spec.name} export writes a {spec.suffix} file: give a path ending in {spec.suffix}, "
            f"or a folder (got {target})."
        )
    return target / name


def export_artifact(
    artifact: Artifact,
    fmt: str,
    *,
    out: Path | str | None = None,
    emitter: Emitter | None = None,
    **options: Any,
) -> Path:
    """Export ``artifact`` as ``fmt`` to ``out`` (see the module docstring); ``options`` go to the format.

    The recipe's ``size_target`` applies to formats with size options unless ``max_flash_kb`` /
    ``max_arena_kb`` are given.
    """
    emitter = emitter or Emitter()
    spec = exportable(artifact, fmt)
    target = output_path(artifact, spec, out)
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = artifact.metadata
    emitter.started(STAGE, message=f"{meta.model_id} → {fmt}")
    if spec.accepts("max_flash_kb") or spec.accepts("max_arena_kb"):
        size = artifact.recipe().size_target
        options.setdefault("max_flash_kb", size.max_flash_kb)
        options.setdefault("max_arena_kb", size.max_arena_kb)
    path = spec.export(load_torch_model(artifact), meta, target, **options)
    emitter.saved(STAGE, str(path))
    emitter.finished(STAGE, f"wrote {path}")
    return path
