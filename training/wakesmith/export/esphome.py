"""The ``esphome`` format: a streaming INT8 model that stock ESPHome ``micro_wake_word`` loads.

Writes, next to each other (``out_path`` is the manifest)::

    <stem>.tflite            int8 [1, 3, 40] in, uint8 [1, 1] out, state in resource variables
    <stem>.json              manifest v2, cutoff of the default preset
    <stem>.<preset>.json     one valid manifest per sensitivity preset (point ESPHome at any of them)
    <stem>.presets.json      every preset's cutoff with the FA/h and recall it was measured at, the
                             measured arena and flash figures (ESPHome refuses extra manifest keys)

Steps: convert (:mod:`wakesmith.quantize.tflite`), check the op list against what ESPHome registers,
measure the tensor arena in TFLite-Micro, refuse the file if it breaks the size targets, then calibrate
the cutoff on the INT8 file itself through ``pymicro-wakeword`` with ESPHome's detection rule (mean of
the last ``sliding_window_size`` probabilities above the cutoff; after a detection, 100 inferences =
3 s pass before the next), on the audio given as ``calibration`` (built by
:func:`wakesmith.evaluate.calibration.calibration_audio`). TensorFlow is imported only when a file is
converted.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wakesmith.config import EvalConfig
from wakesmith.errors import ExportError
from wakesmith.evaluate.calibration import CalibrationAudio
from wakesmith.export.formats import register_format
from wakesmith.fsio import atomic_write_bytes, atomic_write_json
from wakesmith.metadata import ModelMetadata
from wakesmith.runtime.pymicro import INFERENCE_S, esphome_detector

log = logging.getLogger(__name__)

MANIFEST_VERSION = 2
FEATURE_STEP_MS = 10
MINIMUM_ESPHOME_VERSION = "2024.7.0"
"""The first ESPHome release that reads manifest v2 (streaming models with resource variables)."""
DEFAULT_AUTHOR = "wakesmith"
STEP_SECONDS = INFERENCE_S
CUTOFF_DECIMALS = 3
KIB = 1024


@dataclass(frozen=True)
class Preset:
    name: str
    probability_cutoff: float
    target_fa_per_hour: float | None
    fa_per_hour: float | None
    recall: float | None


def calibrate_cutoffs(tflite: Path, cal: CalibrationAudio, sliding_window_size: int) -> list[Preset]:
    """Score the INT8 file on ``cal`` through pymicro-wakeword; one cutoff per preset's FA/h budget."""
    from wakesmith.evaluate.report import NegativeStream, build_report
    from wakesmith.runtime.parallel import score_file
    from wakesmith.runtime.pymicro import MicroWakeWordScorer

    scorer = MicroWakeWordScorer(tflite)
    pos = [scorer.score(clip) for clip in cal.positives]
    negs = [score_file(scorer, path) for path in cal.negatives]
    report = build_report(
        tflite.stem,
        "sentry",
        pos,
        [NegativeStream("calibration", negs)],
        esphome_detector(sliding_window_size),
        STEP_SECONDS,
        EvalConfig(presets=cal.presets, target_fa_per_hour=[]),
    )
    presets = []
    for name, target in cal.presets.items():
        point = report.operating_point(name)
        if not point.met:
            log.warning("preset %s: no cutoff reaches %.2f FA/h on the %s", name, target, cal.source)
        presets.append(Preset(name, _cutoff(point.threshold), target, point.fa_per_hour, point.recall))
    return presets


def _cutoff(threshold: float) -> float:
    """Round up (never looser than measured) to the manifest's precision, within (0, 1)."""
    scale = 10**CUTOFF_DECIMALS
    return min(1.0 - 1 / scale, max(1 / scale, math.ceil(threshold * scale) / scale))


def presets_from_metadata(metadata: ModelMetadata) -> list[Preset]:
    """Presets from the artifact's thresholds (calibrated on the float model) when no audio is given."""
    found = [
        Preset(t.name, _cutoff(t.threshold), t.target_fa_per_hour, t.fa_per_hour, t.recall)
        for t in metadata.thresholds
    ]
    if found:
        return found
    return [Preset("default", _cutoff(metadata.detector.threshold), None, None, None)]


