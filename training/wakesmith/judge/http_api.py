"""HTTP on the Judge's process: ``POST /verify`` (a WAV trigger buffer), ``GET /health``, ``GET /metrics``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from wakesmith import __version__
from wakesmith.audio.io import decode_audio
from wakesmith.errors import ConfigError, WakesmithError
from wakesmith.judge.core import DEFAULT_SATELLITE, JudgeCore, Trigger

log = logging.getLogger(__name__)

HTTP_LENGTH_REQUIRED = 411
HTTP_TOO_LARGE = 413
HTTP_UNPROCESSABLE = 422
HTTP_NOT_FOUND = 404


Refuse = Callable[[int, str, str], HTTPException]
"""Logs and counts a refused request; returns the HTTP error to answer with (status, detail, kind)."""


def create_app(core: JudgeCore) -> FastAPI:
    """The FastAPI app of one Judge."""
    app = FastAPI(title="wakesmith Judge", version=__version__)
    refuse = _refuser(core)
    _add_upload_limit(app, core, refuse)
    _add_verify(app, core, refuse)
    _add_status(app, core)
    return app


def _refuser(core: JudgeCore) -> Refuse:
    def refuse(status: int, detail: str, kind: str) -> HTTPException:
        log.warning("/verify refused (%d): %s", status, detail)
        core.metrics.errors.labels(kind).inc()
        return HTTPException(status_code=status, detail=detail)

    return refuse


def _add_upload_limit(app: FastAPI, core: JudgeCore, refuse: Refuse) -> None:
    limit = core.settings.limits.max_upload_bytes

    @app.middleware("http")
    async def check_size(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Refused before the body is parsed: a huge upload never reaches memory or the temp folder.
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is None:
                return _refusal(
                    refuse(HTTP_LENGTH_REQUIRED, "Send the upload with a Content-Length.", "http_length")
                )
            if not length.isdigit() or int(length) > limit:
                detail = f"Uploads are limited to {limit} bytes; send the 1.5–2 s trigger buffer."
                return _refusal(refuse(HTTP_TOO_LARGE, detail, "http_size"))
        return await call_next(request)


def _add_verify(app: FastAPI, core: JudgeCore, refuse: Refuse) -> None:
    limit = core.settings.limits.max_upload_bytes

    @app.post("/verify")
    async def verify(
        audio: Annotated[UploadFile, File(description="The trigger buffer: WAV, 16 kHz mono preferred.")],
        model: Annotated[str | None, Form()] = None,
        satellite: Annotated[str, Form()] = DEFAULT_SATELLITE,
        sentry_score: Annotated[float | None, Form()] = None,
    ) -> dict[str, Any]:
        """Accept or reject a trigger buffer: ``{prediction, confidence, label, model, latency_ms}``."""
        data = await audio.read(limit + 1)
        if len(data) > limit:
            raise refuse(HTTP_TOO_LARGE, f"Uploads are limited to {limit} bytes.", "http_size")
        try:
            core.models.get(model)
            samples = decode_audio(
                data, max_seconds=core.settings.limits.max_verify_seconds, name=audio.filename or "upload"
            )
        except ConfigError as exc:
            raise refuse(HTTP_NOT_FOUND, str(exc), "http_model") from None
        except WakesmithError as exc:
            raise refuse(HTTP_UNPROCESSABLE, str(exc), "http_audio") from None
        trigger = Trigger(satellite=satellite, sentry_score=sentry_score)
        verdict = await core.run(core.judge_trigger, samples, model, trigger)
        return asdict(verdict)


def _add_status(app: FastAPI, core: JudgeCore) -> None:
    @app.get("/health")
    async def health() -> dict[str, Any]:
        """Liveness plus what is loaded and whether MQTT is connected (null when MQTT is off)."""
        return {
            "status": "ok",
            "version": __version__,
            "models": {
                name: {"threshold": m.threshold, "phrase": m.phrase} for name, m in core.models.models.items()
            },
            "mqtt": core.telemetry.connected if core.settings.mqtt.host else None,
        }

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus text format."""
        return Response(generate_latest(core.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _refusal(exc: HTTPException) -> Response:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
