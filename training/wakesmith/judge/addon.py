"""The Judge add-on's start: its options and the Supervisor's services become Judge settings.

The add-on's ``/run.sh`` only runs ``wakesmith judge-addon``; everything it used to do in shell is here,
where it is typed and tested:

1. read ``/data/options.json`` (the Supervisor writes it from the schema in ``config.yaml``) into
   :class:`AddonOptions` — an unknown or wrong option is an error naming the option;
2. MQTT: the options' broker, or — when its host is empty — the Mosquitto add-on's, asked from the
   Supervisor (``GET /services/mqtt``);
3. the HTTP token: the options', or, when it is required and left empty, one generated once into
   ``/data/http_token`` (mode 0600), which survives restarts and updates;
4. settings: Wyoming on ``tcp://0.0.0.0:10400``, HTTP on 10401, ``state_folder`` ``/data`` (so models
   installed from Home Assistant survive a restart), the rest from the options;
5. once both ports listen, announce the Judge to Home Assistant through the Supervisor
   (``POST /discovery``): ``wyoming`` (``{"uri": "tcp://<hostname>:10400"}``, for Home Assistant's
   Wyoming integration) and ``wakesmith`` (``{"host", "port", "http_port", "token"}``, for the wakesmith
   integration, which then needs no typing at all).

Without ``SUPERVISOR_TOKEN`` (the image run by hand with ``docker run``) steps 2 and 5 are skipped with a
warning; the service still starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wakesmith.errors import ConfigError
from wakesmith.fsio import kept_secret
from wakesmith.judge.service import JudgeService
from wakesmith.judge.settings import (
    DEFAULT_HTTP_PORT,
    MQTT_DEFAULT_PORT,
    CaptureSettings,
    JudgeSettings,
    ModelSettings,
    parse_settings,
)

log = logging.getLogger(__name__)

OPTIONS_FILE = Path("/data/options.json")
DATA_FOLDER = Path("/data")
SUPERVISOR_URL = "http://supervisor"
WYOMING_PORT = 10400
TOKEN_FILE = "http_token"
SUPERVISOR_TIMEOUT_S = 10.0
ANNOUNCE_ATTEMPTS = 5
ANNOUNCE_RETRY_S = 5.0
TOKEN_BYTES = 32


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MqttOptions(_Options):
    host: str = ""
    port: int = Field(default=MQTT_DEFAULT_PORT, ge=1, le=65535)
    username: str = ""
    password: str = ""
    discovery: bool = True
    """MQTT discovery sensors; turn off once the wakesmith integration shows the Judge."""


class AddonOptions(_Options):
    """The add-on's options, exactly as ``config.yaml``'s ``schema`` declares them."""

    models: list[ModelSettings] = Field(min_length=1)
    threads: int = Field(default=2, ge=1, le=16)
    http_token: str = ""
    http_token_required: bool = True
    satellites: list[str] = Field(default_factory=list)
    mqtt: MqttOptions = Field(default_factory=MqttOptions)
    capture: CaptureSettings = Field(default_factory=CaptureSettings)


OptionsT = TypeVar("OptionsT", bound=BaseModel)


def load_options(path: Path, model: type[OptionsT]) -> OptionsT:
    """Read an add-on's ``options.json`` into ``model``; a missing file, bad JSON or an unknown/wrong
    option is a ConfigError that names the option (the trainer add-on reads its own with this too)."""
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"Cannot read the add-on options {path}: {exc.strerror}.") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The add-on options {path} are not JSON ({exc}).") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(
            f"Add-on option {key}: {first['msg']} (got {first.get('input')!r}). Fix it in the add-on's "
            "Configuration tab."
        ) from None


def ensure_token(data_folder: Path, name: str = TOKEN_FILE) -> str:
    """The token kept in ``<data>/<name>``, generated (0600, atomically) on first use."""
    token, made = kept_secret(data_folder / name, TOKEN_BYTES)
    if made:
        log.info("Generated the token (kept in %s)", data_folder / name)
    return token


def to_settings(
    options: AddonOptions,
    *,
    data_folder: Path,
    mqtt_service: dict[str, Any] | None = None,
    ports: tuple[int, int] = (WYOMING_PORT, DEFAULT_HTTP_PORT),
) -> JudgeSettings:
    """Judge settings from the options, the Supervisor's MQTT service and the persistent data folder."""
    mqtt = options.mqtt.model_dump()
    if not options.mqtt.host and mqtt_service:
        log.info("Using the MQTT broker of the Mosquitto add-on")
        mqtt.update(
            host=str(mqtt_service.get("host", "")),
            port=int(mqtt_service.get("port", MQTT_DEFAULT_PORT)),
            username=str(mqtt_service.get("username", "")),
            password=str(mqtt_service.get("password", "")),
        )
    token = options.http_token
    if options.http_token_required and not token:
        token = ensure_token(data_folder)
        log.info("HTTP token (send as 'Authorization: Bearer <token>'): %s", token)
    return parse_settings(
        {
            "models": [m.model_dump() for m in options.models],
            "uri": f"tcp://0.0.0.0:{ports[0]}",
            "http_port": ports[1],
            "http_token": token,
            "http_token_required": options.http_token_required,
            "satellites": options.satellites,
            "threads": options.threads,
            "mqtt": mqtt,
            "capture": options.capture.model_dump(),
            "state_folder": str(data_folder),
        },
        "add-on options",
    )


