"""The integration set up against a real Judge: entities from real Wyoming triggers, actions, failures.

One Judge process serves the module (counts add up across tests, so each test reads deltas or uses
its own satellite name).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from custom_components.wakesmith import diagnostics
from custom_components.wakesmith import studio as studio_module
from ha_judge import TOKEN, Judge, Studio, free_port, pcm, send_trigger
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

DOMAIN = "wakesmith"
WAIT_S = 15.0
JOB_WAIT_S = 90.0
"""A studio worker starts (it imports the training stack) and runs the job."""


@pytest.fixture
async def entry(hass: HomeAssistant, socket_enabled: None, judge: Judge) -> AsyncIterator[MockConfigEntry]:
    e = MockConfigEntry(domain=DOMAIN, data=judge.entry_data, unique_id=f"127.0.0.1:{judge.http_port}")
    e.add_to_hass(hass)
    assert await hass.config_entries.async_setup(e.entry_id)
    await hass.async_block_till_done()
    assert e.state is ConfigEntryState.LOADED
    yield e


async def _until(hass: HomeAssistant, check: Callable[[], Any], what: str) -> Any:
    """Wait for the pushed state (the Judge's event stream, then a refresh) to satisfy ``check``."""
    async with asyncio.timeout(WAIT_S):
        while True:
            try:
                value = check()
            except (KeyError, AttributeError, ValueError, TypeError):
                value = None
            if value:
                return value
            await asyncio.sleep(0.05)
    raise AssertionError(what)  # pragma: no cover


def _entity(hass: HomeAssistant, satellite: str, key: str, platform: str) -> str:
    entry_id = hass.config_entries.async_entries(DOMAIN)[0].entry_id
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{entry_id}_{satellite}_{key}")
    assert entity_id is not None, f"no {platform} {key} for {satellite}"
    return entity_id


def _state(hass: HomeAssistant, satellite: str, key: str, platform: str = "sensor") -> str | None:
    entry_id = hass.config_entries.async_entries(DOMAIN)[0].entry_id
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{entry_id}_{satellite}_{key}")
    state = hass.states.get(entity_id) if entity_id else None
    return state.state if state else None


async def _trigger(hass: HomeAssistant, judge: Judge, clip: str, satellite: str) -> str:
    event = await send_trigger(judge.port, pcm(clip), satellite)
    assert event.type in ("detection", "not-detected"), event
    return event.type


async def test_entities_follow_real_verdicts(
    hass: HomeAssistant, entry: MockConfigEntry, judge: Judge, judge_fixture: dict[str, str]
) -> None:
    sat = "living_room"
    assert await _trigger(hass, judge, judge_fixture["positive"], sat) == "detection"
    await _until(hass, lambda: _state(hass, sat, "triggers") == "1", "the first trigger's entities")
    assert _state(hass, sat, "accepted") == "1" and _state(hass, sat, "rejected") == "0"
    verdict = hass.states.get(_entity(hass, sat, "verdict", "event"))
    assert verdict is not None and verdict.attributes["event_type"] == "accepted"
    assert float(_state(hass, sat, "last_score") or 0) > judge_fixture["threshold"]

    assert await _trigger(hass, judge, judge_fixture["negative"], sat) == "not-detected"
    await _until(hass, lambda: _state(hass, sat, "rejected") == "1", "the rejection")
    await _until(
        hass,
        lambda: (
            hass.states.get(_entity(hass, sat, "verdict", "event")).attributes["event_type"] == "rejected"
        ),
        "the rejected event",
    )
    assert float(_state(hass, sat, "false_accepts_per_hour") or 0) > 0
    fa = hass.states.get(_entity(hass, sat, "false_accepts_per_hour", "sensor"))
    assert fa.attributes["state_class"] == "measurement" and fa.attributes["unit_of_measurement"] == "FA/h"
    assert (
        hass.states.get(_entity(hass, sat, "triggers", "sensor")).attributes["state_class"]
        == "total_increasing"
    )

    # one device per satellite, under the Judge's service device, with entity names from translations
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_{sat}")})
    assert device is not None and device.name == sat
    assert hass.states.get(_entity(hass, sat, "triggers", "sensor")).name == f"{sat} Triggers"
    judge_device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert device.via_device_id == judge_device.id


async def test_report_false_alarm_button_and_action(
    hass: HomeAssistant, entry: MockConfigEntry, judge: Judge, judge_fixture: dict[str, str]
) -> None:
    sat = "hall"
    await _trigger(hass, judge, judge_fixture["positive"], sat)
    await _until(hass, lambda: _state(hass, sat, "accepted") == "1", "the accepted trigger")
    before = len(list((judge.captures / "rejected").glob("*.wav")))

    await hass.services.async_call(
        "button", "press", {"entity_id": _entity(hass, sat, "report_false_alarm", "button")}, blocking=True
    )
    await _until(hass, lambda: _state(hass, sat, "false_alarms") == "1", "the reported false alarm")
    event = hass.states.get(_entity(hass, sat, "verdict", "event"))
    await _until(
        hass,
        lambda: (
            hass.states.get(_entity(hass, sat, "verdict", "event")).attributes["event_type"] == "false_alarm"
        ),
        "the false-alarm event",
    )
    captured = sorted((judge.captures / "rejected").glob("*.json"))
    assert len(list((judge.captures / "rejected").glob("*.wav"))) == before + 1
    assert any(json.loads(p.read_text()).get("reported_false_alarm") for p in captured)
    hard = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_hard_negatives")
    await _until(hass, lambda: int(hass.states.get(hard).state) >= before + 1, "the hard negatives sensor")

    # the same wake twice: the Judge's reason is shown
    with pytest.raises(HomeAssistantError, match="already"):
        await hass.services.async_call(DOMAIN, "report_false_alarm", {"satellite": sat}, blocking=True)

    # by verdict id, from the event entity
    await _trigger(hass, judge, judge_fixture["positive"], sat)
    await _until(hass, lambda: _state(hass, sat, "accepted") == "2", "the second accepted trigger")
    event = hass.states.get(_entity(hass, sat, "verdict", "event"))
    result = await hass.services.async_call(
        DOMAIN,
        "report_false_alarm",
        {"verdict_id": event.attributes["verdict_id"]},
        blocking=True,
        return_response=True,
    )
    assert result["false_alarms"] == 2
    await _until(hass, lambda: _state(hass, sat, "false_alarms") == "2", "the second false alarm")

    with pytest.raises(HomeAssistantError, match="Unknown satellite"):
        await hass.services.async_call(DOMAIN, "report_false_alarm", {"satellite": "attic"}, blocking=True)


async def test_preset_select_reaches_the_judge(
    hass: HomeAssistant, entry: MockConfigEntry, judge: Judge, judge_fixture: dict[str, str]
) -> None:
    sat = "office"
    assert await _trigger(hass, judge, judge_fixture["positive"], sat) == "detection"
    await _until(hass, lambda: _state(hass, sat, "preset", "select") == "default", "the preset select")
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": _entity(hass, sat, "preset", "select"), "option": "strict"},
        blocking=True,
    )
    assert entry.options["presets"] == {sat: "strict"}
    row = next(r for r in judge.get("/ha/satellites")["satellites"] if r["id"] == sat)
    assert row["preset"] == "strict"
    # the fixture's positive scores between the default and the strict threshold
    assert await _trigger(hass, judge, judge_fixture["positive"], sat) == "not-detected"

    # the options flow shows the same choice
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    assert flow["step_id"] == "init"
    flow = await hass.config_entries.options.async_configure(flow["flow_id"], {sat: "default"})
    assert flow["type"] == "create_entry"
    await hass.async_block_till_done()
    row = next(r for r in judge.get("/ha/satellites")["satellites"] if r["id"] == sat)
    assert row["preset"] == "default"


