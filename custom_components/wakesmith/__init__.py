"""wakesmith: the Judge's satellites, verdicts and false alarms in Home Assistant.

Talks to a wakesmith Judge over its HTTP API (``/ha``): counters per satellite, a pushed stream of
verdicts, false-alarm reports that become hard negatives, per-satellite presets and model installs.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import JudgeAuthError, JudgeClient, JudgeError
from .const import CONF_HTTP_PORT, CONF_TOKEN, DOMAIN
from .coordinator import WakesmithCoordinator, WakesmithData
from .services import async_setup_services

PLATFORMS = [Platform.BUTTON, Platform.EVENT, Platform.SELECT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

WakesmithConfigEntry = ConfigEntry[WakesmithData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, whatever the number of Judges."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: WakesmithConfigEntry) -> bool:
    """Connect to one Judge; not ready (retried) while it cannot be reached."""
    client = JudgeClient(
        async_get_clientsession(hass),
        entry.data[CONF_HOST],
        entry.data[CONF_HTTP_PORT],
        entry.data.get(CONF_TOKEN, ""),
    )
    try:
        await client.info()
    except JudgeAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders={"url": client.base},
        ) from err
    except JudgeError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"url": client.base, "error": str(err)},
        ) from err
    coordinator = WakesmithCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = WakesmithData(client, coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_create_background_task(
        hass, coordinator.async_follow_events(), f"{DOMAIN} events {client.base}"
    )
    entry.async_on_unload(entry.add_update_listener(_options_updated))
    return True


async def _options_updated(hass: HomeAssistant, entry: WakesmithConfigEntry) -> None:
    """New presets: send them to the Judge (no reload needed)."""
    await entry.runtime_data.coordinator.async_refresh()


async def async_unload_entry(hass: HomeAssistant, entry: WakesmithConfigEntry) -> bool:
    """Unload the platforms; the event task and the poll end with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
