"""``POST /api/datasets/{id}/satellite-recordings`` through the real app, recording from a virtual ESPHome
satellite (``tests/satellite/esphome_device.py``) with the real aioesphomeapi client: the clips stored,
labelled, their audio the device's, the audit rows; a device that fails is a 422 that says why."""

from __future__ import annotations

import io
import socket
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1] / "satellite"))
from esphome_device import VirtualSatellite, running

RATE = 16_000


def _pcm(seconds: float, seed: int) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    noise = 0.02 * np.random.default_rng(seed).standard_normal(t.size)
    return np.round((0.3 * np.sin(2 * np.pi * 440 * t) + noise) * 32767).astype(np.int16)


def test_satellite_takes_are_stored_as_labelled_clips(client: TestClient) -> None:
    pcm = _pcm(1.0, seed=4)
    with running(VirtualSatellite(pcm)) as port:
        r = client.post(
            "/api/datasets/hk/satellite-recordings",
            json={"host": "127.0.0.1", "port": port, "label": "positive", "seconds": 3, "takes": 2},
        )
    assert r.status_code == 201, r.text
    clips = r.json()
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
        r = client.post(
            "/api/datasets/hk/satellite-recordings",
            json={"host": "127.0.0.1", "port": port, "label": "negative", "speaker": "anna", "takes": 1},
        )
    assert r.status_code == 201, r.text
    assert [(c["label"], c["speaker"]) for c in r.json()] == [("negative", "anna")]
    rows = [(row["action"], row["detail"]["label"]) for row in client.get("/api/audit").json()]
    assert rows[:2] == [("satellite_recording", "negative"), ("satellite_recording", "positive")]
    assert len(client.get("/api/recordings", params={"dataset": "hk"}).json()) == 2


def test_a_failing_satellite_is_a_422_that_says_what_to_do(client: TestClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    body = {"host": "127.0.0.1", "port": port, "label": "positive"}
    r = client.post("/api/datasets/hk/satellite-recordings", json=body)
    assert r.status_code == 422 and "Could not reach an ESPHome device" in r.json()["detail"], r.text

    with running(VirtualSatellite(_pcm(0.5, seed=1), password="hunter2")) as port:
        r = client.post("/api/datasets/hk/satellite-recordings", json={**body, "port": port})
    assert r.status_code == 422 and "refused the API password" in r.json()["detail"], r.text

    with running(VirtualSatellite(_pcm(0.5, seed=1), mute=True)) as port:
        r = client.post(
            "/api/datasets/hk/satellite-recordings", json={**body, "port": port, "audio_timeout_s": 0.3}
        )
    assert r.status_code == 422 and "streamed no audio" in r.json()["detail"], r.text

    wrong = client.post("/api/datasets/hk/satellite-recordings", json={**body, "label": "positve"})
    assert wrong.status_code == 422 and "positive" in wrong.json()["detail"]  # checked before connecting
    long = client.post("/api/datasets/hk/satellite-recordings", json={**body, "seconds": 31})
    assert long.status_code == 422
    assert client.post("/api/datasets/hk/satellite-recordings", json={**body, "colour": 1}).status_code == 422
    assert client.get("/api/recordings", params={"dataset": "hk"}).json() == []
