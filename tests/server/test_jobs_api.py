"""Training requests, jobs, logs, the status socket, models and /metrics, with a real worker (a thread
running :func:`run_worker` over the same home), a real tiny training and a real tiny synthesis."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tiny_data import DATASET, FAST, audio_bytes, tone

from wakesmith.audio.io import write_wav
from wakesmith.home import Home
from wakesmith.jobs.queue import JobQueue
from wakesmith.jobs.worker import run_worker

WAIT_S = 120.0


@pytest.fixture
def worker(model_home: Home) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(model_home,), kwargs={"stop": stop}, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(60)


def _captures(folder: Path, n: int) -> Path:
    """A Judge capture folder: ``rejected/<stamp>_<satellite>_<n>.wav`` + its JSON side file."""
    (folder / "rejected").mkdir(parents=True)
    for i in range(n):
        wav = folder / "rejected" / f"20261201-120000_kitchen_{i}.wav"
        write_wav(wav, tone(650, 5000 + i))
        wav.with_suffix(".json").write_text(json.dumps({"satellite": "kitchen", "score": 0.2}))
    return folder


def test_training_requests_are_checked_before_they_are_queued(client: TestClient) -> None:
    bad_key = client.post(
        "/api/train", json={"dataset_id": "hk", "kind": "sentry", "overrides": {"train.epoch": 3}}
    )
    assert bad_key.status_code == 422
    assert "train.epoch" in bad_key.json()["detail"] and "epochs" in bad_key.json()["detail"]  # a suggestion
    wrong_role = client.post("/api/train", json={"dataset_id": "hk", "kind": "judge", "recipe": "tiny"})
    assert wrong_role.status_code == 422 and "trains a sentry, not a judge" in wrong_role.json()["detail"]
    assert client.post("/api/train", json={"dataset_id": "hk", "kind": "teacher"}).status_code == 422
    empty = client.post("/api/train", json={"dataset_id": "hk", "kind": "sentry", "recipe": "tiny"})
    assert empty.status_code == 422 and "Dataset 'hk' has no clips" in empty.json()["detail"]
    assert client.get("/api/jobs").json() == []


def test_a_queued_job_is_listed_tailed_and_cancelled(client: TestClient) -> None:
    upload = {"audio": ("a.wav", audio_bytes())}
    client.post("/api/datasets/hk/recordings", files=upload, data={"label": "positive"})
    r = client.post("/api/train", json={"dataset_id": "hk", "kind": "sentry", "recipe": "tiny"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    job = client.get(f"/api/jobs/{job_id}").json()
    assert (job["state"], job["progress"], job["eta_s"], job["user"]) == ("queued", None, None, "token")
    assert [j["id"] for j in client.get("/api/jobs").json()] == [job_id]
    assert client.get(f"/api/jobs/{job_id}/logs").text == ""
    assert client.post(f"/api/jobs/{job_id}/cancel").json()["state"] == "cancelled"
    again = client.post(f"/api/jobs/{job_id}/cancel")
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.get(f"/api/jobs/{job_id}/logs", params={"follow": 1}).text == "-- cancelled\n"
    assert [a["action"] for a in client.get("/api/audit").json()] == ["cancel", "train", "upload"]
    assert job["spec"]["phrase"] == ""  # a dataset made by upload alone names no phrase: the recipe's


def test_a_training_is_named_for_the_phrase_its_dataset_was_made_with(client: TestClient) -> None:
    assert client.post("/api/datasets", json={"name": "computer", "phrase": "ok computer"}).status_code == 201
    client.post(
        "/api/datasets/computer/recordings",
        files={"audio": ("a.wav", audio_bytes())},
        data={"label": "positive"},
    )
    r = client.post("/api/train", json={"dataset_id": "computer", "kind": "sentry", "recipe": "tiny"})
    job = client.get(f"/api/jobs/{r.json()['job_id']}").json()
    assert job["spec"]["phrase"] == "ok computer"
    mine = client.post("/api/train", json={"dataset_id": "computer", "recipe": "tiny", "phrase": "computer"})
    assert client.get(f"/api/jobs/{mine.json()['job_id']}").json()["spec"]["phrase"] == "computer"


def test_retrain_imports_captures_and_the_socket_sees_every_stage(
    model_home: Home, client: TestClient, worker: None, tmp_path: Path
) -> None:
    captures = _captures(tmp_path / "captures", 3)
    no_dataset = client.post("/api/retrain", json={"hard_negatives": 3})
    assert no_dataset.status_code == 422 and "no current judge model" in no_dataset.json()["detail"]
    messages: list[dict[str, Any]] = []
    with client.websocket_connect("/api/status") as ws:
        body = {
            "dataset_id": DATASET,
            "hard_negatives_folder": str(captures),
            "kind": "sentry",
            "recipe": "tiny",
            "overrides": FAST,
            "evaluate": False,
            "hard_negatives": 3,
        }
        r = client.post("/api/retrain", json=body)
        assert r.status_code == 202, r.text
        assert r.json()["dataset_id"] == DATASET and r.json()["hard_negatives_folder"] == str(captures)
        job_id = r.json()["job_id"]
        client.post(
            f"/api/datasets/{DATASET}/recordings",
            files={"audio": ("a.wav", audio_bytes(seed=9))},
            data={"label": "positive", "speaker": "s1"},
        )
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            message = ws.receive_json()
            messages.append(message)
            if message["topic"] == "job" and (message["event"]["name"], message["event"]["stage"]) == (
                "artifact_saved",
                "save",
            ):
                break  # the job's last event: the model is saved
        assert time.monotonic() < deadline, "no end of the job on the socket"
    job_events = [m for m in messages if m["topic"] == "job" and m["job_id"] == job_id]
    starts = [m["event"]["stage"] for m in job_events if m["event"]["name"] == "stage_started"]
    assert starts[:2] == ["data", "train"]
    assert any(
        m["event"]["name"] == "metric" and "hard_negatives_imported" in m["event"]["data"] for m in job_events
    )
    assert all({"progress", "eta_s", "state"} <= set(m) for m in job_events)
    assert any(m["topic"] == "dataset" and m["event"]["message"] == "recording_added" for m in messages)
    imported = [m for m in messages if m["topic"] == "dataset" and m.get("job_id") == job_id]
    assert [(m["event"]["message"], m["event"]["data"]) for m in imported] == [
        ("captures_imported", {"dataset": DATASET, "hard_negatives": 3, "positives": 0})
    ]  # the worker's import, relayed like the server's own changes
    telemetry = next(m for m in messages if m["topic"] == "telemetry")["event"]
    assert telemetry["name"] == "metric" and {"load_1m", "cpus", "gpus"} <= set(telemetry["data"])

    deadline = time.monotonic() + 30
    while client.get(f"/api/jobs/{job_id}").json()["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    job = client.get(f"/api/jobs/{job_id}").json()
    assert job["state"] == "succeeded", job["error"]
    health = client.get(f"/api/datasets/{DATASET}").json()["health"]
    assert health["by_label"]["hard_negative"] == 3
    logs = client.get(f"/api/jobs/{job_id}/logs", params={"lines": 5}).text.splitlines()
    assert len(logs) == 5 and "artifact_saved save" in logs[-1]
    followed = client.get(f"/api/jobs/{job_id}/logs", params={"follow": 1, "lines": 1}).text
    assert followed.endswith("-- succeeded\n")

    model_id = job["result"]["model_id"]
    listed = {m["id"]: m for m in client.get("/api/models").json()}
    assert (
        len(listed) == 2 and listed[model_id]["role"] == "sentry" and listed[model_id]["dataset"] == DATASET
    )
    detail = client.get(f"/api/models/{model_id}").json()
    assert detail["metadata"]["model_id"] == model_id and detail["report"] is None
    assert "model.onnx" in detail["files"]
    assert client.get("/api/models/nope").status_code == 404
    download = client.get(f"/api/models/{model_id}/download")
    assert download.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert f"{model_id}/metadata.json" in names and f"{model_id}/model.onnx" in names

    metrics = client.get("/metrics").text
    assert 'wakesmith_studio_jobs{state="succeeded"} 1.0' in metrics
    assert 'wakesmith_studio_job_duration_seconds_count{kind="retrain"} 1.0' in metrics
    assert f'wakesmith_studio_dataset_clips{{dataset="{DATASET}"}} 144.0' in metrics
    assert client.get("/api/audit", params={"action": "retrain"}).json()[0]["detail"]["hard_negatives"] == 3


TINY_SYNTH = {
    "phrase": "hey katya", "voices": ["en-us"], "variants": [""], "speeds": [140, 180], "pitches": [50],
    "word_gaps": [0], "positives": 2, "confusables": 0, "negative_speech": 0, "backgrounds": 1,
    "piper_bundled": False, "workers": 1,
}  # fmt: skip
"""Three clips (two positives, one background) in about a second."""


def test_a_synthesis_by_the_worker_reaches_the_socket_as_a_dataset_change(
    home: Home, client: TestClient, tmp_path: Path
) -> None:
    lexicon = tmp_path / "words.txt"
    lexicon.write_text("kitchen\nwindow\n")
    synth = {**TINY_SYNTH, "lexicon": str(lexicon)}
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(home,), kwargs={"stop": stop}, daemon=True)
    worker.start()
    try:
        messages: list[dict[str, Any]] = []
        with client.websocket_connect("/api/status") as ws:
            r = client.post("/api/datasets/synth_ds/synthesize", json=synth)
            assert r.status_code == 201, r.text
            job_id = r.json()["job_id"]
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                messages.append(ws.receive_json())
                if messages[-1]["topic"] == "dataset":
                    break
            assert time.monotonic() < deadline, "no dataset event on the socket"
            # what the page re-reads when the event arrives already holds the new clips
            health = client.get("/api/datasets/synth_ds").json()["health"]
        changed = messages[-1]
        assert changed["job_id"] == job_id
        assert (changed["event"]["name"], changed["event"]["stage"], changed["event"]["message"]) == (
            "stage_finished",
            "dataset",
            "synthesized",
        )
        assert changed["event"]["data"] == {"dataset": "synth_ds", "added": 3}
        as_job = messages[-2]  # the job's own message for the same stored event comes first
        assert (as_job["topic"], as_job["job_id"], as_job["event"]) == ("job", job_id, changed["event"])
        assert health["by_label"] == {"positive": 2, "negative": 0, "hard_negative": 0, "background": 1}

        queue = JobQueue(home)
        again = client.post("/api/datasets/synth_ds/synthesize", json=synth).json()["job_id"]
        deadline = time.monotonic() + WAIT_S
        while queue.get(again).state not in {"succeeded", "failed"} and time.monotonic() < deadline:
            time.sleep(0.1)
        assert queue.get(job_id).state == queue.get(again).state == "succeeded"
        # the same synthesis again is skipped as done: the dataset did not change, no event says so
        assert [(e.name, e.stage) for e in queue.events(again)] == [("stage_finished", "synth")]
    finally:
        stop.set()
        worker.join(60)
