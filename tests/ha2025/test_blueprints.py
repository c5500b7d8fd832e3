"""The automation blueprints, loaded by Home Assistant's blueprint machinery, fire as intended.

The wakesmith actions are mocked here (what they do is tested against a real Judge in
test_integration.py); the blueprints' triggers, conditions and inputs are what is under test.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_fire_time_changed, async_mock_service

BLUEPRINTS = Path(__file__).resolve().parents[2] / "blueprints" / "automation" / "wakesmith"
NOTIFY = [{"action": "test.notify", "data": {"message": "{{ value if value is defined else count }}"}}]


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A config folder holding the repository's blueprints where Home Assistant looks for them."""
    target = tmp_path / "blueprints" / "automation" / "wakesmith"
    shutil.copytree(BLUEPRINTS, target)
    hass.config.config_dir = str(tmp_path)
    return tmp_path


async def _automation(hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]) -> None:
    config = {"automation": [{"use_blueprint": {"path": f"wakesmith/{blueprint}", "input": inputs}}]}
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    states = hass.states.async_all("automation")
    assert len(states) == 1 and states[0].state == "on", states


def test_every_blueprint_is_tested() -> None:
    assert sorted(p.name for p in BLUEPRINTS.glob("*.yaml")) == [
        "false_accept_alert.yaml",
        "report_false_alarm.yaml",
        "retrain_on_hard_negatives.yaml",
    ]


async def test_a_button_or_a_phrase_reports_a_false_alarm(hass: HomeAssistant, config_dir: Path) -> None:
    reports: list[ServiceCall] = async_mock_service(hass, "wakesmith", "report_false_alarm")
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "input_button", {"input_button": {"oops": {"name": "Oops"}}})
    assert await async_setup_component(hass, "conversation", {})
    await _automation(
        hass,
        "report_false_alarm.yaml",
        {"satellite": "kitchen", "buttons": ["input_button.oops"], "phrases": ["that was a false alarm"]},
    )
    await hass.services.async_call("input_button", "press", {"entity_id": "input_button.oops"}, blocking=True)
    await hass.async_block_till_done()
    assert [c.data for c in reports] == [{"satellite": "kitchen"}]

    result = await hass.services.async_call(
        "conversation", "process", {"text": "that was a false alarm"}, blocking=True, return_response=True
    )
    await hass.async_block_till_done()
    assert [c.data for c in reports] == [{"satellite": "kitchen"}] * 2
    assert result["response"]["speech"]["plain"]["speech"] == "Reported as a false alarm."


async def test_false_accepts_above_the_limit_for_n_hours_notify(
    hass: HomeAssistant, config_dir: Path, freezer: FrozenDateTimeFactory
) -> None:
    notes: list[ServiceCall] = async_mock_service(hass, "test", "notify")
    sensor = "sensor.kitchen_false_accepts_per_hour_24_h"
    hass.states.async_set(sensor, "0.5")
    await _automation(
        hass, "false_accept_alert.yaml", {"sensor": sensor, "limit": 1, "hours": 2, "notify": NOTIFY}
    )

    async def at(hours: float, value: str | None = None) -> None:
        freezer.tick(timedelta(hours=hours))
        async_fire_time_changed(hass)
        if value is not None:
            hass.states.async_set(sensor, value)
        await hass.async_block_till_done()

    await at(0, "3.0")
    await at(1.5)
    assert not notes
    await at(0, "0.8")  # back under the limit: the clock restarts
    await at(0.1, "2.5")
    await at(1.9)
    assert not notes
    await at(0.2)
    assert [c.data["message"] for c in notes] == [2.5]


async def test_n_new_hard_negatives_retrain_then_notify(hass: HomeAssistant, config_dir: Path) -> None:
    retrains: list[ServiceCall] = async_mock_service(hass, "wakesmith", "retrain")
    notes: list[ServiceCall] = async_mock_service(hass, "test", "notify")
    sensor = "sensor.judge_hard_negatives"
    hass.states.async_set(sensor, "0")
    await _automation(
        hass, "retrain_on_hard_negatives.yaml", {"hard_negatives": sensor, "every": 50, "notify": NOTIFY}
    )
    for value in ("10", "49", "unavailable", "49"):
        hass.states.async_set(sensor, value)
        await hass.async_block_till_done()
    assert not retrains and not notes
    hass.states.async_set(sensor, "51")
    await hass.async_block_till_done()
    assert len(retrains) == 1 and [c.data["message"] for c in notes] == [51]
    for value in ("60", "99"):
        hass.states.async_set(sensor, value)
        await hass.async_block_till_done()
    assert len(retrains) == 1
    hass.states.async_set(sensor, "100")
    await hass.async_block_till_done()
    assert len(retrains) == 2 and [c.data["message"] for c in notes] == [51, 100]
