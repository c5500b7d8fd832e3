"""A "report false alarm" button per satellite: its last accepted wake becomes a hard negative."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import WakesmithConfigEntry
from .api import JudgeError, JudgeRequestError
from .const import DOMAIN
from .coordinator import WakesmithCoordinator
from .entity import SatelliteEntity, add_per_satellite

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
        except JudgeRequestError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="judge_refused",
                translation_placeholders={"detail": err.detail},
            ) from err
        except JudgeError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="judge_unreachable",
                translation_placeholders={"error": str(err)},
            ) from err
        await self.coordinator.async_request_refresh()
