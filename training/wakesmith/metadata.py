"""The model contract: :class:`ModelMetadata`, the one class every stage reads from training to runtime.

Training writes it (``metadata.json``, the torch checkpoint), every export embeds it (ONNX
``metadata_props``, the TFLite flatbuffer's metadata table, the C header) as :meth:`ModelMetadata.to_json`,
and every reader (runtime backends, scorers, the Judge, exporters) gets it back through
:meth:`ModelMetadata.load`: migrated from older schema versions, then validated. A missing or unknown
key is an :class:`ArtifactError` naming it; nothing falls back to a default on read.

Schema versions:

- **1**: the first format. ``schema_version`` could be absent, and readers filled the keys below
  (:data:`V1_DEFAULTS`, and any key of the features/detector sections) with defaults.
- **2**: every key present and checked.
- **3**: ``features.agc_dbfs`` (per-window gain normalization; absent, i.e. None, before).

pydantic and the core only (no torch): the light runtime and the Judge import this module.
"""

from __future__ import annotations

import json
import time
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wakesmith import __version__
from wakesmith.config import SAMPLE_RATE, DetectorConfig, FeatureConfig, ModelConfig
from wakesmith.errors import ArtifactError

SCHEMA_VERSION = 4
ONNX_METADATA_KEY = "wakesmith"
"""Key of the metadata JSON in an ONNX file's ``metadata_props``."""
TFLITE_METADATA_NAME = "wakesmith"
"""Name of the metadata entry (a flatbuffer buffer holding the JSON) in a ``.tflite`` file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AudioSpec(_Strict):
    sample_rate: int = SAMPLE_RATE
    channels: int = 1
    sample_width: int = 2


class Threshold(_Strict):
    """A calibrated operating point: the cutoff, and what it was measured to do."""

    name: str
    threshold: float
    target_fa_per_hour: float
    fa_per_hour: float
    """Measured on the calibration stream (validation speakers)."""
    recall: float
    """Measured on the validation positives."""


class ModelMetadata(_Strict):
    """Everything a reader needs to run a model: role, phrase, audio, front end, architecture,
    streaming shape, detector, calibrated thresholds and provenance. Defaults serve writers only."""

    schema_version: int = SCHEMA_VERSION
    model_id: str
    role: Literal["sentry", "judge"]
    phrase: str
    language: str = "en"
    """The phrase's language (the ESPHome manifest's ``trained_languages``)."""
    labels: list[str] = Field(default_factory=lambda: ["not_wake_word", "wake_word"])
    audio: AudioSpec = Field(default_factory=AudioSpec)
    features: FeatureConfig
    model: ModelConfig
    streaming: bool
    stride: int
    window_frames: int | None = None
    """Window models: frames per scored window."""
    state_shapes: list[list[int]] = Field(default_factory=list)
    """Streaming models: the shape of each state tensor (batch 1)."""
    detector: DetectorConfig
    thresholds: list[Threshold] = Field(default_factory=list)
    cascade_thresholds: list[Threshold] = Field(default_factory=list)
    """A judge's thresholds for triggers from its sentry, calibrated on the cascade as a whole
    (``wakesmith evaluate cascade``); empty until then."""
    parameters: int = 0
    recipe_digest: str = ""
    dataset: str = ""
    dataset_lineage: str = ""
    created: str = Field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    wakesmith_version: str = __version__

    @model_validator(mode="after")
    def _consistent(self) -> ModelMetadata:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(
                f"schema_version must be {SCHEMA_VERSION} (load older ones with ModelMetadata.load)"
            )
        if self.stride < 1:
            raise ValueError(f"stride must be at least 1 (got {self.stride})")
        if self.streaming and not self.state_shapes:
            raise ValueError("a streaming model lists its state_shapes")
        if not self.streaming and (self.window_frames is None or self.window_frames < 1):
            raise ValueError("a window model gives its window_frames (at least 1)")
        return self

    def threshold(self, name: str = "default") -> float:
        """The calibrated threshold of preset ``name``, or the detector's configured one if uncalibrated."""
        for t in self.thresholds:
            if t.name == name:
                return t.threshold
        return self.detector.threshold

    def trigger_threshold(self, name: str = "default") -> float:
        """A judge's threshold of preset ``name`` for a sentry's triggers: calibrated on the cascade
        when it was (``cascade_thresholds``), else the stand-alone one."""
        for t in self.cascade_thresholds:
            if t.name == name:
                return t.threshold
        return self.threshold(name)

    def to_json(self) -> str:
        """The JSON every file embeds (sorted keys, so equal metadata gives equal bytes)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "model") -> ModelMetadata:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ArtifactError(f"The metadata of {source} is not JSON: {exc}") from None
        return cls.load(data, source=source)

    @classmethod
    def load(cls, data: Any, *, source: str = "model") -> ModelMetadata:
        """Migrate ``data`` (a dict) to the current schema and validate it; errors name the key."""
        if not isinstance(data, dict):
            raise ArtifactError(f"The metadata of {source} is not a JSON object.")
        data = migrate(data, source)
        missing = missing_keys(cls, data)
        if missing:
            raise ArtifactError(
                f"The metadata of {source} lacks {', '.join(missing)}: it was not written by wakesmith, "
                "or by an incompatible version. Re-export it with `wakesmith export`."
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ArtifactError(f"The metadata of {source} is invalid: {_explain(exc)}") from None


def _explain(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "metadata"
        if e["type"] == "extra_forbidden":
            parts.append(f"unknown key {where!r}")
        else:
            parts.append(f"{where}: {e['msg']} (got {e.get('input')!r})")
    return "; ".join(parts)


def _model_class(annotation: Any) -> type[BaseModel] | None:
    """The pydantic class inside ``annotation`` (``X``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_class(arg)
            if found is not None:
                return found
    return None


def missing_keys(cls: type[BaseModel], data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of every field of ``cls`` (recursively, into sections and lists of them) that
    ``data`` lacks."""
    missing: list[str] = []
    for name, field in cls.model_fields.items():
        key = f"{prefix}{name}"
        if name not in data:
            missing.append(key)
            continue
        value = data[name]
        sub = _model_class(field.annotation)
        if sub is not None and isinstance(value, dict):
            missing += missing_keys(sub, value, f"{key}.")
        elif typing.get_origin(field.annotation) is list and isinstance(value, list):
            (item,) = typing.get_args(field.annotation)
            item_cls = _model_class(item)
            if item_cls is not None:
                for i, v in enumerate(value):
                    if isinstance(v, dict):
                        missing += missing_keys(item_cls, v, f"{key}[{i}].")
    return missing


# ----------------------------------------------------------------------------- migrations

V1_DEFAULTS: dict[str, Any] = {
    "labels": ["not_wake_word", "wake_word"],
    "audio": AudioSpec().model_dump(),
    "window_frames": None,
    "state_shapes": [],
    "thresholds": [],
    "cascade_thresholds": [],
    "parameters": 0,
    "recipe_digest": "",
    "dataset": "",
    "dataset_lineage": "",
    "created": "",
    "wakesmith_version": "",
}
"""Keys a version-1 reader filled in when absent (``created`` and the version are unknown then)."""


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 → 2: write out every default a version-1 reader applied."""
    out = {**V1_DEFAULTS, **data, "schema_version": 2}
    for key, section in (("features", FeatureConfig), ("detector", DetectorConfig)):
        if isinstance(out.get(key, {}), dict):
            out[key] = {**section().model_dump(mode="json"), **out.get(key, {})}
    return out


def _from_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 → 3: models before ``features.agc_dbfs`` had no gain normalization."""
    out = {**data, "schema_version": 3}
    if isinstance(out.get("features"), dict):
        out["features"] = {"agc_dbfs": None, **out["features"]}
    return out


def _from_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 → 4: models before ``language`` were all trained on English."""
    return {"language": "en", **data, "schema_version": 4}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1, 2: _from_v2, 3: _from_v3}
"""``version → function`` turning metadata of that version into the next one."""


def migrate(data: dict[str, Any], source: str = "model") -> dict[str, Any]:
    """``data`` brought to :data:`SCHEMA_VERSION` (absent ``schema_version`` means version 1)."""
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise ArtifactError(f"The metadata of {source} has an invalid schema_version {version!r}.")
    if version > SCHEMA_VERSION:
        raise ArtifactError(
            f"{source} was written by a newer wakesmith (metadata schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade wakesmith."
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return data


# ----------------------------------------------------------------------------- ONNX carrier


def embed_in_onnx(proto: Any, metadata: ModelMetadata) -> None:
    """Put ``metadata`` in an ONNX ``ModelProto``'s ``metadata_props`` (replacing an earlier copy,
    keeping other props). Works on the proto object alone, so this module never imports onnx."""
    kept = [p for p in proto.metadata_props if p.key != ONNX_METADATA_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    proto.metadata_props.add(key=ONNX_METADATA_KEY, value=metadata.to_json())
