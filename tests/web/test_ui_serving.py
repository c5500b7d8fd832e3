"""``mount_ui``: the page and its assets without the token in standalone mode (a browser cannot send it
when it opens a page), behind the ingress check under ingress, and outside the OpenAPI schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wakesmith.server import ui
from wakesmith.server.app import create_app
from wakesmith.server.settings import SUPERVISOR_PROXY, ServerSettings
from wakesmith.server.ui import mount_ui

TOKEN = "web-test-token"


def _client(tmp_path: Path, mode: str, address: str = "testclient") -> TestClient:
    settings = ServerSettings.model_validate({"home": tmp_path / "home", "mode": mode})
    app = create_app(settings, token=TOKEN if mode == "standalone" else "")
    mount_ui(app)
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def test_standalone_serves_the_page_without_the_token_and_the_api_with_it(tmp_path: Path) -> None:
    client = _client(tmp_path, "standalone")
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    for asset in re.findall(r'(?:src|href)="\./(assets/[^"]+)"', page.text):
        assert client.get("/" + asset).status_code == 200, asset
    assert client.get("/assets/missing.js").status_code == 404
    assert client.get("/api/datasets").status_code == 401
    assert client.get("/api/datasets", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.post("/", content=b"x").status_code in (401, 405)  # only reads bypass the guard
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    assert all(p.startswith("/api") or p == "/metrics" for p in paths), sorted(paths)


@pytest.mark.parametrize(("address", "status"), [(SUPERVISOR_PROXY, 200), ("10.0.0.7", 403)])
def test_ingress_serves_the_page_only_to_the_proxy(tmp_path: Path, address: str, status: int) -> None:
    client = _client(tmp_path, "ingress", address)
    page = client.get("/", headers={"X-Ingress-Path": "/api/hassio_ingress/abc"})
    assert page.status_code == status


def test_assets_outside_the_bundle_are_not_served(tmp_path: Path) -> None:
    client = _client(tmp_path, "standalone")
    for path in ("/assets/%2e%2e/index.html", "/assets/..%2F..%2Fui.py", "/assets/", "/assets/nope.js"):
        assert client.get(path).status_code == 404, path


def test_mounting_twice_is_mounting_once_and_an_unbuilt_ui_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(tmp_path, "standalone")
    routes = len(client.app.routes)  # type: ignore[attr-defined]
    mount_ui(client.app)  # type: ignore[arg-type]
    assert len(client.app.routes) == routes  # type: ignore[attr-defined]
    assert client.get("/").status_code == 200

    monkeypatch.setattr(ui, "INDEX", tmp_path / "missing" / "index.html")
    settings = ServerSettings.model_validate({"home": tmp_path / "home2"})
    with pytest.raises(ui.UiNotBuiltError, match="npm ci && npm run build"):
        mount_ui(create_app(settings, token=TOKEN))
