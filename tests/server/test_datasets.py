"""Datasets and recordings through the real app: create, upload, health, edit, delete, restore, audio,
and the audit rows each change leaves."""

from __future__ import annotations

import io
from datetime import datetime

import soundfile as sf
from fastapi.testclient import TestClient
from studio_client import MakeClient
from tiny_data import audio_bytes


def _upload(client: TestClient, dataset: str, data: bytes, label: str = "positive", **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/datasets/{dataset}/recordings",
        files={"audio": ("take.wav", data, "audio/wav")},
        data={"label": label, **form},
    )


def test_a_created_dataset_is_listed_before_it_has_clips(client: TestClient) -> None:
    r = client.post("/api/datasets", json={"name": "hey_katya", "phrase": "hey katya"})
    assert r.status_code == 201, r.text
    assert client.get("/api/datasets").json() == [{"id": "hey_katya", "phrase": "hey katya", "clips": 0}]
    detail = client.get("/api/datasets/hey_katya").json()
    assert detail["clips"] == 0 and detail["health"] is None
    assert client.get("/api/datasets/nope").status_code == 404
    bad = client.post("/api/datasets", json={"name": "../etc", "phrase": ""})
    assert bad.status_code == 422
    assert client.post("/api/datasets", json={"name": "x", "colour": "red"}).status_code == 422


def test_recordings_are_stored_edited_deleted_and_restored(client: TestClient) -> None:
    first = _upload(client, "hk", audio_bytes(1.0, seed=1), speaker="anna", notes="kitchen")
    assert first.status_code == 201, first.text
    clip = first.json()
    assert (clip["dataset"], clip["label"], clip["speaker"], clip["notes"]) == (
        "hk",
        "positive",
        "anna",
        "kitchen",
    )
    assert abs(clip["duration_s"] - 1.0) < 0.01 and clip["split"] is not None
    _upload(client, "hk", audio_bytes(1.0, seed=2, fmt="FLAC"), label="negative", speaker="bob")
    _upload(client, "hk", audio_bytes(2.0, seed=3, fmt="OGG"), label="background", speaker="bob")

    health = client.get("/api/datasets/hk").json()["health"]
    assert health["clips"] == 3
    assert health["by_label"]["positive"] == 1 and health["by_label"]["negative"] == 1
    assert health["minutes_by_label"]["background"] == 0.03  # 2 s
    assert set(health["levels"]) == {"rms_dbfs", "peak_dbfs", "snr_db"}
    assert any("positives" in w for w in health["warnings"])
    listed = client.get("/api/recordings", params={"dataset": "hk"}).json()
    assert len(listed) == 3

    cid = clip["id"]
    edited = client.patch(
        f"/api/recordings/{cid}", json={"label": "hard_negative", "notes": "said 'hey cat'"}
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["label"], edited.json()["notes"]) == ("hard_negative", "said 'hey cat'")
    wrong = client.patch(f"/api/recordings/{cid}", json={"label": "positve"})
    assert wrong.status_code == 422 and "positive" in wrong.json()["detail"]  # a suggestion
    assert client.patch(f"/api/recordings/{cid}", json={"colour": "red"}).status_code == 422

    assert client.delete(f"/api/recordings/{cid}").json()["deleted"] is True
    assert cid not in {c["id"] for c in client.get("/api/recordings", params={"dataset": "hk"}).json()}
    # A discarded clip can still be found (after a reload, say) and brought back.
    everything = client.get("/api/recordings", params={"dataset": "hk", "include_deleted": True}).json()
    assert [c["deleted"] for c in everything if c["id"] == cid] == [True] and len(everything) == 3
    stamps = [datetime.fromisoformat(c["created_at"]) for c in everything]
    assert stamps == sorted(stamps) and all(s.tzinfo is not None for s in stamps)  # oldest first, UTC
    assert client.get("/api/datasets/hk").json()["health"]["deleted"] == 1
    assert client.post(f"/api/recordings/{cid}/restore").json()["deleted"] is False
    assert len(client.get("/api/recordings", params={"dataset": "hk"}).json()) == 3
    assert client.delete("/api/recordings/nope").status_code == 404

    audio = client.get(f"/api/recordings/{cid}/audio")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    info = sf.info(io.BytesIO(audio.content))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")

    actions = [(row["user"], row["action"], row["target"]) for row in client.get("/api/audit").json()]
    assert ("token", "relabel", cid) in actions
    assert ("token", "delete", cid) in actions
    assert ("token", "restore", cid) in actions
    relabel = client.get("/api/audit", params={"action": "relabel"}).json()[0]
    assert relabel["detail"] == {
        "before": {"label": "positive", "notes": "kitchen"},
        "after": {"label": "hard_negative", "notes": "said 'hey cat'"},
    }


