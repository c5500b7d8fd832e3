"""Typed settings of the trainer studio's backend (``wakesmith serve`` flags or a JSON/YAML file)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from wakesmith.fsio import kept_secret
from wakesmith.home import Home

log = logging.getLogger(__name__)

TOKEN_FILE = "studio_token"
SUPERVISOR_PROXY = "172.30.32.2"
"""The address Home Assistant's Supervisor proxies ingress requests from."""
MIB = 1024 * 1024


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LimitSettings(_Section):
    max_body_bytes: int = Field(default=20 * MIB, ge=1024)
    """Largest request body; a bigger one is refused before it is read (413)."""
    max_clip_seconds: float = Field(default=30.0, gt=0)
    """Longest uploaded recording, per clip."""
    max_take_seconds: float = Field(default=120.0, gt=0)
    """Longest take uploaded to be split into utterances (``POST /api/datasets/{id}/takes``)."""
    request_timeout_s: float = Field(default=60.0, gt=0)
    """A request body must arrive within this long."""
    requests_per_minute: int = Field(default=600, ge=1)
    """Per client address (per ingress user behind the proxy); beyond it: 429."""
    uploads_per_minute: int = Field(default=120, ge=1)
    """Bodies (POST, PUT, PATCH) per client per minute: the costly requests."""


class ServerSettings(_Section):
    home: Path | None = None
    """The data home (default ``$WAKESMITH_HOME``)."""
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=1, le=65535)
    mode: Literal["standalone", "ingress"] = "standalone"
    """``standalone``: a bearer token on every request. ``ingress``: behind Home Assistant's ingress,
    only requests from :attr:`proxy_addresses` are served."""
    token: str = ""
    """Standalone: the bearer token; empty means the one kept in ``<home>/studio_token`` (made once).
    Ingress: when given, requests from other addresses that bear it are served too."""
    proxy_addresses: list[str] = Field(default_factory=lambda: [SUPERVISOR_PROXY])
    device: str = "cpu"
    """The device jobs are queued for and the spawned worker claims (``cpu``, ``cuda``)."""
    share_folder: Path | None = None
    """A folder the Judge can read (the add-ons' ``/share``); judge deploys place the model here."""
    judge_share_folder: Path | None = None
    """The same folder as the Judge sees it, when its path differs there (default: ``share_folder``)."""
    captures_folder: Path | None = None
    """The Judge's capture folder, as this server sees it: the default for ``POST /api/retrain``."""
    limits: LimitSettings = Field(default_factory=LimitSettings)
    json_logs: bool = False
    """Log one JSON object per line (for log collectors)."""
    spawn_worker: bool = True
    """``serve`` starts (and restarts) a worker process beside the web server."""

    def resolved_home(self) -> Home:
        return Home.resolve(self.home).ensure()

    def resolved_token(self) -> tuple[str, bool]:
        """The standalone token and whether it was made just now (so ``serve`` logs it once)."""
        if self.token:
            return self.token, False
        return kept_secret(self.resolved_home().root / TOKEN_FILE)
