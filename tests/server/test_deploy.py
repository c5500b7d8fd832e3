"""Deploying to an ESPHome ``custom_wake_words`` folder: written as a pair, recorded, undone when another
target fails, rolled back on request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wakesmith import api
from wakesmith.artifact import Artifact
from wakesmith.home import Home

WORD = "hey_katya"
OLD_MANIFEST = '{"type": "micro", "wake_word": "hey katya", "model": "hey_katya.tflite", "version": 2}\n'
OLD_MODEL = b"TFL3-the-model-deployed-before"
NEW_MODEL = b"TFL3-this-model"


@pytest.fixture
def sentry(model_home: Home) -> Artifact:
    """The trained tiny sentry with an ESPHome export beside it (manifest + model file, as
    ``api.export(…, "esphome")`` writes them; the bytes stand in for TensorFlow's converter)."""
    art = api.list_models(home=model_home)[0]
    folder = art.path / "esphome"
    folder.mkdir()
    manifest = {
        "type": "micro",
        "wake_word": "hey katya",
        "author": "wakesmith",
        "model": "tiny.tflite",
        "trained_languages": ["en"],
        "version": 2,
        "micro": {
            "probability_cutoff": 0.9,
            "sliding_window_size": 5,
            "feature_step_size": 10,
            "tensor_arena_size": 20000,
            "minimum_esphome_version": "2024.7.0",
        },
    }
    (folder / "tiny.json").write_text(json.dumps(manifest))
    (folder / "tiny.tflite").write_bytes(NEW_MODEL)
    return art


@pytest.fixture
def wake_words(tmp_path: Path) -> Path:
    folder = tmp_path / "custom_wake_words"
    folder.mkdir()
    (folder / f"{WORD}.json").write_text(OLD_MANIFEST)
    (folder / f"{WORD}.tflite").write_bytes(OLD_MODEL)
    return folder


def _pair(folder: Path) -> tuple[str, bytes]:
    return (folder / f"{WORD}.json").read_text(), (folder / f"{WORD}.tflite").read_bytes()


def test_a_folder_deploy_writes_the_pair_and_rolls_back(
    model_home: Home, sentry: Artifact, client: TestClient, wake_words: Path
) -> None:
    r = client.post(
        "/api/deploy",
        json={
            "model_id": sentry.model_id,
            "targets": [{"kind": "custom_wake_words", "folder": str(wake_words)}],
        },
    )
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["state"] == "succeeded" and record["results"][0]["ok"]
    manifest, model = _pair(wake_words)
    assert model == NEW_MODEL
    assert json.loads(manifest)["model"] == f"{WORD}.tflite"  # the manifest names the file beside it
    assert json.loads(manifest)["micro"]["probability_cutoff"] == 0.9
    assert not list(wake_words.glob(".*.tmp"))

    back = client.post(f"/api/deploys/{record['id']}/rollback")
    assert back.status_code == 200, back.text
    assert back.json()["state"] == "succeeded" and back.json()["rollback_of"] == record["id"]
    assert _pair(wake_words) == (OLD_MANIFEST, OLD_MODEL)
    states = {d["id"]: d["state"] for d in client.get("/api/deploys").json()}
    assert states == {record["id"]: "rolled_back", back.json()["id"]: "succeeded"}
    assert client.get(f"/api/deploys/{record['id']}").json()["state"] == "rolled_back"
    again = client.post(f"/api/deploys/{record['id']}/rollback")
    assert again.status_code == 422 and "rolled_back" in again.json()["detail"]
    assert [a["action"] for a in client.get("/api/audit").json()] == ["rollback", "deploy"]


def test_a_first_deploy_rolled_back_leaves_the_folder_as_it_was(
    model_home: Home, sentry: Artifact, client: TestClient, tmp_path: Path
) -> None:
    folder = tmp_path / "fresh"
    target = [{"kind": "custom_wake_words", "folder": str(folder)}]
    record = client.post("/api/deploy", json={"model_id": sentry.model_id, "targets": target}).json()
    assert sorted(p.name for p in folder.iterdir()) == [f"{WORD}.json", f"{WORD}.tflite"]
    client.post(f"/api/deploys/{record['id']}/rollback")
    assert list(folder.iterdir()) == []


def test_when_one_target_fails_the_others_are_undone_and_it_is_recorded(
    model_home: Home, sentry: Artifact, client: TestClient, wake_words: Path
) -> None:
    targets = [
        {"kind": "custom_wake_words", "folder": str(wake_words)},
        {"kind": "judge", "url": "http://127.0.0.1:9", "token": "secret", "name": "hey_katya"},
    ]
    r = client.post("/api/deploy", json={"model_id": sentry.model_id, "targets": targets})
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["state"] == "failed"
    folder_result, judge_result = record["results"]
    assert not judge_result["ok"] and "a Judge serves judge models" in judge_result["message"]
    assert not folder_result["ok"] and "undone" in folder_result["message"]
    assert _pair(wake_words) == (OLD_MANIFEST, OLD_MODEL)
    assert "secret" not in json.dumps(client.get("/api/deploys").json())  # tokens are never kept


def test_deploys_that_cannot_start_say_why(model_home: Home, client: TestClient, tmp_path: Path) -> None:
    art = api.list_models(home=model_home)[0]  # no ESPHome export
    target = [{"kind": "custom_wake_words", "folder": str(tmp_path / "w")}]
    r = client.post("/api/deploy", json={"model_id": art.model_id, "targets": target}).json()
    assert r["state"] == "failed" and "export it first" in r["results"][0]["message"]
    assert client.post("/api/deploy", json={"model_id": "nope", "targets": target}).status_code == 404
    assert client.post("/api/deploy", json={"model_id": art.model_id, "targets": []}).status_code == 422
    unknown = client.post("/api/deploy", json={"model_id": art.model_id, "targets": [{"kind": "ftp"}]})
    assert unknown.status_code == 422
    assert client.post("/api/deploys/nope/rollback").status_code == 404
