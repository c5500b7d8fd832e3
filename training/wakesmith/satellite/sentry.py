"""The exported sentry as a satellite loads it: manifest JSON + INT8 ``.tflite``, run in pymicro-wakeword.

The manifest is the ESPHome ``micro_wake_word`` v2 file ``wakesmith export sentry --format esphome``
writes; its ``probability_cutoff`` is the calibrated cutoff of the preset it was written for. The
sibling ``<stem>.presets.json`` lists every shipped preset; choosing one takes its cutoff from there.
No cutoff is ever set by hand here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wakesmith.config import SAMPLE_RATE, DetectorConfig
from wakesmith.errors import ArtifactError, ConfigError
from wakesmith.registry import did_you_mean
from wakesmith.runtime.detector import Detection, Detector
from wakesmith.runtime.pymicro import MicroWakeWordScorer, esphome_detector

PRESETS_SUFFIX = ".presets.json"


@dataclass(frozen=True)
class ShippedModel:
    """What the satellite reads from the export: the files, the wake word and the shipped cutoff."""

    manifest: Path
    tflite: Path
    wake_word: str
    cutoff: float
    sliding_window_size: int
    preset: str | None
    """The preset the cutoff came from (None: the manifest's own cutoff)."""


def _manifest_path(model: Path) -> Path:
    if model.is_dir():
        found = sorted(p for p in model.glob("*.json") if p.name.count(".") == 1)
        if len(found) != 1:
            raise ArtifactError(
                f"{model} holds {len(found)} manifests ({', '.join(p.name for p in found) or 'none'}); "
                "give the manifest .json of the model to run."
            )
        return found[0]
    if model.suffix == ".tflite":
        return model.with_suffix(".json")
    return model


def _read_json(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise ArtifactError(
            f"No {what} at {path}: export the sentry with `wakesmith export sentry --format esphome`."
        )
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path} is not a readable {what} ({exc}).") from None
    if not isinstance(data, dict):
        raise ArtifactError(f"{path} is not a {what} (a JSON object).")
    return data


def read_shipped(model: Path | str, preset: str | None = None) -> ShippedModel:
    """The exported model at ``model`` (manifest, ``.tflite`` or folder) with the cutoff to run at."""
    manifest = _manifest_path(Path(model))
    doc = _read_json(manifest, "ESPHome manifest")
    micro = doc.get("micro")
    if doc.get("type") != "micro" or not isinstance(micro, dict) or "probability_cutoff" not in micro:
        raise ArtifactError(f"{manifest} is not a micro_wake_word manifest (type: micro, version 2).")
    tflite = manifest.with_name(str(doc.get("model", "")))
    if not tflite.is_file():
        raise ArtifactError(f"{manifest} names {tflite.name!r}, which is not beside it.")
    cutoff = float(micro["probability_cutoff"])
    if preset is not None:
        stem = manifest.name.split(".")[0]
        presets = _read_json(manifest.with_name(stem + PRESETS_SUFFIX), "presets file").get("presets", {})
        if preset not in presets:
            known = sorted(presets)
            raise ConfigError(
                f"The sentry ships no preset {preset!r}.{did_you_mean(preset, known)} "
                f"Shipped: {', '.join(known)}."
            )
        cutoff = float(presets[preset]["probability_cutoff"])
    return ShippedModel(
        manifest=manifest,
        tflite=tflite,
        wake_word=str(doc.get("wake_word", "")),
        cutoff=cutoff,
        sliding_window_size=int(micro.get("sliding_window_size", 1)),
        preset=preset,
    )


def device_rule(shipped: ShippedModel) -> DetectorConfig:
    """ESPHome micro_wake_word's detection rule at the shipped cutoff: the mean of the last
    ``sliding_window_size`` probabilities reaching the cutoff, then 100 inferences (3 s) of refractory
    period — the rule the exporter calibrates with (:func:`~wakesmith.runtime.pymicro.esphome_detector`)."""
    return esphome_detector(shipped.sliding_window_size, threshold=shipped.cutoff)


class SentryStream:
    """The INT8 sentry over a live stream: audio in, detections (with their stream sample) out.

    ``rule`` is the detection rule the device applies (ESPHome's: sliding mean of
    ``sliding_window_size`` probabilities, refractory period) at the shipped cutoff. A detection fires
    at the end of the step that fired it: the sample :func:`wakesmith.runtime.cascade.trigger_samples`
    gives for the same stream.
    """

    def __init__(self, shipped: ShippedModel, rule: DetectorConfig) -> None:
        self.shipped = shipped
        self.scorer = MicroWakeWordScorer(shipped.tflite, shipped.wake_word)
        self.rule = rule
        self.detector = Detector(rule, self.scorer.step_seconds, self.scorer.first_end_s)

    def reset(self) -> None:
        self.scorer.reset()
        self.detector.reset()

    def push(self, audio: np.ndarray) -> list[tuple[int, Detection]]:
        """(trigger sample, detection) for each detection the audio completes."""
        found = self.detector.push(self.scorer.push(audio))
        return [(round(d.time_s * SAMPLE_RATE), d) for d in found]
