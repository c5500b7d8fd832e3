"""ModelMetadata is the one contract from training to runtime: strict on read, versioned, migrated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wakesmith.artifact import Artifact
from wakesmith.config import DetectorConfig, FeatureConfig, ModelConfig
from wakesmith.errors import ArtifactError
from wakesmith.metadata import SCHEMA_VERSION, ModelMetadata, Threshold, migrate

V1_BLOB = {
    "schema_version": 1,
    "model_id": "hey-katya-sentry-20250101-000000",
    "role": "sentry",
    "phrase": "hey katya",
    "features": {"name": "micro"},
    "model": {"name": "sentry_tcn", "params": {"channels": 16}},
    "streaming": True,
    "stride": 3,
    "state_shapes": [[1, 4, 1, 16]],
    "detector": {"threshold": 0.7, "smoothing_window": 3},
    "thresholds": [
        {"name": "default", "threshold": 0.8, "target_fa_per_hour": 0.5, "fa_per_hour": 0.4, "recall": 0.9}
    ],
    "dataset": "hey_katya",
}
"""Version-1 metadata as the first wakesmith wrote and read it: sections partly filled, keys left out."""


def _meta() -> ModelMetadata:
    return ModelMetadata(
        model_id="m",
        role="judge",
        phrase="hey katya",
        features=FeatureConfig(name="logmel", window_ms=25.0),
        model=ModelConfig(name="judge_resnet"),
        streaming=False,
        stride=1,
        window_frames=148,
        detector=DetectorConfig(),
        thresholds=[
            Threshold(name="default", threshold=0.6, target_fa_per_hour=1, fa_per_hour=0.5, recall=0.9)
        ],
    )


def test_round_trips_through_json_exactly() -> None:
    meta = _meta()
    assert ModelMetadata.from_json(meta.to_json()) == meta
    assert json.loads(meta.to_json())["schema_version"] == SCHEMA_VERSION


def test_a_missing_key_is_an_error_naming_it() -> None:
    data = json.loads(_meta().to_json())
    del data["stride"], data["detector"]["cooldown_s"], data["thresholds"][0]["recall"]
    with pytest.raises(ArtifactError, match=r"lacks stride, detector\.cooldown_s, thresholds\[0\]\.recall"):
        ModelMetadata.load(data, source="probe")


def test_an_unknown_key_is_an_error_naming_it() -> None:
    data = json.loads(_meta().to_json())
    data["calibrated_by"] = "me"
    with pytest.raises(ArtifactError, match="unknown key 'calibrated_by'"):
        ModelMetadata.load(data)
    data = json.loads(_meta().to_json())
    data["features"]["sample_rate"] = 8000
    with pytest.raises(ArtifactError, match=r"unknown key 'features\.sample_rate'"):
        ModelMetadata.load(data)


def test_a_newer_schema_is_refused_with_what_to_do() -> None:
    data = json.loads(_meta().to_json()) | {"schema_version": SCHEMA_VERSION + 1}
    with pytest.raises(ArtifactError, match=r"newer wakesmith.*upgrade"):
        ModelMetadata.load(data)


def test_version_1_metadata_loads_with_the_defaults_its_readers_applied() -> None:
    meta = ModelMetadata.load(dict(V1_BLOB))
    assert meta.schema_version == SCHEMA_VERSION
    assert meta.features == FeatureConfig(name="micro")
    assert meta.detector == DetectorConfig(threshold=0.7, smoothing_window=3)
    assert meta.threshold("default") == 0.8 and meta.threshold("strict") == 0.7
    assert meta.labels == ["not_wake_word", "wake_word"] and meta.audio.sample_rate == 16_000
    assert meta.window_frames is None and meta.parameters == 0 and meta.created == ""
    unversioned = {k: v for k, v in V1_BLOB.items() if k != "schema_version"}
    assert ModelMetadata.load(unversioned) == meta
    assert migrate(dict(V1_BLOB))["schema_version"] == SCHEMA_VERSION


def test_an_artifact_written_at_version_1_still_opens(tmp_path: Path) -> None:
    (tmp_path / "metadata.json").write_text(json.dumps(V1_BLOB))
    assert Artifact(tmp_path).metadata.model_id == V1_BLOB["model_id"]


def test_version_2_metadata_gains_gain_normalization_switched_off() -> None:
    """Schema 3 added ``features.agc_dbfs``; a version-2 model had none, and loads as such."""
    data = json.loads(_meta().to_json())
    del data["features"]["agc_dbfs"]
    data["schema_version"] = 2
    del data["language"]
    meta = ModelMetadata.load(data)
    assert meta.schema_version == SCHEMA_VERSION == 4
    assert meta.features.agc_dbfs is None and meta.features.window_ms == 25.0
    with pytest.raises(ArtifactError, match="agc_dbfs"):
        ModelMetadata.load({**data, "schema_version": 3})  # at version 3 the key must be there


def test_version_3_metadata_was_english() -> None:
    """Schema 4 added ``language``; every earlier model was trained on English."""
    data = json.loads(_meta().to_json())
    del data["language"]
    data["schema_version"] = 3
    assert ModelMetadata.load(data).language == "en"
    with pytest.raises(ArtifactError, match="language"):
        ModelMetadata.load({**data, "schema_version": 4})
