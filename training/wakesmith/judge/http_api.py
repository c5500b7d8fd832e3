"""HTTP on the Judge's process: ``POST /verify`` (a WAV trigger buffer), ``GET /health``, ``GET /metrics``.

With ``http_token`` set, every path but ``/health`` needs ``Authorization: Bearer <token>``
(:mod:`wakesmith.judge.http_guard`). ``/docs`` and ``/openapi.json`` exist only with ``http_docs``.
Every refusal is a 4xx with a ``detail`` that says what to do, logged and counted in
``wakesmith_judge_errors``; an unforeseen exception is a counted 500 without internals.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from wakesmith import __version__
from wakesmith.errors import ConfigError, WakesmithError
from wakesmith.judge.core import DEFAULT_SATELLITE, JudgeCore, SatelliteRefusedError
from wakesmith.judge.ha_api import create_ha_router
from wakesmith.judge.http_guard import HTTP_TOO_LARGE, RequestGuard
from wakesmith.judge.names import for_log

log = logging.getLogger(__name__)

HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
HTTP_UNPROCESSABLE = 422
HTTP_INTERNAL = 500
FILENAME_CHARS = 40


def create_app(core: JudgeCore) -> FastAPI:
    """The FastAPI app of one Judge."""
    docs = core.settings.http_docs
    app = FastAPI(
        title="wakesmith Judge",
        version=__version__,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.add_middleware(RequestGuard, core=core)
    _add_errors(app, core)
    _add_verify(app, core)
    _add_status(app, core)
    app.include_router(create_ha_router(core))  # /ha: what the Home Assistant integration asks
    return app


def _refuse(core: JudgeCore, status: int, detail: str, kind: str) -> HTTPException:
    """Log and count a refused request; the HTTP error to answer with."""
    log.warning("/verify refused (%d): %s", status, for_log(detail, 300))
    core.metrics.errors.labels(kind).inc()
    return HTTPException(status_code=status, detail=detail)


def _add_errors(app: FastAPI, core: JudgeCore) -> None:
    @app.exception_handler(Exception)
    async def internal(_request: Request, exc: Exception) -> Response:
        core.metrics.errors.labels("http_internal").inc()
        log.error("HTTP request failed: %s: %s", type(exc).__name__, for_log(exc, 200))
        return JSONResponse({"detail": "The Judge failed on this request; see its log."}, HTTP_INTERNAL)


def _add_verify(app: FastAPI, core: JudgeCore) -> None:
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
            raise _refuse(core, HTTP_TOO_LARGE, f"Uploads are limited to {limit} bytes.", "http_size")
        try:
            trigger = core.trigger(satellite, sentry_score)
            core.models.get(model)
            samples = await core.decode(data, for_log(audio.filename or "upload", FILENAME_CHARS))
        except SatelliteRefusedError as exc:
            raise _refuse(core, HTTP_FORBIDDEN, str(exc), "http_satellite") from None
        except ConfigError as exc:
            raise _refuse(core, HTTP_NOT_FOUND, str(exc), "http_model") from None
        except WakesmithError as exc:
            raise _refuse(core, HTTP_UNPROCESSABLE, str(exc), "http_audio") from None
        verdict = await core.run(core.judge_trigger, samples, model, trigger)
        return asdict(verdict)


def _add_status(app: FastAPI, core: JudgeCore) -> None:
    @app.get("/health")
    async def health() -> dict[str, Any]:
        """What a health check needs: the process answers, and whether MQTT answered lately.

        ``mqtt`` is null when MQTT is off, else whether the broker acknowledged a message within
        ``mqtt.liveness_s`` (not merely whether the TCP connection is open).
        """
        return {"status": "ok", "mqtt": core.telemetry.alive if core.settings.mqtt.host else None}

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus text format."""
        return Response(generate_latest(core.metrics.registry), media_type=CONTENT_TYPE_LATEST)
