"""Diagnostics: the entry (tokens and trainer URL redacted), the Judge's info and satellites."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import WakesmithConfigEntry
from .const import CONF_TOKEN, CONF_TRAINER_TOKEN, CONF_TRAINER_URL

TO_REDACT = {CONF_TOKEN, CONF_TRAINER_TOKEN, CONF_TRAINER_URL}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: WakesmithConfigEntry
) -> dict[str, Any]:
    coordinator = entry.runtime_data.coordinator
    return {
        "entry": {"data": async_redact_data(dict(entry.data), TO_REDACT), "options": dict(entry.options)},
        "judge": asdict(coordinator.data),
        "last_update_success": coordinator.last_update_success,
    }