def test_a_44k_stereo_upload_is_stored_as_16k_mono(client: TestClient) -> None:
    r = _upload(client, "hk", audio_bytes(1.5, rate=44100, channels=2))
    assert r.status_code == 201, r.text
    assert abs(r.json()["duration_s"] - 1.5) < 0.01
    info = sf.info(io.BytesIO(client.get(f"/api/recordings/{r.json()['id']}/audio").content))
    assert (info.samplerate, info.channels) == (16000, 1)


def test_uploads_that_are_not_audio_or_too_long_are_refused_with_what_to_do(client: TestClient) -> None:
    text = _upload(client, "hk", b"this is not audio at all, just text")
    assert text.status_code == 422
    assert "not a WAV, FLAC or OGG" in text.json()["detail"]
    fake = _upload(client, "hk", b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    assert fake.status_code == 422 and "not readable audio" in fake.json()["detail"]
    ten_minutes = _upload(client, "hk", audio_bytes(600.0, rate=8000))
    assert ten_minutes.status_code == 422
    assert "600.0 s long; the limit is 30 s" in ten_minutes.json()["detail"]
    assert client.get("/api/datasets").json() == []  # nothing was stored


def test_an_oversized_body_is_refused_before_it_is_read(make_client: MakeClient) -> None:
    client = make_client(limits={"max_body_bytes": 64 * 1024})
    r = _upload(client, "hk", audio_bytes(5.0))  # 160 kB
    assert r.status_code == 413
    assert "limited to 65536 bytes" in r.json()["detail"]
    assert client.get("/api/datasets").json() == []
    metrics = client.get("/metrics").text
    assert 'wakesmith_studio_refused_total{kind="http_size"} 1.0' in metrics


def test_a_body_without_a_length_is_counted_and_cut_off_at_the_limit(make_client: MakeClient) -> None:
    client = make_client(limits={"max_body_bytes": 64 * 1024})

    def body():  # type: ignore[no-untyped-def]
        for _ in range(50):  # 50 × 16 KiB, chunked: no Content-Length to refuse it by
            yield b"\0" * 16384

    r = client.post(
        "/api/datasets/hk/synthesize", content=body(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and "limited to 65536 bytes" in r.json()["detail"]
    assert 'wakesmith_studio_refused_total{kind="http_size"} 1.0' in client.get("/metrics").text


def test_one_recording_is_shown_and_synthesis_is_queued_as_a_job(client: TestClient) -> None:
    clip = _upload(client, "hk", audio_bytes(1.0, seed=4), speaker="cleo").json()
    shown = client.get(f"/api/recordings/{clip['id']}").json()
    assert (shown["id"], shown["speaker"], shown["source"]) == (clip["id"], "cleo", "recording")
    assert client.get("/api/recordings/nope").status_code == 404

    r = client.post("/api/datasets/hk/synthesize", json={"phrase": "hey katya", "positives": 10})
    assert r.status_code == 201, r.text
    job = client.get(f"/api/jobs/{r.json()['job_id']}").json()
    assert (job["kind"], job["state"]) == ("synthesize", "queued")
    assert job["spec"]["dataset_id"] == "hk" and job["spec"]["synth"]["positives"] == 10
    bad = client.post("/api/datasets/hk/synthesize", json={"phrase": "hey katya", "positive": 10})
    assert bad.status_code == 422 and "positive" in bad.text
