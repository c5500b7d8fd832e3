"""The studio's web UI: the built bundle in ``static/`` (made by ``npm run build`` in ``training/web``,
committed, so no Node is needed at run time) served at ``/`` and ``/assets/…``.

Every URL in the bundle is relative, so the same files work at ``http://host:8787/`` and below Home
Assistant's ingress prefix (``X-Ingress-Path``).

The page itself holds no data, and a browser cannot send the bearer token when it opens a page: in
standalone mode the UI's files are answered before the studio's guard, and the page then sends the
token with every API call. Under ingress the guard stays in front of them (only the Supervisor's proxy
may ask).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"
INDEX = STATIC / "index.html"
ASSETS = STATIC / "assets"
HTTP_NOT_FOUND = 404
IMMUTABLE = "public, max-age=31536000, immutable"
"""Asset names carry their content hash, so a browser may keep them."""
ASSETS_PREFIX = "/assets/"
READ_METHODS = frozenset({"GET", "HEAD"})


class UiNotBuiltError(RuntimeError):
    """The package has no built UI (``static/index.html``)."""


def _index(request: Request) -> Response:
    # no-cache: a new release's index must name its new (content-hashed) asset files
    return FileResponse(INDEX, media_type="text/html", headers={"Cache-Control": "no-cache"})


def _asset(request: Request) -> Response:
    # A route, not a StaticFiles mount: under ingress the guard sets a root_path that the request's
    # path does not start with, which a mount would strip from the file name.
    name = request.path_params["name"]
    path = (ASSETS / name).resolve()
    if not path.is_relative_to(ASSETS.resolve()) or not path.is_file():
        return PlainTextResponse("Not Found", status_code=HTTP_NOT_FOUND)
    return FileResponse(path, headers={"Cache-Control": IMMUTABLE})


def ui_routes() -> list[BaseRoute]:
    """``/`` → ``index.html``; ``/assets/…`` → the bundle's files."""
    return [
        Route("/", _index, methods=["GET", "HEAD"]),
        Route("/assets/{name:path}", _asset, methods=["GET", "HEAD"]),
    ]


def is_ui_path(path: str) -> bool:
    return path == "/" or path.startswith(ASSETS_PREFIX)


class PublicUi:
    """ASGI middleware outside the studio's guard: answers reads of the UI's files without the token."""

    def __init__(self, app: ASGIApp, *, files: ASGIApp) -> None:
        self.app = app
        self.files = files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in READ_METHODS and is_ui_path(scope["path"]):
            await self.files(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mount_ui(app: FastAPI) -> None:
    """Serve the UI from ``app`` (made by :func:`wakesmith.server.app.create_app`); call before serving.

    A second call does nothing (so tests may call it on an app that ``create_app`` already gave a UI).
    """
    if getattr(app.state, "ui_mounted", False):
        return
    if not INDEX.is_file():
        raise UiNotBuiltError(
            f"The studio's UI is not built ({INDEX} is missing): run `npm ci && npm run build` in "
            "training/web, or reinstall wakesmith."
        )
    routes = ui_routes()
    app.router.routes.extend(routes)  # behind the guard (ingress); not in the OpenAPI schema
    if app.state.studio.settings.mode == "standalone":
        app.add_middleware(PublicUi, files=Starlette(routes=routes))
    app.state.ui_mounted = True