async def test_install_model(
    hass: HomeAssistant, entry: MockConfigEntry, judge: Judge, judge_fixture: dict[str, str], tmp_path: Path
) -> None:
    served = judge.get("/ha/info")["models"][0]["path"]
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(HomeAssistantError, match="keeps serving"):
        await hass.services.async_call(DOMAIN, "install_model", {"path": str(corrupt)}, blocking=True)
    assert judge.get("/ha/info")["models"][0]["path"] == served
    assert await _trigger(hass, judge, judge_fixture["positive"], "garage") == "detection"  # old model

    new = tmp_path / "new.onnx"
    shutil.copy(judge_fixture["model"], new)
    result = await hass.services.async_call(
        DOMAIN, "install_model", {"path": str(new)}, blocking=True, return_response=True
    )
    assert result["models"][0]["path"] == str(new)
    assert judge.get("/ha/info")["models"][0]["path"] == str(new)

    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "install_model", {"path": str(tmp_path / "x.bin")}, blocking=True
        )


def _sentry_export(folder: Path, model: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hey_katya.tflite").write_bytes(model)
    manifest = {
        "type": "micro",
        "wake_word": "hey katya",
        "model": "hey_katya.tflite",
        "version": 2,
        "micro": {},
    }
    path = folder / "hey_katya.json"
    path.write_text(json.dumps(manifest))
    return path


async def test_install_sentry_into_custom_wake_words(
    hass: HomeAssistant, entry: MockConfigEntry, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    hass.config.config_dir = str(config)
    hass.config.allowlist_external_dirs = {str(tmp_path / "exports")}
    tflite = b"\x1c\x00\x00\x00TFL3" + bytes(64)
    manifest = _sentry_export(tmp_path / "exports", tflite)
    result = await hass.services.async_call(
        DOMAIN, "install_model", {"path": str(manifest)}, blocking=True, return_response=True
    )
    target = config / "custom_wake_words"
    assert sorted(p.name for p in target.iterdir()) == ["hey_katya.json", "hey_katya.tflite"]
    assert (target / "hey_katya.tflite").read_bytes() == tflite
    assert len(result["installed"]) == 2

    bad = _sentry_export(tmp_path / "exports" / "bad", b"not a tflite")
    with pytest.raises(ServiceValidationError, match="not a TFLite model"):
        await hass.services.async_call(DOMAIN, "install_model", {"path": str(bad)}, blocking=True)
    outside = _sentry_export(tmp_path / "elsewhere", tflite)
    with pytest.raises(ServiceValidationError, match="allowlist_external_dirs"):
        await hass.services.async_call(DOMAIN, "install_model", {"path": str(outside)}, blocking=True)
    assert (target / "hey_katya.tflite").read_bytes() == tflite  # the installed pair is untouched

    # a satellite that is reflashed: into the ESPHome add-on's configuration folder
    await hass.services.async_call(
        DOMAIN, "install_model", {"path": str(manifest), "destination": "esphome"}, blocking=True
    )
    reflash = config / "esphome" / "wakesmith"
    assert sorted(p.name for p in reflash.iterdir()) == ["hey_katya.json", "hey_katya.tflite"]


async def test_retrain_without_a_trainer_says_so(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    with pytest.raises(ServiceValidationError, match="No trainer URL is configured"):
        await hass.services.async_call(DOMAIN, "retrain", {}, blocking=True)


async def test_diagnostics_redact_the_token(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    data = await diagnostics.async_get_config_entry_diagnostics(hass, entry)
    assert data["entry"]["data"]["token"] == "**REDACTED**"
    assert TOKEN not in json.dumps(data, default=str)
    assert data["judge"]["info"]["models"][0]["name"] == "hey_katya"


async def test_unload_and_reload_leave_nothing_behind(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not [t for t in entry._background_tasks if not t.done()]  # the event stream task ended
    assert hass.services.has_service(DOMAIN, "report_false_alarm")  # actions stay, and refuse:
    with pytest.raises(ServiceValidationError, match="config_entry_id"):
        await hass.services.async_call(DOMAIN, "retrain", {}, blocking=True)


async def test_judge_down_at_setup_is_retried(
    hass: HomeAssistant, socket_enabled: None, judge: Judge
) -> None:
    e = MockConfigEntry(domain=DOMAIN, data={**judge.entry_data, "http_port": free_port()})
    e.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(e.entry_id)
    assert e.state is ConfigEntryState.SETUP_RETRY
    assert "Cannot reach the Judge" in (e.reason or "")


async def test_judge_gone_at_run_time_then_back(
    hass: HomeAssistant, entry: MockConfigEntry, judge: Judge, judge_fixture: dict[str, str]
) -> None:
    sat = "bedroom"
    await _trigger(hass, judge, judge_fixture["positive"], sat)
    await _until(hass, lambda: _state(hass, sat, "triggers") == "1", "the trigger")
    judge.stop()
    try:
        await _until(hass, lambda: _state(hass, sat, "triggers") == STATE_UNAVAILABLE, "unavailable entities")
        assert _state(hass, sat, "report_false_alarm", "button") == STATE_UNAVAILABLE
    finally:
        judge.start()
    # the restarted Judge starts its counts afresh; the satellite is back with its next trigger
    await _trigger(hass, judge, judge_fixture["positive"], sat)
    await _until(hass, lambda: _state(hass, sat, "triggers") == "1", "entities back after the Judge returned")
    assert _state(hass, sat, "report_false_alarm", "button") != STATE_UNAVAILABLE


async def test_report_by_display_name(
    hass: HomeAssistant, entry: MockConfigEntry, judge: Judge, judge_fixture: dict[str, str]
) -> None:
    name = "Kitchen Left"  # not an id: the Judge keys it by a slug and a hash
    await _trigger(hass, judge, judge_fixture["positive"], name)
    coordinator = entry.runtime_data.coordinator
    await _until(
        hass, lambda: any(r["name"] == name for r in coordinator.data.satellites.values()), "the satellite"
    )
    sat = next(sat for sat, r in coordinator.data.satellites.items() if r["name"] == name)
    assert sat != name
    await hass.services.async_call(DOMAIN, "report_false_alarm", {"satellite": name}, blocking=True)
    await _until(hass, lambda: _state(hass, sat, "false_alarms") == "1", "the false alarm by name")
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}_{sat}")})
    assert device is not None and device.name == name


async def test_a_retrain_is_followed_to_its_end_and_a_trained_judge_deploys(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    judge: Judge,
    judge_fixture: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real studio with its worker: the job ends (here: the dataset has no clips yet), the integration
    fires wakesmith_job_finished with the studio's reason; then a judge the studio holds is deployed to
    the real Judge through the studio (copied into the share folder, installed by the Judge)."""
    monkeypatch.setattr(studio_module, "POLL_S", 0.2)
    share = tmp_path / "share"
    (tmp_path / "captures" / "rejected").mkdir(parents=True)  # a Judge's capture folder, nothing kept yet
    studio = await hass.async_add_executor_job(
        lambda: Studio(tmp_path, tmp_path / "captures", worker=True, share=share)
    )
    finished = async_capture_events(hass, "wakesmith_job_finished")
    try:
        await hass.async_add_executor_job(studio.call, "POST", "/api/datasets", {"name": "hey_katya"})
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, "trainer_url": studio.url, "trainer_token": Studio.TOKEN}
        )
        queued = await hass.services.async_call(
            DOMAIN, "retrain", {"dataset": "hey_katya"}, blocking=True, return_response=True
        )
        assert queued is not None
        async with asyncio.timeout(JOB_WAIT_S):
            while not finished:
                await asyncio.sleep(0.1)
        event = finished[0].data
        assert event["job_id"] == queued["job_id"] and event["config_entry_id"] == entry.entry_id
        assert event["state"] == "failed" and "no clips" in event["error"] and event["better"] is False

        fixture = Path(judge_fixture["model"]).parent
        model_id = json.loads((fixture / "metadata.json").read_text())["model_id"]
        held = studio.home / "models" / model_id
        held.mkdir(parents=True)
        for name in ("metadata.json", "model.onnx"):
            shutil.copy(fixture / name, held / name)
        record = await hass.services.async_call(
            DOMAIN, "deploy", {"model_id": model_id}, blocking=True, return_response=True
        )
        assert record is not None and record["state"] == "succeeded", record
        served = await hass.async_add_executor_job(judge.get, "/ha/info")
        assert Path(served["models"][0]["path"]).is_relative_to(share)
        with pytest.raises(HomeAssistantError, match="trainer did not take"):
            await hass.services.async_call(DOMAIN, "deploy", {"model_id": "no-such-model"}, blocking=True)
    finally:
        await hass.async_add_executor_job(studio.stop)
        await entry.runtime_data.client.install_model("hey_katya", str(judge.model))  # as the others expect


async def test_retrain_queues_a_job_in_the_trainer_studio(
    hass: HomeAssistant, entry: MockConfigEntry, judge: Judge, tmp_path: Path
) -> None:
    """Against a real ``wakesmith serve``: the job is queued with the Judge's capture folder."""
    studio = await hass.async_add_executor_job(Studio, tmp_path, judge.captures)
    try:
        await hass.async_add_executor_job(
            studio.call, "POST", "/api/datasets", {"name": "hey_katya", "phrase": "hey katya"}
        )
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, "trainer_url": f"{studio.url}/", "trainer_token": "wrong"}
        )
        with pytest.raises(HomeAssistantError, match="trainer studio refused the token"):
            await hass.services.async_call(DOMAIN, "retrain", {"dataset": "hey_katya"}, blocking=True)
        hass.config_entries.async_update_entry(entry, data={**entry.data, "trainer_token": Studio.TOKEN})
        with pytest.raises(HomeAssistantError, match="trainer did not take"):  # no current model yet
            await hass.services.async_call(DOMAIN, "retrain", {}, blocking=True)

        result = await hass.services.async_call(
            DOMAIN, "retrain", {"dataset": "hey_katya"}, blocking=True, return_response=True
        )
        assert result is not None and result["dataset_id"] == "hey_katya"
        assert result["hard_negatives_folder"] == str(judge.captures)
        job = await hass.async_add_executor_job(studio.call, "GET", f"/api/jobs/{result['job_id']}")
        assert job["kind"] == "retrain" and job["state"] == "queued", job
    finally:
        await hass.async_add_executor_job(studio.stop)
    with pytest.raises(HomeAssistantError, match="trainer did not take"):  # the studio is gone
        await hass.services.async_call(DOMAIN, "retrain", {"dataset": "hey_katya"}, blocking=True)