def manifest(
    metadata: ModelMetadata,
    model_file: str,
    cutoff: float,
    sliding_window_size: int,
    arena: int,
    *,
    author: str,
    website: str | None,
    languages: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A micro_wake_word manifest v2 (only the keys ESPHome's schema accepts); ``trained_languages``
    defaults to the model's language."""
    doc: dict[str, Any] = {
        "type": "micro",
        "wake_word": metadata.phrase.title(),
        "author": author,
        "model": model_file,
        "trained_languages": list(languages or [metadata.language]),
        "version": MANIFEST_VERSION,
        "micro": {
            "probability_cutoff": cutoff,
            "sliding_window_size": sliding_window_size,
            "feature_step_size": FEATURE_STEP_MS,
            "tensor_arena_size": arena,
            "minimum_esphome_version": MINIMUM_ESPHOME_VERSION,
        },
    }
    if website:
        doc["website"] = website
    return doc


def check_size(flash: int, arena: int, max_flash_kb: float | None, max_arena_kb: float | None) -> None:
    """Raise :class:`ExportError` with the measured figures when the model breaks a size target."""
    over = []
    if max_flash_kb is not None and flash > max_flash_kb * KIB:
        over.append(f"flash {flash / KIB:.1f} KiB > {max_flash_kb:g} KiB")
    if max_arena_kb is not None and arena > max_arena_kb * KIB:
        over.append(f"tensor arena {arena / KIB:.1f} KiB > {max_arena_kb:g} KiB")
    if over:
        raise ExportError(
            f"The sentry does not fit the size target ({'; '.join(over)}). Train a smaller model "
            "(model.params: channels, blocks) or raise size_target.max_flash_kb / max_arena_kb."
        )


@dataclass(frozen=True)
class EdgeModel:
    """The converted streaming INT8 file and what was measured on it."""

    data: bytes
    ops: list[str]
    arena_measured: int
    arena: int
    """The ``tensor_arena_size`` the manifest ships (:func:`wakesmith.quantize.arena.manifest_arena`)."""


def convert_checked(
    model: Any,
    metadata: ModelMetadata,
    features: Sequence[np.ndarray],
    max_flash_kb: float | None,
    max_arena_kb: float | None,
) -> EdgeModel:
    """Convert, check the ops ESPHome registers, embed the metadata, measure the arena, check sizes."""
    from wakesmith.export.oplist import check_ops
    from wakesmith.export.tflite import embed_tflite_metadata
    from wakesmith.quantize.arena import manifest_arena, measure_arena
    from wakesmith.quantize.tflite import convert_streaming_int8, stream_chunks

    data = convert_streaming_int8(model, stream_chunks(features, model.stride))
    ops = check_ops(data)
    data = embed_tflite_metadata(data, metadata)
    measured = measure_arena(data)
    arena = manifest_arena(measured)
    check_size(len(data), arena, max_flash_kb, max_arena_kb)
    return EdgeModel(data, ops, measured, arena)


def presets_document(
    metadata: ModelMetadata,
    edge: EdgeModel,
    presets: list[Preset],
    window: int,
    stem: str,
    calibration: CalibrationAudio | None,
) -> dict[str, Any]:
    """``<stem>.presets.json``: every preset's cutoff and what it was measured at, and the file's figures."""
    return {
        "model_id": metadata.model_id,
        "calibrated_on": (
            f"int8 file via pymicro-wakeword, {calibration.source}"
            if calibration
            else "float model (artifact thresholds)"
        ),
        "sliding_window_size": window,
        "flash_bytes": len(edge.data),
        "arena_bytes_measured": edge.arena_measured,
        "tensor_arena_size": edge.arena,
        "ops": edge.ops,
        "presets": {
            p.name: {
                "probability_cutoff": p.probability_cutoff,
                "target_fa_per_hour": p.target_fa_per_hour,
                "fa_per_hour": p.fa_per_hour,
                "recall": p.recall,
                "manifest": f"{stem}.{p.name}.json",
            }
            for p in presets
        },
    }


@register_format(
    "esphome",
    suffix=".json",
    options=(
        "features",
        "calibration",
        "author",
        "website",
        "languages",
        "sliding_window_size",
        "max_flash_kb",
        "max_arena_kb",
    ),
    roles=("sentry",),
    bundle=True,
)
def export_esphome(
    model: Any,
    metadata: ModelMetadata,
    out_path: Path,
    *,
    features: Sequence[np.ndarray] | None = None,
    calibration: CalibrationAudio | None = None,
    author: str = DEFAULT_AUTHOR,
    website: str | None = None,
    languages: Sequence[str] | None = None,
    sliding_window_size: int | None = None,
    max_flash_kb: float | None = None,
    max_arena_kb: float | None = None,
) -> Path:
    """ESPHome micro_wake_word: streaming INT8 .tflite + manifest v2 + sensitivity presets."""
    out_path = Path(out_path)
    if out_path.suffix != ".json":
        raise ExportError(f"The esphome export writes a manifest: give a .json path, not {out_path.name}.")
    if not features:
        raise ExportError("The esphome export needs representative features (the features= option).")
    window = int(sliding_window_size or metadata.detector.smoothing_window)
    edge = convert_checked(model, metadata, features, max_flash_kb, max_arena_kb)
    tflite = atomic_write_bytes(out_path.with_suffix(".tflite"), edge.data)
    presets = (
        calibrate_cutoffs(tflite, calibration, window) if calibration else presets_from_metadata(metadata)
    )
    default = {p.name: p for p in presets}.get("default", presets[len(presets) // 2])

    def write_manifest(path: Path, cutoff: float) -> Path:
        doc = manifest(
            metadata,
            tflite.name,
            cutoff,
            window,
            edge.arena,
            author=author,
            website=website,
            languages=languages,
        )
        return atomic_write_json(path, doc)

    for p in presets:
        write_manifest(out_path.with_name(f"{out_path.stem}.{p.name}.json"), p.probability_cutoff)
    atomic_write_json(
        out_path.with_name(f"{out_path.stem}.presets.json"),
        presets_document(metadata, edge, presets, window, out_path.stem, calibration),
    )
    log.info(
        "ESPHome model: %d bytes flash, arena %d measured / %d shipped",
        len(edge.data),
        edge.arena_measured,
        edge.arena,
    )
    return write_manifest(out_path, default.probability_cutoff)
