"""The Judge's state in Home Assistant: polled once a minute, refreshed at once on every pushed verdict.

The push channel is the Judge's ``/ha/events`` stream (Server-Sent Events). While it is down the
entities are unavailable; it reconnects with a growing pause, re-sends the satellites' presets and
refreshes, so a Judge that restarts comes back on its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import JudgeAuthError, JudgeClient, JudgeConnectionError, JudgeError, JudgeRequestError
from .const import CONF_PRESETS, DOMAIN

_LOGGER = logging.getLogger(__name__)

POLL_INTERVAL = timedelta(seconds=60)
RECONNECT_MIN_S = 0.5
RECONNECT_MAX_S = 30.0


@dataclass
class JudgeState:
    """What the entities read: the Judge's info and its satellites by id."""

    info: dict[str, Any]
    satellites: dict[str, dict[str, Any]]
    hard_negatives: int | None


EventListener = Callable[[dict[str, Any]], None]


@dataclass
class WakesmithData:
    """``entry.runtime_data``."""

    client: JudgeClient
    coordinator: WakesmithCoordinator


class WakesmithCoordinator(DataUpdateCoordinator[JudgeState]):
    """Fetches ``/ha/info`` + ``/ha/satellites``; a background task follows ``/ha/events``."""

    config_entry: ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, client: JudgeClient) -> None:
        super().__init__(
            hass, _LOGGER, config_entry=entry, name=DOMAIN, update_interval=POLL_INTERVAL, always_update=True
        )
        self.client = client
        self._listeners_push: list[EventListener] = []
        self._presets_sent: dict[str, str] = {}

    async def _async_update_data(self) -> JudgeState:
        try:
            info = await self.client.info()
            sats = await self.client.satellites()
        except JudgeAuthError as err:
            raise ConfigEntryAuthFailed(str(err)) from err
        except JudgeError as err:
            raise UpdateFailed(str(err)) from err
        satellites = {row["id"]: row for row in sats.get("satellites", [])}
        await self._send_presets(satellites)
        return JudgeState(info=info, satellites=satellites, hard_negatives=sats.get("hard_negatives"))

    async def _send_presets(self, satellites: dict[str, dict[str, Any]]) -> None:
        """Make the Judge's presets match the options (the Judge forgets them when it restarts)."""
        wanted: dict[str, str] = self.config_entry.options.get(CONF_PRESETS, {})
        for sat, preset in wanted.items():
            if sat in satellites and satellites[sat].get("preset") != preset:
                try:
                    await self.client.set_preset(sat, preset)
                except JudgeRequestError as err:
                    _LOGGER.warning("The Judge refused preset %s for %s: %s", preset, sat, err.detail)
                    continue
                satellites[sat]["preset"] = preset

    @callback
    def async_add_event_listener(self, listener: EventListener) -> CALLBACK_TYPE:
        """Call ``listener`` with every event the Judge pushes; returns the remover."""
        self._listeners_push.append(listener)
        return lambda: self._listeners_push.remove(listener)

    async def async_follow_events(self) -> None:
        """Run for the entry's lifetime (a background task, cancelled on unload)."""
        pause = RECONNECT_MIN_S
        while True:
            try:
                async for event in self.client.events():
                    pause = RECONNECT_MIN_S
                    await self._on_event(event)
                raise JudgeConnectionError("The Judge closed its event stream.")
            except JudgeAuthError:
                self.config_entry.async_start_reauth(self.hass)
                return
            except JudgeError as err:
                if self.last_update_success:
                    _LOGGER.warning("Lost the Judge (%s); reconnecting", err)
                    self.async_set_update_error(err)
            await asyncio.sleep(pause)
            pause = min(RECONNECT_MAX_S, pause * 2)

    async def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "hello":
            await self.async_refresh()  # (re)connected: read everything the Judge has now
            return
        if kind in ("verdict", "false_alarm", "model_installed"):
            await self.async_refresh()
        for listener in list(self._listeners_push):
            listener(event)
