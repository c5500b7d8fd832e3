"""What the Judge changes at run time and keeps across restarts: models installed over the ``/ha`` API.

Settings (the add-on's options, a YAML file) name the files the Judge loads at start. An install from
Home Assistant (``POST /ha/models/{name}/install``) serves another file under the same name; with a
``state_folder`` set, the swap is recorded in ``<state_folder>/installed_models.json`` (written
atomically) and applied the next time the Judge starts, so an installed model is still the one served
after a restart or an add-on update. A recorded file that has disappeared since is skipped with a
warning and the configured file is loaded instead.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from wakesmith.fsio import atomic_write_json
from wakesmith.judge.settings import JudgeSettings, ModelSettings

log = logging.getLogger(__name__)

INSTALLED_FILE = "installed_models.json"
STATE_VERSION = 1


def _path(settings: JudgeSettings) -> Path | None:
    return None if settings.state_folder is None else settings.state_folder / INSTALLED_FILE


def read_installed(settings: JudgeSettings) -> dict[str, dict[str, str]]:
    """Configured model path → ``{"path": installed file, "name": served name}`` (empty when none)."""
    path = _path(settings)
    if path is None or not path.is_file():
        return {}
    try:
        data: Any = json.loads(path.read_text())
        installed = data["installed"]
        if not isinstance(installed, dict):
            raise TypeError("'installed' is not an object")
        return {
            str(k): {"path": str(v["path"]), "name": str(v.get("name", ""))} for k, v in installed.items()
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring %s (%s): the configured models are loaded", path, exc)
        return {}


def apply_installed(settings: JudgeSettings) -> JudgeSettings:
    """The settings with every recorded install that still exists on disk in place of the configured file."""
    installed = read_installed(settings)
    if not installed:
        return settings
    models: list[ModelSettings] = []
    for model in settings.models:
        record = installed.get(str(model.path))
        if record is None:
            models.append(model)
        elif not Path(record["path"]).is_file():
            log.warning(
                "the model installed for %s (%s) is gone; loading the configured file", model.path, record
            )
            models.append(model)
        else:
            log.info("serving %s, installed in place of %s", record["path"], model.path)
            models.append(model.model_copy(update={"path": Path(record["path"]), "name": record["name"]}))
    return settings.model_copy(update={"models": models})


def record_install(settings: JudgeSettings, configured: Path, installed: ModelSettings) -> None:
    """Remember that ``installed`` now serves in place of the configured file ``configured``."""
    path = _path(settings)
    if path is None:
        return
    records = read_installed(settings)
    if installed.path == configured:
        records.pop(str(configured), None)  # back to the configured file: nothing to remember
    else:
        records[str(configured)] = {"path": str(installed.path), "name": installed.name}
    atomic_write_json(path, {"version": STATE_VERSION, "installed": records})
