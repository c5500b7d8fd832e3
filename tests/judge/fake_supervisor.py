"""A stand-in for the Home Assistant Supervisor's HTTP API on loopback (no Supervisor runs here).

It answers the two calls the Judge add-on makes, in the Supervisor's envelope
(``{"result": "ok", "data": …}`` or ``{"result": "error", "message": …}``):

- ``GET /services/mqtt`` — the broker given at construction, or an error when there is none;
- ``POST /discovery`` — records ``{"service", "config"}`` and answers a uuid.

Every request must carry ``Authorization: Bearer <token>``, as the Supervisor requires.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WAIT_S = 30.0


class FakeSupervisor:
    def __init__(self, token: str = "supervisor-token", mqtt: dict[str, Any] | None = None) -> None:
        self.token = token
        self.mqtt = mqtt
        self.discoveries: list[dict[str, Any]] = []
        self.refused = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {owner.token}":
                    return True
                owner.refused += 1
                self._reply(401, {"result": "error", "message": "Unauthorized"})
                return False

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                if self.path == "/services/mqtt" and owner.mqtt is not None:
                    self._reply(200, {"result": "ok", "data": owner.mqtt})
                else:
                    self._reply(400, {"result": "error", "message": "Service not available"})

            def do_POST(self) -> None:
                if not self._authorized():
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path != "/discovery":
                    self._reply(404, {"result": "error", "message": "Not found"})
                    return
                owner.discoveries.append(body)
                self._reply(200, {"result": "ok", "data": {"uuid": uuid.uuid4().hex}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def discovered(self, service: str) -> dict[str, Any]:
        """The config announced for ``service`` (waits for it)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for body in self.discoveries:
                if body.get("service") == service:
                    return dict(body["config"])
            time.sleep(0.05)
        raise AssertionError(f"{service} was not announced; got {self.discoveries}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
