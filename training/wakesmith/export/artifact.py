"""Export a trained model artifact in any format of the table: what ``wakesmith export`` runs.

The format functions take a model and its metadata; this module supplies what an artifact knows
beyond them: the torch weights, the dataset it was trained on (representative features for
quantization, from the train split) and the validation audio the ESPHome cutoffs are calibrated on
(the same validation positives and calibration stream that :func:`wakesmith.api.evaluate` uses).
Exports land in ``<artifact>/exports/`` unless ``out`` is given.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from wakesmith.artifact import Artifact
from wakesmith.config import SAMPLE_RATE, Recipe, slugify
from wakesmith.errors import ArtifactError, DatasetError, ExportError
from wakesmith.events import Emitter
from wakesmith.export.formats import get_format
from wakesmith.home import Home

log = logging.getLogger(__name__)

STAGE = "export"
EXPORTS_DIR = "exports"
REPRESENTATIVE_CLIPS = 160
"""Train clips (half positives where there are enough) whose features calibrate quantization."""
SEED = 0
GAP_SECONDS = 0.5
"""Silence between the clips of the representative stream."""
DATA_FORMATS = frozenset({"esphome", "c-header", "tflite-int8"})
"""Formats that quantize, and so need representative features from the dataset."""


def load_torch_model(artifact: Artifact) -> Any:
    """The trained ``WakeModel`` of an artifact, in eval mode on the CPU."""
    from wakesmith.runtime.backends import TorchBackend

    return TorchBackend.load(artifact.path).graph.model.eval()


def artifact_home(artifact: Artifact) -> Home:
    """The data home an artifact lives in (``<home>/models/<model_id>``)."""
    return Home.resolve(artifact.path.resolve().parent.parent)


def representative_features(artifact: Artifact, recipe: Recipe, limit: int = REPRESENTATIVE_CLIPS) -> list:
    """Features of one stream made of up to ``limit`` train clips, positives first in the draw.

    The clips are joined into one recording (with short gaps) and run through one front end, as the
    device hears them: clips featurized alone start with an unadapted front end and never reach the
    model's peak on a phrase, so quantization would clip the output below the cutoff it needs.
    """
    from wakesmith.data.store import ClipStore
    from wakesmith.features import create_frontend

    home = artifact_home(artifact)
    store = ClipStore(home)
    ds = recipe.dataset_name
    positives = store.clips(ds, split="train", label="positive")
    others = [c for c in store.clips(ds, split="train") if c.label != "positive"]
    if not positives or not others:
        raise DatasetError(
            f"The dataset {ds!r} in {home.root} lacks train positives or negatives to calibrate "
            "quantization on; export from the data home the model was trained in."
        )
    rng = np.random.default_rng(SEED)
    half = limit // 2
    picked = [positives[i] for i in rng.permutation(len(positives))[:half]]
    picked += [others[i] for i in rng.permutation(len(others))[: limit - len(picked)]]
    gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE), dtype=np.float32)
    audio = np.concatenate(
        [part for i in rng.permutation(len(picked)) for part in (store.load_audio(picked[i]), gap)]
    )
    return [create_frontend(recipe.features)(audio)]


def esphome_calibration(artifact: Artifact, recipe: Recipe, emitter: Emitter) -> Any:
    """Validation positives in context and the calibration stream, as :func:`api.evaluate` builds them."""
    from wakesmith.data.store import ClipStore
    from wakesmith.evaluate.sets import build_eval_sets
    from wakesmith.export.esphome import EsphomeCalibration

    home = artifact_home(artifact)
    sets = build_eval_sets(ClipStore(home), recipe, home, emitter)
    if sets.calibration is None:
        raise DatasetError("No calibration stream could be built from the validation split.")
    return EsphomeCalibration(
        positives=sets.val_positives, negatives=[sets.calibration], presets=dict(recipe.eval.presets)
    )


def default_out(artifact: Artifact, fmt: str, suffix: str) -> Path:
    slug = slugify(artifact.metadata.phrase)
    if fmt == "esphome":
        return artifact.path / EXPORTS_DIR / "esphome" / f"{slug}{suffix}"
    return artifact.path / EXPORTS_DIR / f"{slug}.{fmt}{suffix}"


def export_artifact(
    artifact: Artifact,
    fmt: str,
    *,
    out: Path | None = None,
    calibrate: bool = True,
    emitter: Emitter | None = None,
    **options: Any,
) -> Path:
    """Export ``artifact`` as ``fmt`` to ``out`` (default: under ``<artifact>/exports/``).

    For quantizing formats the representative features come from the artifact's train split; for
    ``esphome`` the cutoffs are calibrated on the validation audio unless ``calibrate`` is False
    (then the artifact's float-model thresholds are used). The recipe's ``size_target`` applies to
    ``esphome`` unless ``max_flash_kb`` / ``max_arena_kb`` are given.
    """
    emitter = emitter or Emitter()
    if not artifact.weights_path.is_file():
        raise ArtifactError(f"{artifact.path} has no torch weights (model.pt) to export from.")
    spec = get_format(fmt)
    if fmt == "onnx" and out is None:
        out = artifact.onnx_path
    target = Path(out) if out is not None else default_out(artifact, fmt, spec.suffix)
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = artifact.metadata
    recipe = artifact.recipe()
    if fmt in DATA_FORMATS and meta.role != "sentry":
        raise ExportError(f"The {fmt} export is for sentry models; {meta.model_id} is a {meta.role}.")
    emitter.started(STAGE, message=f"{meta.model_id} → {fmt}")
    if fmt in DATA_FORMATS and "features" not in options:
        options["features"] = representative_features(artifact, recipe)
    if fmt == "esphome":
        if calibrate and "calibration" not in options:
            options["calibration"] = esphome_calibration(artifact, recipe, emitter)
        size = getattr(recipe, "size_target", None)
        if size is not None:
            options.setdefault("max_flash_kb", size.max_flash_kb)
            options.setdefault("max_arena_kb", size.max_arena_kb)
    path = spec.export(load_torch_model(artifact), meta.runtime_dict(), target, **options)
    emitter.saved(STAGE, str(path))
    emitter.finished(STAGE, f"wrote {path}")
    return path
