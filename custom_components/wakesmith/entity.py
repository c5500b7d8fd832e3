"""Base entities: one device per satellite (under the Judge's service device)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import WakesmithCoordinator


def judge_device(entry: ConfigEntry, coordinator: WakesmithCoordinator) -> DeviceInfo:
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer="wakesmith",
        model="Judge",
        sw_version=str(coordinator.data.info.get("version", "")),
        entry_type=DeviceEntryType.SERVICE,
    )


class SatelliteEntity(CoordinatorEntity[WakesmithCoordinator]):
    """An entity of one satellite (by the Judge's satellite id)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: WakesmithCoordinator, satellite: str, key: str) -> None:
        super().__init__(coordinator)
        self.satellite = satellite
        entry = coordinator.config_entry
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.entry_id}_{satellite}_{key}"
        row = coordinator.data.satellites.get(satellite, {})
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry.entry_id}_{satellite}")},
            name=str(row.get("name") or satellite),
            manufacturer="wakesmith",
            model="Satellite",
            via_device=(DOMAIN, entry.entry_id),
        )

    @property
    def row(self) -> dict[str, Any] | None:
        return self.coordinator.data.satellites.get(self.satellite)

    @property
    def available(self) -> bool:
        """Unavailable while the Judge is unreachable, or has forgotten this satellite (restarted)."""
        return super().available and self.row is not None


def add_per_satellite(
    coordinator: WakesmithCoordinator,
    entry: ConfigEntry,
    add: Callable[[Iterable[Entity]], None],
    build: Callable[[str], Iterable[Entity]],
) -> None:
    """Add ``build(satellite)`` for every satellite now and for each the Judge reports later."""
    known: set[str] = set()

    @callback
    def add_new() -> None:
        new = [sat for sat in coordinator.data.satellites if sat not in known]
        known.update(new)
        add([entity for sat in new for entity in build(sat)])

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))
