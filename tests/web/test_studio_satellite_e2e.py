"""Record from a satellite in a real browser: the dataset page's form sends its fields to
``POST /api/datasets/{id}/satellite-recordings``, whose real aioesphomeapi client records from a virtual
ESPHome satellite (``tests/satellite/esphome_device.py``: the native API's server side, here
noise-encrypted and with an API password). A device that refuses the request is a notification that
says why; the takes it streams appear in the clip table, one clip per take.
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from e2e_support import SR, Studio, clips_table, new_dataset, screenshot, tone, visit
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).parents[1] / "satellite"))
from esphome_device import VirtualSatellite, running

pytestmark = pytest.mark.e2e

KEY = base64.b64encode(bytes(range(32))).decode()
"""The device's ``api: encryption: key``."""
PASSWORD = "hunter2"


class TakeByTake:
    """A microphone that hears ``sounds[n - 1]`` in the device's take n, so that each take is a clip of
    its own (the store keeps one clip per sound): what :class:`VirtualSatellite` reads as its ``pcm``,
    its length and its slices."""

    def __init__(self, device: VirtualSatellite, sounds: list[np.ndarray]) -> None:
        self.device, self.sounds = device, sounds

    def _now(self) -> np.ndarray:
        return self.sounds[(self.device.takes_started - 1) % len(self.sounds)]

    def __len__(self) -> int:
        return len(self._now())

    def __getitem__(self, index: slice) -> np.ndarray:
        return self._now()[index]


def _int16(audio: np.ndarray) -> np.ndarray:
    return np.round(audio * 32767).astype(np.int16)


def test_takes_recorded_from_a_satellite_become_clips(page: Any, studio: Studio) -> None:
    sounds = [_int16(tone(500 + 300 * n, seed=70 + n, seconds=1.5)) for n in range(2)]
    device = VirtualSatellite(sounds[0], noise_psk=KEY, password=PASSWORD)
    device.pcm = TakeByTake(device, sounds)  # type: ignore[assignment]
    new_dataset(studio, "from_satellite", phrase="hey kitchen")  # unlike the other specs' phrases
    visit(page, studio, "/datasets/from_satellite")
    form = page.get_by_role("form", name="Record from a satellite")
    notice = page.get_by_role("status")
    takes = page.get_by_role("list", name="Satellite takes")
    with running(device) as port:
        page.get_by_label("Satellite address").fill("127.0.0.1")
        page.get_by_label("API port").fill(str(port))
        page.get_by_label("API password (if any)").fill("wrong")
        page.get_by_label("Label for satellite takes").select_option("background")
        page.get_by_label("Seconds per take").fill("1")
        page.get_by_label("Takes", exact=True).fill("2")
        record = form.get_by_role("button", name="Record from satellite")

        record.click()  # no key for a device that encrypts its API
        expect(notice).to_contain_text("encrypts its API: give its noise_psk")
        expect(takes.get_by_role("listitem").first).to_contain_text(f"127.0.0.1:{port}: refused:")
        page.get_by_label("Encryption key (api: encryption: key, if any)").fill(KEY)
        record.click()  # the key, the wrong password
        expect(notice).to_contain_text("refused the API password")
        page.get_by_label("API password (if any)").fill(PASSWORD)
        record.click()
        expect(takes.get_by_role("listitem").first).to_contain_text(
            f"127.0.0.1:{port}: added 2 background clips (1.00 s, 1.00 s)"
        )
    rows = clips_table(page).locator("tbody tr")
    expect(rows).to_have_count(2)
    clips = studio.api.get("/api/recordings", params={"dataset": "from_satellite"}).json()
    expect(notice).to_contain_text("Added 2 satellite clips: ")
    for clip in clips:
        expect(notice).to_contain_text(clip["id"])
        label = page.get_by_label(f"Label of clip {clip['id']}")
        expect(label).to_have_value("background")
        expect(page.get_by_label(f"Speaker of clip {clip['id']}")).to_have_value("kitchen-satellite")
        row = clips_table(page).get_by_role("row").filter(has=label)
        expect(row.get_by_role("cell").nth(7)).to_have_text("satellite")  # its Source
    # A microphone that dies after the first take: the page says where the session stopped, and why.
    with running(VirtualSatellite(_int16(tone(1400, seed=90, seconds=1.5)), mute_after=1)) as port:
        page.get_by_label("API port").fill(str(port))
        page.get_by_label("Encryption key (api: encryption: key, if any)").fill("")
        page.get_by_label("API password (if any)").fill("")
        record.click()
        expect(takes.get_by_role("listitem").first).to_contain_text(
            f"127.0.0.1:{port}: stopped after 1 of 2 takes, added 1 background clip (1.00 s): Take 2 started",
            timeout=20_000,
        )
    expect(notice).to_contain_text("streamed no audio")
    expect(rows).to_have_count(3)
    screenshot(page, "dataset-satellite")
    assert (
        sorted((c["label"], c["source"], round(c["duration_s"], 2)) for c in clips)
        == [("background", "satellite", 1.0)] * 2
    )
    assert device.takes_started == 2 and len(device.announcements) == 2  # asked to start each take
    stored = [sf.read(io.BytesIO(_audio(studio, c["id"])), dtype="int16")[0] for c in clips]
    heard = sorted(a.tobytes() for a in stored)  # each take's first second, as the device streamed it
    assert heard == sorted(sound[:SR].tobytes() for sound in sounds)


def _audio(studio: Studio, clip_id: str) -> bytes:
    r = studio.api.get(f"/api/recordings/{clip_id}/audio")
    assert r.status_code == 200, r.text
    return r.content
