"""A "report false alarm" button per satellite: its last accepted wake becomes a hard negative."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import WakesmithConfigEntry
from .api import JudgeError
from .coordinator import WakesmithCoordinator
from .entity import SatelliteEntity, add_per_satellite
from .errors import judge_error

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant, entry: WakesmithConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    coordinator = entry.runtime_data.coordinator
    add_per_satellite(
        coordinator, entry, async_add_entities, lambda sat: [ReportFalseAlarm(coordinator, sat)]
    )


class ReportFalseAlarm(SatelliteEntity, ButtonEntity):
    def __init__(self, coordinator: WakesmithCoordinator, satellite: str) -> None:
        super().__init__(coordinator, satellite, "report_false_alarm")

    async def async_press(self) -> None:
        try:
            await self.coordinator.client.report_false_alarm(satellite=self.satellite)
        except JudgeError as err:
            raise judge_error(err) from err
        await self.coordinator.async_request_refresh()
