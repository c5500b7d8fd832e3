"""What the end-to-end specs share besides fixtures: the token, the studio handle, page and audio
helpers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from wakesmith.audio.io import to_pcm16, wav_bytes
from wakesmith.home import Home

CHROMIUM = Path(os.environ.get("WAKESMITH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
TOKEN = "e2e-studio-token-0123456789"
INGRESS_PATH = "/api/hassio_ingress/e2e-session"
"""Where Home Assistant's ingress would put the studio (the Supervisor strips it before the add-on)."""
SR = 16_000
ARTIFACTS = Path(os.environ.get("WAKESMITH_ARTIFACTS") or Path(__file__).parent / "artifacts")


@dataclass
class Studio:
    url: str
    home: Home
    api: httpx.Client

    def page_url(self, fragment: str = "/") -> str:
        return f"{self.url}/#token={TOKEN}" if fragment == "/" else f"{self.url}/#{fragment}"

    def upload(self, dataset: str, audio: np.ndarray, label: str, speaker: str = "") -> dict[str, Any]:
        files = {"audio": ("seed.wav", wav_bytes(to_pcm16(audio)), "audio/wav")}
        r = self.api.post(
            f"/api/datasets/{dataset}/recordings", files=files, data={"label": label, "speaker": speaker}
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body


def visit(page: Any, studio: Studio, fragment: str = "/") -> None:
    """Open the studio signed in, then (when given) the page at ``#<fragment>``."""
    from playwright.sync_api import expect  # imported when used, as the conftest's playwright fixture does

    page.goto(studio.page_url())  # #token=… : the page keeps the token and drops it from the address
    expect(page.get_by_role("heading", name="Wake words")).to_be_visible()
    if fragment != "/":
        page.goto(f"{studio.url}/#{fragment}")


def clips_table(page: Any) -> Any:
    return page.get_by_role("table", name="Clips")


def new_dataset(studio: Studio, name: str, phrase: str = "hey wakesmith") -> None:
    r = studio.api.post("/api/datasets", json={"name": name, "phrase": phrase})
    assert r.status_code == 201, r.text


def tone(freq: float, seed: int, seconds: float = 1.0) -> np.ndarray:
    """A tone burst in light noise (distinct per seed, so the store's content hashes differ)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    burst = 0.3 * np.sin(2 * np.pi * freq * t) * (np.abs(t - seconds / 2) < seconds / 4)
    return (burst + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def as_wav_file(audio: np.ndarray, path: Path) -> Path:
    path.write_bytes(wav_bytes(to_pcm16(audio)))
    return path


def launch(playwright: Any, microphone: Path) -> Any:
    """Chromium whose fake microphone plays ``microphone`` (a WAV, looped)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={microphone}"],
    )
