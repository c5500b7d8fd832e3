"""Typed settings of the Judge. Defaults live here; the add-on's ``options.json`` and the CLI fill them in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wakesmith.errors import ConfigError

DEFAULT_WYOMING_URI = "tcp://0.0.0.0:10400"
DEFAULT_HTTP_PORT = 10401
MQTT_DEFAULT_PORT = 1883


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSettings(_Section):
    """One judge model the service loads."""

    path: Path
    """An exported ``.onnx`` file (its metadata carries the recipe and calibrated thresholds)."""
    name: str = ""
    """Wake model name in Wyoming ``info`` and ``detect`` (default: the file's model id)."""
    preset: str = "default"
    """Calibrated threshold preset to use (``sensitive``, ``default``, ``strict``)."""
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    """A fixed threshold instead of the preset's."""
    languages: list[str] = Field(default_factory=lambda: ["en"])


class MqttSettings(_Section):
    """MQTT telemetry (Home Assistant discovery). Disabled when ``host`` is empty."""

    host: str = ""
    port: int = Field(default=MQTT_DEFAULT_PORT, ge=1, le=65535)
    username: str = ""
    password: str = ""
    discovery: bool = True
    """Publish Home Assistant discovery configs (sensors per satellite); turn off when the wakesmith
    integration is installed, whose entities are then the only Home Assistant face of the Judge."""
    discovery_prefix: str = "homeassistant"
    base_topic: str = "wakesmith"
    reconnect_max_s: float = Field(default=30.0, gt=0)
    """Longest wait between reconnection attempts after the broker goes away."""
    liveness_s: float = Field(default=30.0, gt=0)
    """``/health`` reports MQTT as down when the broker has not acknowledged a message for this long
    (a heartbeat is published every third of it), even while the TCP connection looks open."""
    max_queued: int = Field(default=1000, ge=1)
    """Messages kept for a broker that does not answer; beyond that the oldest events are dropped."""


class CaptureSettings(_Section):
    """Hard-negative capture: rejected triggers (and, opt-in, accepted ones) kept on disk."""

    folder: Path | None = None
    """Where captures go; none are kept when unset."""
    quota_mb: float = Field(default=200.0, gt=0)
    """Disk quota for the folder; the oldest captures are deleted first."""
    keep_accepted: bool = False
    """Also keep accepted triggers (future positives, after review)."""


class LimitSettings(_Section):
    """Bounds on what a client may send; anything beyond is refused with an error, not buffered."""

    max_upload_bytes: int = Field(default=2_000_000, gt=0)
    """Largest ``POST /verify`` body."""
    max_verify_seconds: float = Field(default=10.0, gt=0)
    """Longest trigger buffer or upload to verify."""
    max_header_bytes: int = Field(default=64 * 1024, gt=0)
    """Longest Wyoming JSON header line or data block."""
    max_payload_bytes: int = Field(default=1_000_000, gt=0)
    """Largest Wyoming payload (an audio chunk)."""
    max_decoded_bytes: int = Field(default=8_000_000, gt=0)
    """Largest uploaded audio once decoded (float32 samples, all channels), checked before decoding."""
    max_names: int = Field(default=16, ge=1)
    """Longest ``detect.names`` list (duplicates are folded; each name must be a served model)."""
    max_name_chars: int = Field(default=64, ge=1)
    """Longest satellite name in a trigger context or a ``/verify`` form."""
    max_satellites: int = Field(default=64, ge=1)
    """Satellites with counters and MQTT sensors; the least recently heard one is forgotten beyond."""
    max_connections: int = Field(default=64, ge=1)
    """Open connections per port (Wyoming, HTTP); more are refused at once."""
    idle_timeout_s: float = Field(default=120.0, gt=0)
    """A connection that sends nothing for this long is closed (HTTP keep-alive: at most 5 s)."""
    header_timeout_s: float = Field(default=10.0, gt=0)
    """Once an event or request starts, its header, data and payload must arrive within this."""
    request_timeout_s: float = Field(default=30.0, gt=0)
    """An HTTP request body must arrive within this."""


class JudgeSettings(_Section):
    """Everything the Judge service needs."""

    models: list[ModelSettings] = Field(min_length=1)
    uri: str = DEFAULT_WYOMING_URI
    """Wyoming server address (``tcp://host:port``)."""
    http_host: str | None = None
    """Address the HTTP server binds (default: the host of ``uri``, so one option binds both ports)."""
    http_port: int | None = Field(default=DEFAULT_HTTP_PORT, ge=0, le=65535)
    """HTTP port for /verify, /health and /metrics (0: any free port; null: no HTTP server)."""
    http_token: str = ""
    """Bearer token every HTTP request but ``/health`` must send (``Authorization: Bearer …``)."""
    http_token_required: bool = False
    """Refuse to start without ``http_token`` (the add-on sets this and generates a token)."""
    http_docs: bool = False
    """Serve ``/docs`` and ``/openapi.json`` (off: they describe the API to anyone who asks)."""
    satellites: list[str] = Field(default_factory=list)
    """Satellite names allowed to send triggers (empty: any); others are refused."""
    threads: int = Field(default=2, ge=1)
    """Worker threads that run inference (one onnxruntime thread each)."""
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    capture: CaptureSettings = Field(default_factory=CaptureSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    state_folder: Path | None = None
    """Where the Judge records what changes at run time (models installed from Home Assistant), so it
    survives a restart (see :mod:`wakesmith.judge.state`); nothing is kept when unset."""

    @model_validator(mode="after")
    def _check_uri(self) -> JudgeSettings:
        parse_tcp_uri(self.uri)
        return self

    def check_startable(self) -> None:
        """What the service checks before it opens a port (options may be completed by the add-on)."""
        if self.http_token_required and self.http_port is not None and not self.http_token:
            raise ConfigError(
                "http_token is required (http_token_required is on): set one, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, or turn "
                "http_token_required off if only you can reach the HTTP port."
            )

    @property
    def wyoming_address(self) -> tuple[str, int]:
        return parse_tcp_uri(self.uri)

    @property
    def http_bind_host(self) -> str:
        """Where HTTP listens: ``http_host``, else the Wyoming URI's host."""
        return self.http_host if self.http_host is not None else self.wyoming_address[0]


def parse_tcp_uri(uri: str) -> tuple[str, int]:
    """``tcp://host:port`` → (host, port); anything else is a ConfigError."""
    parsed = urlparse(uri)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme != "tcp" or parsed.hostname is None or port is None:
        raise ConfigError(f"Wyoming URI {uri!r} must look like tcp://0.0.0.0:10400.")
    return parsed.hostname, port


def parse_settings(data: dict[str, Any], where: str = "Judge settings") -> JudgeSettings:
    """Validate a settings dict; unknown or wrong keys raise :class:`ConfigError` naming the key."""
    try:
        return JudgeSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{where}: {key}: {first['msg']} (got {first.get('input')!r}).") from None


def load_settings(path: Path | str) -> JudgeSettings:
    """Read settings from a JSON (add-on ``options.json``) or YAML file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"Cannot read Judge settings {path}: {exc.strerror}.") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} is not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of Judge settings, got {type(data).__name__}.")
    return parse_settings(data, str(path))
