"""The trainer add-on's start: its options become the studio's settings.

The add-on's ``/run.sh`` only runs ``wakesmith trainer-addon``. The studio then listens on the ingress
port (8099) in ``ingress`` mode: Home Assistant's sidebar panel reaches it through the Supervisor's
proxy, which names the user; requests from any other address — the wakesmith integration's retrain
action, a script on the port mapped in the add-on's Network settings — must bear the token (the
options', or one generated once into ``/data/studio_token`` and printed in the add-on's log). Datasets,
runs and models live in the options' ``home`` on ``/share``, where the Judge add-on reads deployed
models; a ``custom_wake_words`` deploy writes into ``/homeassistant/custom_wake_words``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from wakesmith.judge.addon import ensure_token, load_options
from wakesmith.server.settings import ServerSettings

log = logging.getLogger(__name__)

INGRESS_PORT = 8099
TOKEN_FILE = "studio_token"
HA_CONFIG = Path("/homeassistant")
"""Where ``map: homeassistant_config`` mounts Home Assistant's configuration folder."""


class TrainerOptions(BaseModel):
    """The trainer add-on's options, exactly as its ``config.yaml`` ``schema`` declares them."""

    model_config = ConfigDict(extra="forbid")

    device: Literal["cpu", "cuda"] = "cpu"
    token: str = ""
    home: Path = Path("/share/wakesmith/studio")
    share_folder: Path | None = None
    captures_folder: Path | None = None
    json_logs: bool = False


def to_settings(options: TrainerOptions, *, data_folder: Path, port: int = INGRESS_PORT) -> ServerSettings:
    """Studio settings: ingress on ``port`` for the sidebar, the token for everyone else."""
    token = options.token or ensure_token(data_folder, TOKEN_FILE)
    if not options.token:
        log.info("Studio token (send as 'Authorization: Bearer <token>'): %s", token)
    return ServerSettings(
        home=options.home,
        host="0.0.0.0",
        port=port,
        mode="ingress",
        token=token,
        device=options.device,
        share_folder=options.share_folder,
        captures_folder=options.captures_folder,
        json_logs=options.json_logs,
        spawn_worker=True,
    )


def prepare(options_file: Path, data_folder: Path, port: int = INGRESS_PORT) -> ServerSettings:
    """``options.json`` → settings (a ConfigError names a wrong option)."""
    return to_settings(load_options(options_file, TrainerOptions), data_folder=data_folder, port=port)
