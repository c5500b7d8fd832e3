"""The automation blueprints, loaded by Home Assistant's blueprint machinery, fire as intended.

The wakesmith actions are mocked here (what they do is tested against a real Judge in
test_integration.py); the blueprints' triggers, conditions and inputs are what is under test.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
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


async def test_n_new_hard_negatives_retrain_wait_for_the_job_then_notify_and_deploy(
    hass: HomeAssistant, config_dir: Path, freezer: FrozenDateTimeFactory
) -> None:
    retrains: list[ServiceCall] = async_mock_service(
        hass, "wakesmith", "retrain", response={"job_id": "job-1"}, supports_response=SupportsResponse.ONLY
    )
    deploys: list[ServiceCall] = async_mock_service(hass, "wakesmith", "deploy")
    notes: list[ServiceCall] = async_mock_service(hass, "test", "notify")
    sensor = "sensor.judge_hard_negatives"
    hass.states.async_set(sensor, "0")
    notify = [{"action": "test.notify", "data": {"message": "{{ message }}"}}]
    inputs = {"hard_negatives": sensor, "every": 50, "install": True, "wait_hours": 2, "notify": notify}
    await _automation(hass, "retrain_on_hard_negatives.yaml", inputs)

    async def _settle() -> None:
        # not async_block_till_done: it would wait for the automation, which waits for the job
        for _ in range(50):
            await asyncio.sleep(0)

    async def finish(**data: Any) -> None:
        hass.bus.async_fire("wakesmith_job_finished", {"job_id": "job-1", "error": "", **data})
        await _settle()

    for value in ("10", "49", "unavailable", "49"):
        hass.states.async_set(sensor, value)
        await _settle()
    assert not retrains and not notes
    hass.states.async_set(sensor, "51")
    await _settle()
    assert len(retrains) == 1 and not notes  # waiting for the job
    await finish(job_id="job-other", state="succeeded", better=True, model_id="x", comparison=None)
    assert not notes  # someone else's job
    comparison = {"metric": "recall at 0.5 FA/h", "new": 0.91, "current": 0.84}
    await finish(state="succeeded", better=True, model_id="judge-2", comparison=comparison)
    assert [c.data["model_id"] for c in deploys] == ["judge-2"]
    assert "is better (recall at 0.5 FA/h 0.91 against 0.84); deployed" in notes[-1].data["message"]

    for value in ("60", "99"):
        hass.states.async_set(sensor, value)
        await _settle()
    assert len(retrains) == 1
    hass.states.async_set(sensor, "100")
    await _settle()
    await finish(state="succeeded", better=False, model_id="judge-3", comparison={**comparison, "new": 0.8})
    assert len(deploys) == 1 and "is not better" in notes[-1].data["message"]
    assert "the current one stays" in notes[-1].data["message"]

    hass.states.async_set(sensor, "150")
    await _settle()
    await finish(state="failed", better=False, model_id=None, comparison=None, error="no clips")
    assert "the retrain failed (no clips)" in notes[-1].data["message"]

    hass.states.async_set(sensor, "200")
    await _settle()
    freezer.tick(timedelta(hours=3))
    async_fire_time_changed(hass)
    await _settle()
    assert len(retrains) == 4 and "did not end within 2 h" in notes[-1].data["message"]
    assert len(deploys) == 1
