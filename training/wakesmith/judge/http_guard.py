"""The HTTP door's guards: a bearer token, a body limit counted while reading, and bounded connections.

- :class:`RequestGuard` (ASGI middleware) checks ``Authorization: Bearer <token>`` before anything is
  read (every path but :data:`PUBLIC_PATHS`), refuses a declared ``Content-Length`` over the limit, and
  counts the body as it arrives — chunked or not, whatever the headers claim — answering 413 the moment
  it passes the limit and 408 when it trickles in slower than ``request_timeout_s``;
- :func:`guarded_protocol` is uvicorn's h11 protocol with a cap on open connections and a deadline for
  each request's headers (uvicorn has none: a client sending a byte a second would hold its socket).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from wakesmith.judge.core import JudgeCore
from wakesmith.judge.names import for_log

log = logging.getLogger(__name__)

HTTP_UNAUTHORIZED = 401
HTTP_TIMEOUT = 408
HTTP_TOO_LARGE = 413
PUBLIC_PATHS = frozenset({"/health"})
"""Paths a health check reaches without the token (they reveal nothing but liveness)."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MIN_IDLE_TO_EVICT_S = 1.0
"""A connection waiting for less than this is not closed to make room for a new one."""
CLOSE = {"Connection": "close"}
"""Sent with a refusal mid-body: the rest of that body is not worth reading."""


class RequestGuard:
    """ASGI middleware: token, then the body limit and deadline (both counted in the errors metric)."""

    def __init__(self, app: ASGIApp, *, core: JudgeCore) -> None:
        self.app = app
        self.core = core
        settings = core.settings
        self.token = settings.http_token.encode()
        self.limit = settings.limits.max_upload_bytes
        self.timeout = settings.limits.request_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if self.token and scope["path"] not in PUBLIC_PATHS and not self._authorized(headers):
            self._count("http_auth", f"{scope['path']}: missing or wrong bearer token")
            response = JSONResponse(
                {"detail": "Send the Judge's token: `Authorization: Bearer <http_token>`."},
                status_code=HTTP_UNAUTHORIZED,
                headers={"WWW-Authenticate": "Bearer", **CLOSE},
            )
            await response(scope, receive, send)
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            self._count("http_size", f"declared Content-Length {for_log(declared, 20)}")
            response = JSONResponse({"detail": self._too_large()}, status_code=HTTP_TOO_LARGE, headers=CLOSE)
            await response(scope, receive, send)
            return
        await self.app(scope, self._limited(receive), send)

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token)

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        deadline = time.monotonic() + self.timeout

        async def limited() -> Message:
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                self._count("http_timeout", "request body too slow")
                detail = f"The request body did not arrive within {self.timeout:g} s."
                raise HTTPException(HTTP_TIMEOUT, detail, headers=CLOSE) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    self._count("http_size", f"body passed {self.limit} bytes while reading")
                    raise HTTPException(HTTP_TOO_LARGE, self._too_large(), headers=CLOSE)
            return message

        return limited

    def _too_large(self) -> str:
        return f"Uploads are limited to {self.limit} bytes; send the 1.5–2 s trigger buffer."

    def _count(self, kind: str, why: str) -> None:
        log.warning("HTTP request refused (%s): %s", kind, why)
        self.core.metrics.errors.labels(kind).inc()


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def guarded_protocol(core: JudgeCore) -> type[H11Protocol]:
    """uvicorn's h11 protocol with ``limits.max_connections`` and ``limits.header_timeout_s``."""
    limits = core.settings.limits

    class GuardedH11Protocol(H11Protocol):
        _header_deadline: asyncio.TimerHandle | None = None

        _waiting_since = 0.0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= limits.max_connections and not self._make_room():
                core.metrics.errors.labels("http_connections").inc()
                log.warning("HTTP connection refused: %d are open already", limits.max_connections)
                transport.close()
                return
            super().connection_made(transport)
            self._arm()

        def _make_room(self) -> bool:
            """Close the connection waiting longest for a request (none mid-request); False if none."""
            now = time.monotonic()
            waiting = [
                c
                for c in self.connections
                if isinstance(c, GuardedH11Protocol)
                and c._header_deadline is not None
                and now - c._waiting_since >= MIN_IDLE_TO_EVICT_S
            ]
            if not waiting:
                return False
            idlest = min(waiting, key=lambda c: c._waiting_since)
            core.metrics.errors.labels("http_connections_evicted").inc()
            idlest._disarm()
            idlest.transport.close()
            self.connections.discard(idlest)
            return True

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if getattr(self, "transport", None) is not None:
                super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # a request's headers are in: its body has its own deadline

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._waiting_since = time.monotonic()
            self._header_deadline = self.loop.call_later(limits.header_timeout_s, self._expire)

        def _disarm(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _expire(self) -> None:
            self._header_deadline = None
            if self.cycle is None or self.cycle.response_complete:
                core.metrics.errors.labels("http_header_timeout").inc()
                log.warning(
                    "HTTP connection closed: no complete request within %g s", limits.header_timeout_s
                )
                self.transport.close()

    return GuardedH11Protocol
