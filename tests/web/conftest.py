"""End-to-end fixtures: the real studio (``mount_ui(create_app(...))`` under uvicorn in a thread, a job
worker thread over the same tmp home) and Debian's Chromium driven by Playwright with a fake microphone
fed from an espeak-ng WAV."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from wakesmith.audio.io import read_audio, write_wav

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import CHROMIUM, INGRESS_PATH, TOKEN, Studio, launch

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
from loopback import free_port


@contextmanager
def _serving(app: ASGIApp) -> Iterator[str]:
    """``app`` under uvicorn in a thread on a free port; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"studio-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the studio did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


class IngressProxy:
    """Stands in for the Supervisor's ingress proxy: the studio below a per-session path prefix, which
    it strips, naming the prefix in ``X-Ingress-Path`` and the user in ``X-Remote-User-Name``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and path.startswith(INGRESS_PATH + "/"):
            inner = path[len(INGRESS_PATH) :]
            headers = [
                *scope["headers"],
                (b"x-ingress-path", INGRESS_PATH.encode()),
                (b"x-remote-user-name", b"e2e"),
            ]
            scope = {**scope, "path": inner, "raw_path": inner.encode(), "headers": headers}
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def ingress_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second studio in ingress mode behind :class:`IngressProxy`; yields the page's URL (no token)."""
    from wakesmith.server.app import create_app
    from wakesmith.server.settings import ServerSettings
    from wakesmith.server.ui import mount_ui

    root = tmp_path_factory.mktemp("ingress")
    settings = ServerSettings.model_validate(
        {"home": root / "home", "mode": "ingress", "proxy_addresses": ["127.0.0.1"]}
    )
    app = create_app(settings)
    mount_ui(app)
    with _serving(IngressProxy(app)) as url:
        yield f"{url}{INGRESS_PATH}/"


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    from wakesmith.server.app import create_app
    from wakesmith.server.settings import ServerSettings
    from wakesmith.server.ui import mount_ui

    root = tmp_path_factory.mktemp("studio")
    settings = ServerSettings.model_validate(
        {
            "home": root / "home",
            "share_folder": root / "share",
            # the specs seed a few hundred clips through the API within a minute
            "limits": {"requests_per_minute": 100_000, "uploads_per_minute": 100_000},
        }
    )
    app = create_app(settings, token=TOKEN)
    mount_ui(app)
    with (
        _serving(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client,
    ):
        yield Studio(url, settings.resolved_home(), client)


@pytest.fixture
def worker(studio: Studio) -> Iterator[None]:
    """A job worker over the studio's home for one spec (the others leave their queued jobs queued)."""
    from wakesmith.jobs.worker import run_worker

    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(studio.home,), kwargs={"stop": stop}, name="worker", daemon=True
    )
    thread.start()
    yield
    stop.set()
    thread.join(60)


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three seconds or so of espeak-ng speech as a 16 kHz mono WAV (the fake microphone's input)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is not installed (scripts/system-deps.sh installs it)")
    folder = tmp_path_factory.mktemp("speech")
    raw = folder / "raw.wav"
    subprocess.run([espeak, "-w", str(raw), "hey wakesmith, turn on the kitchen lights"], check=True)
    return write_wav(folder / "speech.wav", read_audio(raw))


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.skip(f"No Chromium at {CHROMIUM} (apt-get install chromium, or set WAKESMITH_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Any, speech_wav: Path) -> Iterator[Any]:
    launched = launch(playwright, speech_wav)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Any, studio: Studio) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["microphone"], origin=studio.url)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"errors in the page: {errors}"