@dataclass
class Supervisor:
    """The few Supervisor API calls the add-on makes (``http://supervisor``, the add-on's token)."""

    token: str
    url: str = SUPERVISOR_URL
    timeout_s: float = SUPERVISOR_TIMEOUT_S
    announced: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, url: str = SUPERVISOR_URL) -> Supervisor | None:
        token = os.environ.get("SUPERVISOR_TOKEN", "")
        return cls(token, url) if token else None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            reply = json.loads(response.read() or b"{}")
        if reply.get("result") != "ok":
            raise ConfigError(f"The Supervisor refused {method} {path}: {reply.get('message', reply)}")
        return reply.get("data", {})

    def mqtt_service(self) -> dict[str, Any] | None:
        """The Mosquitto add-on's broker and credentials, or None when no MQTT service is available."""
        try:
            data = self._call("GET", "/services/mqtt")
        except (OSError, ValueError, ConfigError) as exc:
            log.info("No MQTT service from the Supervisor (%s): MQTT telemetry stays off", exc)
            return None
        return data if isinstance(data, dict) and data.get("host") else None

    def announce(self, service: str, config: dict[str, Any]) -> None:
        """Tell Home Assistant about a service (``POST /discovery``)."""
        self._call("POST", "/discovery", {"service": service, "config": config})
        self.announced.append(service)
        log.info("Announced %s to Home Assistant", service)


def discovery_configs(settings: JudgeSettings, hostname: str) -> dict[str, dict[str, Any]]:
    """What the add-on announces: the Wyoming URI, and everything the wakesmith integration needs."""
    port = settings.wyoming_address[1]
    return {
        "wyoming": {"uri": f"tcp://{hostname}:{port}"},
        "wakesmith": {
            "host": hostname,
            "port": port,
            "http_port": settings.http_port,
            "token": settings.http_token,
        },
    }


async def announce_all(supervisor: Supervisor, configs: dict[str, dict[str, Any]]) -> None:
    """Announce every service, retrying a few times: Home Assistant may still be starting."""
    loop = asyncio.get_running_loop()
    for service, config in configs.items():
        for attempt in range(1, ANNOUNCE_ATTEMPTS + 1):
            try:
                await loop.run_in_executor(None, supervisor.announce, service, config)
                break
            except (OSError, ValueError, ConfigError) as exc:
                if attempt == ANNOUNCE_ATTEMPTS:
                    log.warning(
                        "Could not announce %s to Home Assistant (%s): add the integration by hand "
                        "(host %s, ports %s)",
                        service,
                        exc,
                        config.get("host", config.get("uri")),
                        config.get("port", ""),
                    )
                else:
                    await asyncio.sleep(ANNOUNCE_RETRY_S)


def prepare(
    options_file: Path = OPTIONS_FILE,
    data_folder: Path = DATA_FOLDER,
    supervisor: Supervisor | None = None,
    ports: tuple[int, int] = (WYOMING_PORT, DEFAULT_HTTP_PORT),
) -> JudgeSettings:
    """Options + Supervisor → settings, checked as the service checks them before it opens a port."""
    options = load_options(options_file, AddonOptions)
    mqtt_service = supervisor.mqtt_service() if supervisor is not None and not options.mqtt.host else None
    settings = to_settings(options, data_folder=data_folder, mqtt_service=mqtt_service, ports=ports)
    settings.check_startable()
    return settings


async def serve_addon(
    settings: JudgeSettings, supervisor: Supervisor | None, hostname: str | None = None
) -> None:
    """Run the Judge; announce it once both ports listen."""
    service = JudgeService(settings)
    tasks: set[asyncio.Task[None]] = set()  # held, so the announcing task is not garbage-collected

    async def ready(_: JudgeService) -> None:
        if supervisor is None:
            log.warning("No SUPERVISOR_TOKEN: not running under the Supervisor, nothing announced")
            return
        configs = discovery_configs(settings, hostname or socket.gethostname())
        task = asyncio.create_task(announce_all(supervisor, configs))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    await service.serve_forever(on_ready=ready)


def run_addon(
    options_file: Path = OPTIONS_FILE,
    data_folder: Path = DATA_FOLDER,
    supervisor_url: str = SUPERVISOR_URL,
    hostname: str | None = None,
    ports: tuple[int, int] = (WYOMING_PORT, DEFAULT_HTTP_PORT),
) -> None:
    """Blocking entry point of the add-on (``wakesmith judge-addon``)."""
    supervisor = Supervisor.from_env(supervisor_url)
    settings = prepare(options_file, data_folder, supervisor, ports)
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(serve_addon(settings, supervisor, hostname))
