"""Sensors per satellite (counters, false accepts per hour, last score) and the Judge's hard negatives."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.sensor import SensorEntity, SensorEntityDescription, SensorStateClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from . import WakesmithConfigEntry
from .coordinator import WakesmithCoordinator
from .entity import SatelliteEntity, add_per_satellite, judge_device

PARALLEL_UPDATES = 0  # the coordinator does the fetching


@dataclass(frozen=True, kw_only=True)
class WakesmithSensorDescription(SensorEntityDescription):
    field: str
    """Key in the Judge's ``/ha/satellites`` row."""


SENSORS = (
    WakesmithSensorDescription(
        key="triggers", field="triggers", state_class=SensorStateClass.TOTAL_INCREASING
    ),
    WakesmithSensorDescription(
        key="accepted", field="accepts", state_class=SensorStateClass.TOTAL_INCREASING
    ),
    WakesmithSensorDescription(
        key="rejected", field="rejects", state_class=SensorStateClass.TOTAL_INCREASING
    ),
    WakesmithSensorDescription(
        key="false_alarms", field="false_alarms", state_class=SensorStateClass.TOTAL_INCREASING
    ),
    WakesmithSensorDescription(
        key="false_accepts_per_hour",
        field="false_accepts_per_hour",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="FA/h",
        suggested_display_precision=2,
    ),
    WakesmithSensorDescription(
        key="last_score",
        field="last_score",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=3,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant, entry: WakesmithConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    coordinator = entry.runtime_data.coordinator
    async_add_entities([HardNegativesSensor(coordinator)])
    add_per_satellite(
        coordinator,
        entry,
        async_add_entities,
        lambda sat: [SatelliteSensor(coordinator, sat, d) for d in SENSORS],
    )


class SatelliteSensor(SatelliteEntity, SensorEntity):
    entity_description: WakesmithSensorDescription

    def __init__(
        self, coordinator: WakesmithCoordinator, satellite: str, description: WakesmithSensorDescription
    ) -> None:
        super().__init__(coordinator, satellite, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> float | int | None:
        row = self.row
        return None if row is None else row.get(self.entity_description.field)


class HardNegativesSensor(CoordinatorEntity[WakesmithCoordinator], SensorEntity):
    """Rejected triggers (and reported false alarms) kept in the Judge's capture folder."""

    _attr_has_entity_name = True
    _attr_translation_key = "hard_negatives"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: WakesmithCoordinator) -> None:
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_hard_negatives"
        self._attr_device_info = judge_device(entry, coordinator)

    @property
    def native_value(self) -> int | None:
        return self.coordinator.data.hard_negatives
