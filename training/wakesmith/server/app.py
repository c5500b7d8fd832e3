"""The trainer studio's backend: ``create_app(settings)`` → a FastAPI app over :mod:`wakesmith.api`,
the job queue and the studio records.

Every failure is an HTTP error whose ``detail`` says what to do: input errors
(:class:`~wakesmith.errors.WakesmithError`) are 4xx (a missing thing 404, anything else 422); an
unforeseen exception is a 500 without internals, logged.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from wakesmith import __version__
from wakesmith.errors import ArtifactError, AudioError, ConfigError, WakesmithError
from wakesmith.jobs.queue import JobError
from wakesmith.server.context import Studio
from wakesmith.server.guard import StudioGuard
from wakesmith.server.records import DeployNotFoundError
from wakesmith.server.routes import (
    audit,
    datasets,
    deploys,
    jobs,
    live,
    models,
    recordings,
    retrain,
    satellite,
    status,
)
from wakesmith.server.satellite_sessions import SessionNotFoundError
from wakesmith.server.settings import ServerSettings

log = logging.getLogger(__name__)

HTTP_NOT_FOUND = 404
HTTP_CONFLICT = 409
HTTP_UNPROCESSABLE = 422
HTTP_INTERNAL = 500
ROUTERS = (datasets, recordings, satellite, jobs, retrain, models, deploys, audit, status, live)


def create_app(settings: ServerSettings | None = None, *, token: str | None = None) -> FastAPI:
    """The studio app for ``settings``; ``token`` overrides the settings' token (standalone: the one
    kept in the home when the settings give none; ingress: none unless given)."""
    settings = settings or ServerSettings()
    studio = Studio.open(settings)
    app = FastAPI(title="wakesmith studio", version=__version__)
    app.state.studio = studio
    for module in ROUTERS:
        app.include_router(module.router)
    _add_errors(app)
    if token is None:
        token = settings.resolved_token()[0] if settings.mode == "standalone" else settings.token
    if settings.mode == "standalone" and not token:
        raise ConfigError("A standalone studio needs a token; give --token or let serve make one.")
    assert studio.refused is not None
    app.add_middleware(StudioGuard, settings=settings, token=token, refused=studio.refused)
    return app


def _status_of(exc: WakesmithError) -> int:
    if isinstance(exc, JobError | DeployNotFoundError | ArtifactError | SessionNotFoundError):
        return HTTP_CONFLICT if "already" in str(exc) else HTTP_NOT_FOUND
    return HTTP_UNPROCESSABLE


def _add_errors(app: FastAPI) -> None:
    @app.exception_handler(WakesmithError)
    async def refused(request: Request, exc: WakesmithError) -> Response:
        status = _status_of(exc)
        log.info("%s %s refused (%d): %s", request.method, request.url.path, status, exc)
        kind = "audio" if isinstance(exc, AudioError) else type(exc).__name__
        return JSONResponse({"detail": str(exc), "kind": kind}, status_code=status)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"detail": "The studio failed on this request; see its log."}, HTTP_INTERNAL)
