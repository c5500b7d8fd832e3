"""Takes through the real app: a recorded take becomes one clip per utterance (a real Silero VAD), a
stored clip is re-split, and every refusal leaves the dataset as it was."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from studio_client import MakeClient

from wakesmith import api
from wakesmith.audio.io import to_pcm16, wav_bytes
from wakesmith.config import SAMPLE_RATE
from wakesmith.home import Home

pytest.importorskip("silero_vad")
Take = tuple[np.ndarray, list[tuple[int, int]]]


def _wav(audio: np.ndarray) -> bytes:
    return wav_bytes(to_pcm16(audio))


def _post_take(client: TestClient, data: bytes, label: str = "positive", **form: str):  # type: ignore[no-untyped-def]
    files = {"audio": ("session.wav", data, "audio/wav")}
    return client.post("/api/datasets/hk/takes", files=files, data={"label": label, **form})


def test_a_take_becomes_one_clip_per_utterance(client: TestClient, home: Home, spoken_take: Take) -> None:
    take, truth = spoken_take
    r = _post_take(client, _wav(take), label="negative", speaker="anna", notes="kitchen")
    assert r.status_code == 201, r.text
    clips = r.json()
    assert len(clips) == len(truth) == 3
    assert {(c["label"], c["speaker"], c["notes"], c["source"]) for c in clips} == {
        ("negative", "anna", "kitchen", "recording")
    }
    for clip, (a, b) in zip(clips, truth, strict=True):
        assert (b - a) / SAMPLE_RATE - 0.3 < clip["duration_s"] < (b - a) / SAMPLE_RATE + 0.6, clip
        meta = api.get_clip(clip["id"], home=home).meta_dict()
        assert meta["take"]["name"] == "session.wav" and meta["take"]["parts"] == 3
        assert abs(meta["take"]["start_s"] - a / SAMPLE_RATE) < 0.3
    assert [api.get_clip(c["id"], home=home).meta_dict()["take"]["part"] for c in clips] == [1, 2, 3]
    audit = client.get("/api/audit", params={"action": "upload_take"}).json()
    assert {row["target"] for row in audit} == {c["id"] for c in clips}


def test_a_longer_minimum_pause_keeps_utterances_together(client: TestClient, spoken_take: Take) -> None:
    take, _ = spoken_take
    r = _post_take(client, _wav(take), min_pause_s="2.0")
    assert r.status_code == 201, r.text
    assert len(r.json()) == 1
    assert _post_take(client, _wav(take), min_pause_s="9").status_code == 422  # beyond 5 s


def test_takes_without_speech_of_background_or_with_an_endless_utterance_are_refused(
    make_client: MakeClient, spoken_take: Take
) -> None:
    client = make_client(limits={"max_clip_seconds": 1.5, "max_take_seconds": 8.0})
    take, _ = spoken_take
    quiet = (1e-3 * np.random.default_rng(0).standard_normal(2 * SAMPLE_RATE)).astype(np.float32)
    silent = _post_take(client, _wav(quiet))
    assert silent.status_code == 422 and "No speech was heard" in silent.json()["detail"]
    background = _post_take(client, _wav(take), label="background")
    assert background.status_code == 422 and "store it unsplit" in background.json()["detail"]
    endless = _post_take(client, _wav(take))  # "turn on the kitchen lights" lasts longer than 1.5 s
    assert endless.status_code == 422
    assert "without a pause" in endless.json()["detail"] and "1.5 s" in endless.json()["detail"]
    too_long = _post_take(client, _wav(np.tile(take, 2)))
    assert too_long.status_code == 422 and "limit is 8 s" in too_long.json()["detail"]
    not_audio = _post_take(client, b"plain text, not a take")
    assert not_audio.status_code == 422 and "not a WAV" in not_audio.json()["detail"]
    assert client.get("/api/recordings", params={"dataset": "hk"}).json() == []  # nothing stored


def test_a_stored_clip_is_split_and_the_original_can_be_restored(
    client: TestClient, home: Home, spoken_take: Take
) -> None:
    take, truth = spoken_take
    whole = client.post(
        "/api/datasets/hk/recordings",
        files={"audio": ("whole.wav", _wav(take), "audio/wav")},
        data={"label": "positive", "speaker": "bob"},
    ).json()
    r = client.post(f"/api/recordings/{whole['id']}/split")
    assert r.status_code == 201, r.text
    parts = r.json()
    assert len(parts) == len(truth) and {p["speaker"] for p in parts} == {"bob"}
    origins = [api.get_clip(p["id"], home=home).meta_dict()["split_from"]["clip"] for p in parts]
    assert origins == [whole["id"]] * 3
    listed = {c["id"] for c in client.get("/api/recordings", params={"dataset": "hk"}).json()}
    assert listed == {p["id"] for p in parts}  # the whole take left the listing …
    assert client.get(f"/api/recordings/{whole['id']}").json()["deleted"] is True  # … but is kept
    assert client.post(f"/api/recordings/{whole['id']}/restore").json()["deleted"] is False
    (row,) = client.get("/api/audit", params={"action": "split"}).json()
    assert row["target"] == whole["id"] and row["detail"]["parts"] == [p["id"] for p in parts]

    # One utterance: nothing to split, nothing changes; unknown settings and clips are refused.
    one = client.post(f"/api/recordings/{parts[0]['id']}/split")
    assert one.status_code == 422 and "one utterance" in one.json()["detail"]
    assert client.get(f"/api/recordings/{parts[0]['id']}").json()["deleted"] is False
    assert client.post(f"/api/recordings/{whole['id']}/split", json={"pause": 1}).status_code == 422
    coarse = client.post(f"/api/recordings/{whole['id']}/split", json={"min_pause_s": 2.0})
    assert coarse.status_code == 422 and "one utterance" in coarse.json()["detail"]
    assert client.post("/api/recordings/nope/split").status_code == 404


def test_the_studio_keeps_one_store_open(client: TestClient, home: Home) -> None:
    studio = client.app.state.studio  # type: ignore[attr-defined]
    assert studio.store is api.open_store(home) is api.open_store(home.root)
    assert client.get("/api/recordings", params={"dataset": "hk"}).status_code == 200
    other = Home.resolve(home.root.parent / "elsewhere")
    assert api.open_store(other) is not studio.store  # other homes open their own
