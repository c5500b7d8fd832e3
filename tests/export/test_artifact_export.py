"""Exporting an artifact: where the files go (a file or a folder for ``--out``), what is refused, and
format knowledge read from the table only."""

from __future__ import annotations

from pathlib import Path

import pytest

from wakesmith.artifact import Artifact
from wakesmith.errors import ArtifactError, ExportError
from wakesmith.export import format_table, get_format
from wakesmith.export.artifact import exportable, output_path
from wakesmith.runtime import fake_metadata


@pytest.fixture
def sentry(tmp_path: Path) -> Artifact:
    artifact = Artifact(tmp_path / "models" / "hey-fake-sentry")
    artifact.path.mkdir(parents=True)
    artifact.save_metadata(fake_metadata("sentry", phrase="hey katya"))
    artifact.weights_path.write_bytes(b"weights")
    return artifact


def test_an_out_folder_receives_the_phrase_named_files(sentry: Artifact, tmp_path: Path) -> None:
    esphome = get_format("esphome")
    assert output_path(sentry, esphome, tmp_path / "build" / "hey_katya") == (
        tmp_path / "build" / "hey_katya" / "hey_katya.json"
    )
    assert output_path(sentry, esphome, tmp_path / "kitchen.json") == tmp_path / "kitchen.json"
    existing = tmp_path / "exports.v2"
    existing.mkdir()
    assert output_path(sentry, get_format("c-header"), existing) == existing / "hey_katya.c-header.h"
    with pytest.raises(ExportError, match=r"writes a \.json file"):
        output_path(sentry, esphome, tmp_path / "model.tflite")


def test_without_out_exports_go_in_the_artifact(sentry: Artifact) -> None:
    assert output_path(sentry, get_format("onnx"), None) == sentry.onnx_path
    assert output_path(sentry, get_format("esphome"), None) == sentry.path / "exports/esphome/hey_katya.json"
    assert output_path(sentry, get_format("tflite"), None) == sentry.path / "exports/hey_katya.tflite.tflite"


def test_roles_and_weights_are_checked_from_the_table(sentry: Artifact, tmp_path: Path) -> None:
    judge = Artifact(tmp_path / "judge")
    judge.path.mkdir()
    judge.save_metadata(fake_metadata("judge"))
    judge.weights_path.write_bytes(b"weights")
    for fmt in format_table():
        if "judge" in fmt.roles:
            assert exportable(judge, fmt.name) is fmt
        else:
            with pytest.raises(ExportError, match=f"The {fmt.name} export is for sentry models"):
                exportable(judge, fmt.name)
    sentry.weights_path.unlink()
    with pytest.raises(ArtifactError, match="no torch weights"):
        exportable(sentry, "onnx")


def test_the_table_says_what_each_format_needs() -> None:
    rows = {f.name: f for f in format_table()}
    assert {"onnx", "esphome", "tflite", "tflite-int8", "c-header"} <= set(rows)
    assert {n for n, f in rows.items() if f.accepts("features")} >= {"esphome", "tflite-int8", "c-header"}
    assert [n for n, f in rows.items() if f.accepts("calibration")] == ["esphome"]
    assert [n for n, f in rows.items() if f.bundle] == ["esphome"]
    assert rows["onnx"].artifact_file == "model.onnx" and rows["onnx"].roles == ("sentry", "judge")
