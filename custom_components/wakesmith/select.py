"""A threshold preset per satellite (kept in the entry's options, applied by the Judge)."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import WakesmithConfigEntry
from .api import JudgeError
from .const import CONF_PRESETS, DEFAULT_PRESET, PRESETS
from .coordinator import WakesmithCoordinator
from .entity import SatelliteEntity, add_per_satellite
from .errors import judge_error

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant, entry: WakesmithConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    coordinator = entry.runtime_data.coordinator
    add_per_satellite(coordinator, entry, async_add_entities, lambda sat: [PresetSelect(coordinator, sat)])


class PresetSelect(SatelliteEntity, SelectEntity):
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, coordinator: WakesmithCoordinator, satellite: str) -> None:
        super().__init__(coordinator, satellite, "preset")
        self._attr_options = list(PRESETS)

    @property
    def current_option(self) -> str:
        presets = self.coordinator.config_entry.options.get(CONF_PRESETS, {})
        return str(presets.get(self.satellite, DEFAULT_PRESET))

    async def async_select_option(self, option: str) -> None:
        try:
            await self.coordinator.client.set_preset(self.satellite, option)
        except JudgeError as err:
            raise judge_error(err) from err
        entry = self.coordinator.config_entry
        presets = {**entry.options.get(CONF_PRESETS, {}), self.satellite: option}
        self.hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_PRESETS: presets})
        self.async_write_ha_state()
