"""The studio's door: who may ask (a bearer token, or Home Assistant's ingress proxy), how often, and
how big a body may be.

- **standalone**: ``Authorization: Bearer <token>`` on every request but :data:`PUBLIC_PATHS`
  (browsers cannot set headers on a WebSocket, so ``/api/status`` also takes ``?token=``);
- **ingress**: only connections from the Supervisor's proxy (``proxy_addresses``) are served — the
  proxy authenticates the user and names them in ``X-Remote-User-Name`` / ``X-Remote-User-Id``, which
  are recorded; ``X-Ingress-Path`` becomes the root path. When the settings give a ``token``, a
  request from elsewhere bearing it is served too (Home Assistant's ``retrain`` action calls from
  Home Assistant's own address), its ingress headers ignored;
- a per-client rate limit (requests, and bodies, per minute);
- the body limit and deadline of the Judge's :class:`~wakesmith.judge.http_guard.RequestGuard`: a
  declared ``Content-Length`` over the limit is refused before the body is read, and the body is
  counted as it arrives.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import defaultdict, deque
from urllib.parse import parse_qs

from prometheus_client import Counter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from wakesmith.judge.http_guard import BODY_METHODS, CLOSE, HTTP_UNAUTHORIZED, RequestGuard, _headers
from wakesmith.server.settings import ServerSettings

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/api/health"})
HTTP_FORBIDDEN = 403
HTTP_TOO_MANY = 429
WINDOW_S = 60.0
WS_POLICY_VIOLATION = 1008
MAX_CLIENTS = 4096
"""Clients remembered by the rate limit before the quiet ones are forgotten."""


class BodyLimit(RequestGuard):
    """The Judge's body limit and deadline, with the studio's limit, wording and error counter."""

    def __init__(self, app: ASGIApp, *, limit: int, timeout_s: float, refused: Counter) -> None:
        # RequestGuard's own __init__ reads a JudgeCore; the studio has none, so set its fields here.
        self.app, self.token, self.limit, self.timeout, self.refused = app, b"", limit, timeout_s, refused

    def _too_large(self) -> str:
        return (
            f"Requests are limited to {self.limit} bytes; upload recordings one at a time "
            "(set limits.max_body_bytes to change it)."
        )

    def _count(self, kind: str, why: str) -> None:
        log.warning("request refused (%s): %s", kind, why)
        self.refused.labels(kind).inc()


class RateLimit:
    """A sliding one-minute window per client."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.seen: defaultdict[str, deque[float]] = defaultdict(deque)

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        if len(self.seen) > MAX_CLIENTS:  # forget clients quiet for a whole window
            self.seen = defaultdict(
                deque, {k: v for k, v in self.seen.items() if v and now - v[-1] <= WINDOW_S}
            )
        seen = self.seen[client]
        while seen and now - seen[0] > WINDOW_S:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return False
        seen.append(now)
        return True


class StudioGuard:
    """ASGI middleware in front of the whole app (HTTP and WebSocket)."""

    def __init__(self, app: ASGIApp, *, settings: ServerSettings, token: str, refused: Counter) -> None:
        self.settings = settings
        self.token = token.encode()
        self.refused = refused
        limits = settings.limits
        self.body = BodyLimit(
            app, limit=limits.max_body_bytes, timeout_s=limits.request_timeout_s, refused=refused
        )
        self.requests = RateLimit(limits.requests_per_minute)
        self.bodies = RateLimit(limits.uploads_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.body.app(scope, receive, send)
            return
        headers = _headers(scope)
        client = (scope.get("client") or ("", 0))[0]
        state = scope.setdefault("state", {})
        by_token = bool(self.token) and self._authorized(scope, headers)
        if self.settings.mode == "ingress" and client not in self.settings.proxy_addresses and by_token:
            # another program with the token (Home Assistant's retrain action): ingress headers ignored
            state["user"], state["user_id"], key = "token", "", client
        elif self.settings.mode == "ingress":
            if client not in self.settings.proxy_addresses:
                await self._refuse(
                    scope,
                    receive,
                    send,
                    HTTP_FORBIDDEN,
                    "ingress",
                    (
                        "This studio runs behind Home Assistant's ingress: open it from the Home Assistant "
                        "sidebar (requests from other addresses are refused)."
                    ),
                )
                return
            state["user"] = headers.get("x-remote-user-name") or headers.get("x-remote-user-id") or "ingress"
            state["user_id"] = headers.get("x-remote-user-id", "")
            if ingress_path := headers.get("x-ingress-path"):
                scope["root_path"] = ingress_path.rstrip("/")
            key = state["user_id"] or client
        else:
            public = scope["type"] == "http" and scope["path"] in PUBLIC_PATHS
            if not public and not by_token:
                await self._refuse(
                    scope,
                    receive,
                    send,
                    HTTP_UNAUTHORIZED,
                    "auth",
                    (
                        "Send the studio's token: `Authorization: Bearer <token>` (printed by "
                        "`wakesmith serve` on its first start and kept in <home>/studio_token)."
                    ),
                )
                return
            state["user"], state["user_id"], key = "token", "", client
        heavy = scope["type"] == "http" and scope["method"] in BODY_METHODS
        if not self.requests.allow(key) or (heavy and not self.bodies.allow(key)):
            await self._refuse(
                scope,
                receive,
                send,
                HTTP_TOO_MANY,
                "rate",
                self._too_many(),
            )
            return
        await self.body(scope, receive, send)

    def _too_many(self) -> str:
        limits = self.settings.limits
        return (
            f"Too many requests from this client: at most {limits.requests_per_minute} a minute "
            f"({limits.uploads_per_minute} uploads or changes). Wait a minute and try again."
        )

    def _authorized(self, scope: Scope, headers: dict[str, str]) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token):
            return True
        if scope["type"] == "websocket":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            return any(hmac.compare_digest(t.encode(), self.token) for t in query.get("token", []))
        return False

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, kind: str, detail: str
    ) -> None:
        log.warning("request to %s refused (%s)", scope.get("path"), kind)
        self.refused.labels(kind).inc()
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION, "reason": detail[:120]})
            return
        extra = {"WWW-Authenticate": "Bearer"} if status == HTTP_UNAUTHORIZED else {}
        if status == HTTP_TOO_MANY:
            extra["Retry-After"] = str(int(WINDOW_S))
        response = JSONResponse({"detail": detail}, status_code=status, headers={**extra, **CLOSE})
        await response(scope, receive, send)
