"""``POST /api/datasets/{id}/satellite-recordings`` through the real app, recording from a virtual ESPHome
satellite (``tests/satellite/esphome_device.py``) with the real aioesphomeapi client: a session followed
by ``GET /api/satellite-recordings/{id}``, the clips stored, labelled, their audio the device's, the
audit rows; a device that cannot be reached or checked is a 422 that says why, a take that fails later
ends the session ``failed`` with the reason and keeps the takes before it."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1] / "satellite"))
from esphome_device import VirtualSatellite, running

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
from loopback import free_port

RATE = 16_000


def _record(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    """Start a recording (202) and follow it until it ends; the session's last state."""
    r = client.post("/api/datasets/hk/satellite-recordings", json=body)
    assert r.status_code == 202, r.text
    session: dict[str, Any] = r.json()
    assert (
        session["state"] in ("recording", "succeeded", "failed") and session["device"] == "kitchen-satellite"
    )
    deadline = time.monotonic() + 30
    while session["state"] == "recording":
        assert time.monotonic() < deadline, session
        time.sleep(0.05)
        session = client.get(f"/api/satellite-recordings/{session['id']}").json()
    return session


def _pcm(seconds: float, seed: int) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    noise = 0.02 * np.random.default_rng(seed).standard_normal(t.size)
    return np.round((0.3 * np.sin(2 * np.pi * 440 * t) + noise) * 32767).astype(np.int16)


def test_satellite_takes_are_stored_as_labelled_clips(client: TestClient) -> None:
    pcm = _pcm(1.0, seed=4)
    with running(VirtualSatellite(pcm)) as port:
        session = _record(
            client, {"host": "127.0.0.1", "port": port, "label": "positive", "seconds": 3, "takes": 2}
        )
    assert (session["state"], session["done"], session["takes"], session["error"]) == ("succeeded", 2, 2, "")
    clips = session["clips"]
    assert len(clips) == 1  # both takes are the same sound: the dataset keeps one clip of it
    clip = clips[0]
    assert (clip["dataset"], clip["label"], clip["source"], clip["speaker"]) == (
        "hk",
        "positive",
        "satellite",
        "kitchen-satellite",
    )
    assert abs(clip["duration_s"] - 1.0) < 0.01 and clip["split"] is not None
    audio, rate = sf.read(
        io.BytesIO(client.get(f"/api/recordings/{clip['id']}/audio").content), dtype="int16"
    )
    assert rate == RATE
    np.testing.assert_array_equal(audio, pcm)

    with running(VirtualSatellite(_pcm(0.8, seed=5))) as port:
        session = _record(
            client, {"host": "127.0.0.1", "port": port, "label": "negative", "speaker": "anna", "takes": 1}
        )
    assert [(c["label"], c["speaker"]) for c in session["clips"]] == [("negative", "anna")]
    rows = [(row["action"], row["detail"]["label"]) for row in client.get("/api/audit").json()]
    assert rows[:3] == [  # one row per stored take
        ("satellite_recording", "negative"),
        ("satellite_recording", "positive"),
        ("satellite_recording", "positive"),
    ]
    assert len(client.get("/api/recordings", params={"dataset": "hk"}).json()) == 2


def test_a_failing_satellite_is_a_422_that_says_what_to_do(client: TestClient) -> None:
    port = free_port()  # nothing listens there
    body = {"host": "127.0.0.1", "port": port, "label": "positive"}
    r = client.post("/api/datasets/hk/satellite-recordings", json=body)
    assert r.status_code == 422 and "Could not reach an ESPHome device" in r.json()["detail"], r.text

    with running(VirtualSatellite(_pcm(0.5, seed=1), password="hunter2")) as port:
        r = client.post("/api/datasets/hk/satellite-recordings", json={**body, "port": port})
    assert r.status_code == 422 and "refused the API password" in r.json()["detail"], r.text

    with running(VirtualSatellite(_pcm(0.5, seed=1), mute=True)) as port:
        session = _record(client, {**body, "port": port, "audio_timeout_s": 0.3})
    assert session["state"] == "failed" and "streamed no audio" in session["error"], session
    assert session["clips"] == [] and session["done"] == 0

    # A microphone that dies after the first take: the session fails, the first take is kept.
    with running(VirtualSatellite(_pcm(0.5, seed=2), mute_after=1)) as port:
        session = _record(client, {**body, "port": port, "takes": 3, "audio_timeout_s": 0.3})
    assert (
        session["state"] == "failed"
        and "Take 2 started but the satellite streamed no audio" in session["error"]
    )
    assert session["done"] == 1 and len(session["clips"]) == 1
    kept = session["clips"][0]["id"]

    wrong = client.post("/api/datasets/hk/satellite-recordings", json={**body, "label": "positve"})
    assert wrong.status_code == 422 and "positive" in wrong.json()["detail"]  # checked before connecting
    long = client.post("/api/datasets/hk/satellite-recordings", json={**body, "seconds": 31})
    assert long.status_code == 422
    assert client.post("/api/datasets/hk/satellite-recordings", json={**body, "colour": 1}).status_code == 422
    assert [c["id"] for c in client.get("/api/recordings", params={"dataset": "hk"}).json()] == [kept]
    unknown = client.get("/api/satellite-recordings/sat-999")
    assert unknown.status_code == 404 and "No satellite recording" in unknown.json()["detail"]
