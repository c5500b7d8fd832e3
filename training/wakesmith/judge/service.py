"""One process, three doors: the Wyoming server, the HTTP API (uvicorn) and MQTT telemetry."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator

import uvicorn

from wakesmith.errors import ConfigError
from wakesmith.judge.core import JudgeCore
from wakesmith.judge.http_api import create_app
from wakesmith.judge.http_guard import guarded_protocol
from wakesmith.judge.settings import JudgeSettings, parse_tcp_uri
from wakesmith.judge.wyoming_server import start_wyoming

log = logging.getLogger(__name__)

UVICORN_STARTUP_POLL_S = 0.02
HTTP_KEEP_ALIVE_MAX_S = 5
"""Longest an idle HTTP keep-alive connection is held (``limits.idle_timeout_s`` when shorter)."""
HTTP_SHUTDOWN_GRACE_S = 2
"""At stop, open responses (the ``/ha/events`` stream never ends by itself) are cut after this."""

__all__ = ["JudgeService", "parse_tcp_uri", "run_judge"]


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the Judge's process owns SIGINT / SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class JudgeService:
    """Start with :meth:`start` (inside an event loop), stop with :meth:`stop`."""

    def __init__(self, settings: JudgeSettings, core: JudgeCore | None = None) -> None:
        self.settings = settings
        self.core = core or JudgeCore.from_settings(settings)
        self.wyoming_port = 0
        self.http_port = 0
        self._wyoming: asyncio.Server | None = None
        self._http: uvicorn.Server | None = None
        self._http_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the Wyoming and HTTP ports and connect to MQTT; ports 0 pick free ones."""
        self.settings.check_startable()
        host, port = self.settings.wyoming_address
        self._wyoming = await start_wyoming(self.core, host, port)
        self.wyoming_port = self._wyoming.sockets[0].getsockname()[1]
        self.core.telemetry.start()
        if self.settings.http_port is not None:
            await self._start_http()
            log.info(
                "Judge listening: wyoming %s:%d, http %s:%d (%s)",
                host,
                self.wyoming_port,
                self.settings.http_bind_host,
                self.http_port,
                "token required"
                if self.settings.http_token
                else "no token: anyone who reaches it may use it",
            )
        else:
            log.info("Judge listening: wyoming %s:%d, no http", host, self.wyoming_port)

    async def _start_http(self) -> None:
        limits = self.settings.limits
        config = uvicorn.Config(
            create_app(self.core),
            host=self.settings.http_bind_host,
            port=self.settings.http_port or 0,
            log_level="warning",
            lifespan="off",
            http=guarded_protocol(self.core),
            timeout_keep_alive=max(1, min(HTTP_KEEP_ALIVE_MAX_S, round(limits.idle_timeout_s))),
            limit_concurrency=limits.max_connections + 1,
            h11_max_incomplete_event_size=limits.max_header_bytes,
            server_header=False,
            timeout_graceful_shutdown=HTTP_SHUTDOWN_GRACE_S,
        )
        server = _EmbeddedServer(config)
        self._http = server
        self._http_task = asyncio.create_task(server.serve())
        while not server.started:
            if self._http_task.done():
                self._http_task.result()
                raise ConfigError(f"The HTTP server could not start on port {self.settings.http_port}.")
            await asyncio.sleep(UVICORN_STARTUP_POLL_S)
        self.http_port = server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the ports, say offline on MQTT, stop the inference threads."""
        if self._wyoming is not None:
            self._wyoming.close()
        if self._http is not None and self._http_task is not None:
            self._http.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._http_task
        self.core.close()

    async def serve_forever(self, on_ready: Callable[[JudgeService], Awaitable[None]] | None = None) -> None:
        """Run until cancelled (Ctrl-C / SIGTERM); ``on_ready`` runs once both ports listen."""
        await self.start()
        if on_ready is not None:
            await on_ready(self)
        task = asyncio.current_task()
        if task is not None:
            # SIGTERM (docker stop, the add-on supervisor) shuts down as cleanly as Ctrl-C.
            with contextlib.suppress(NotImplementedError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            assert self._wyoming is not None
            await self._wyoming.serve_forever()
        finally:
            await self.stop()


def run_judge(settings: JudgeSettings) -> None:
    """Blocking entry point (the CLI and the add-on)."""
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(JudgeService(settings).serve_forever())
