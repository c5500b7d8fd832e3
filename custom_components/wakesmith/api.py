"""The Judge's HTTP API (``/ha`` on its HTTP port) and the trainer studio's (``/api``) as the
integration uses them, over aiohttp.

The integration never imports the wakesmith package (it runs in Home Assistant's Python): these
clients are its only knowledge of the Judge and the studio.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp

REQUEST_TIMEOUT_S = 10
INSTALL_TIMEOUT_S = 120
"""Loading a judge model can take a while on a small host."""
EVENTS_READ_TIMEOUT_S = 45
"""The Judge sends a comment every 15 s; three missed in a row mean the stream is dead."""
HTTP_UNAUTHORIZED = 401


class JudgeError(Exception):
    """Anything that went wrong talking to the Judge."""


class JudgeConnectionError(JudgeError):
    """The Judge cannot be reached (down, wrong host or port, timed out)."""


class JudgeAuthError(JudgeError):
    """The Judge refused the token (or one is needed)."""


class JudgeRequestError(JudgeError):
    """The Judge answered with a refusal; ``detail`` says why, in its words."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class _Service:
    """What the Judge's and the studio's clients share: a base URL, a bearer token, JSON requests."""

    session: aiohttp.ClientSession
    token: str
    what: ClassVar[str] = "the Judge"

    @property
    def base(self) -> str:
        raise NotImplementedError

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        timeout: float = REQUEST_TIMEOUT_S,
    ) -> dict[str, Any]:
        try:
            async with self.session.request(
                method,
                f"{self.base}{path}",
                json=body,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                if response.status == HTTP_UNAUTHORIZED:
                    raise JudgeAuthError(f"{self.what.capitalize()} refused the token.")
                try:
                    data = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    data = {"detail": (await response.text())[:200]}
                if response.status >= 400:
                    detail = data.get("detail") if isinstance(data, dict) else None
                    raise JudgeRequestError(response.status, str(detail or response.reason))
                if not isinstance(data, dict):
                    raise JudgeRequestError(
                        response.status, f"{self.what.capitalize()} answered something that is not JSON."
                    )
                return data
        except (aiohttp.ClientError, TimeoutError) as err:
            raise JudgeConnectionError(f"Cannot reach {self.what} at {self.base}: {err!r}") from err


@dataclass
class JudgeClient(_Service):
    """One Judge: ``http://host:http_port`` with an optional bearer token."""

    session: aiohttp.ClientSession
    host: str
    http_port: int
    token: str = ""

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.http_port}"

    async def info(self) -> dict[str, Any]:
        return await self._request("GET", "/ha/info")

    async def satellites(self) -> dict[str, Any]:
        return await self._request("GET", "/ha/satellites")

    async def report_false_alarm(
        self, satellite: str | None = None, verdict_id: str | None = None
    ) -> dict[str, Any]:
        body = {k: v for k, v in (("satellite", satellite), ("verdict_id", verdict_id)) if v}
        return await self._request("POST", "/ha/false_alarms", body=body)

    async def set_preset(self, satellite: str, preset: str) -> dict[str, Any]:
        return await self._request("PUT", f"/ha/satellites/{satellite}/preset", body={"preset": preset})

    async def install_model(self, name: str, path: str) -> dict[str, Any]:
        return await self._request(
            "POST", f"/ha/models/{name}/install", body={"path": path}, timeout=INSTALL_TIMEOUT_S
        )

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """The Judge's event stream (SSE), one decoded event at a time, until it ends or breaks."""
        timeout = aiohttp.ClientTimeout(
            total=None, connect=REQUEST_TIMEOUT_S, sock_read=EVENTS_READ_TIMEOUT_S
        )
        try:
            async with self.session.get(
                f"{self.base}/ha/events", headers=self._headers, timeout=timeout
            ) as response:
                if response.status == HTTP_UNAUTHORIZED:
                    raise JudgeAuthError("The Judge refused the token.")
                if response.status != 200:
                    raise JudgeRequestError(response.status, response.reason or "")
                async for raw in response.content:
                    line = raw.decode(errors="replace").strip()
                    if line.startswith("data:"):
                        yield json.loads(line[len("data:") :])
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise JudgeConnectionError(f"The Judge's event stream broke: {err!r}") from err


@dataclass
class StudioClient(_Service):
    """The trainer studio (``wakesmith serve`` or the trainer add-on) at its URL, with its token."""

    session: aiohttp.ClientSession
    url: str
    token: str = ""
    what: ClassVar[str] = "the trainer studio"

    @property
    def base(self) -> str:
        return self.url.rstrip("/")

    async def retrain(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/retrain``: import the Judge's hard negatives, queue a training → ``{job_id, …}``."""
        return await self._request("POST", "/api/retrain", body=body)

    async def job(self, job_id: str) -> dict[str, Any]:
        return await self._request("GET", f"/api/jobs/{job_id}")

    async def deploy(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/deploy``: the studio places the model and installs it (undone on failure)."""
        return await self._request("POST", "/api/deploy", body=body, timeout=INSTALL_TIMEOUT_S)
