"""An event entity per satellite: accepted, rejected, false alarm reported (pushed by the Judge)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import WakesmithConfigEntry
from .const import EVENT_ACCEPTED, EVENT_FALSE_ALARM, EVENT_REJECTED
from .coordinator import WakesmithCoordinator
from .entity import SatelliteEntity, add_per_satellite

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: WakesmithConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    coordinator = entry.runtime_data.coordinator
    add_per_satellite(coordinator, entry, async_add_entities, lambda sat: [VerdictEvent(coordinator, sat)])


class VerdictEvent(SatelliteEntity, EventEntity):
    def __init__(self, coordinator: WakesmithCoordinator, satellite: str) -> None:
        super().__init__(coordinator, satellite, "verdict")
        self._attr_event_types = [EVENT_ACCEPTED, EVENT_REJECTED, EVENT_FALSE_ALARM]

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_event_listener(self._on_event))

    @callback
    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("satellite_id") != self.satellite:
            return
        if event["type"] == "verdict":
            kind = EVENT_ACCEPTED if event.get("accepted") else EVENT_REJECTED
        elif event["type"] == "false_alarm":
            kind = EVENT_FALSE_ALARM
        else:
            return
        self._trigger_event(
            kind, {"verdict_id": event.get("id"), "score": event.get("score"), "model": event.get("model")}
        )
        self.async_write_ha_state()
