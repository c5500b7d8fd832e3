"""The config flow against a real Judge: user, add-on discovery, duplicates, failures, reconfigure, reauth."""

from __future__ import annotations

from typing import Any

from ha_judge import TOKEN, Judge, free_port
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

DOMAIN = "wakesmith"


def _addon(judge: Judge, uuid: str = "judge-addon-uuid") -> HassioServiceInfo:
    config: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": judge.port,
        "http_port": judge.http_port,
        "token": TOKEN,
    }
    return HassioServiceInfo(config=config, name="wakesmith Judge", slug="wakesmith_judge", uuid=uuid)


async def test_user_step_tests_the_judge_then_creates_the_entry(
    hass: HomeAssistant, socket_enabled: None, judge: Judge
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "user"

    # a wrong token and a closed port are shown on the form, nothing is created
    wrong = {**judge.entry_data, "token": "wrong"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], wrong)
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "invalid_auth"}
    closed = {**judge.entry_data, "http_port": free_port()}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], closed)
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "cannot_connect"}
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], judge.entry_data)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"] == judge.entry_data
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.unique_id == f"127.0.0.1:{judge.http_port}"
    await hass.async_block_till_done()

    # the same Judge again: aborted
    again = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    again = await hass.config_entries.flow.async_configure(again["flow_id"], judge.entry_data)
    assert again["type"] is FlowResultType.ABORT and again["reason"] == "already_configured"


async def test_addon_discovery_confirms_and_is_not_added_twice(
    hass: HomeAssistant, socket_enabled: None, judge: Judge
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=_addon(judge)
    )
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "hassio_confirm"
    assert result["description_placeholders"] == {"host": "127.0.0.1"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"]["token"] == TOKEN and result["data"]["http_port"] == judge.http_port
    assert result["result"].unique_id == "judge-addon-uuid"
    await hass.async_block_till_done()

    for info in (_addon(judge), _addon(judge, uuid="another-uuid-same-judge")):
        dup = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=info
        )
        assert dup["type"] is FlowResultType.ABORT and dup["reason"] == "already_configured"


async def test_addon_discovery_shows_a_judge_that_does_not_answer(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    info = HassioServiceInfo(
        config={"host": "127.0.0.1", "port": free_port(), "http_port": free_port()},
        name="wakesmith Judge",
        slug="wakesmith_judge",
        uuid="down",
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=info
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "cannot_connect"}


async def test_reconfigure_and_reauth(hass: HomeAssistant, socket_enabled: None, judge: Judge) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data={**judge.entry_data, "token": "stale"}, unique_id=f"127.0.0.1:{judge.http_port}"
    )
    entry.add_to_hass(hass)
    # the Judge refuses the token at setup: the entry waits for reauth
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {"token": "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {"token": TOKEN})
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data["token"] == TOKEN
    assert entry.state is config_entries.ConfigEntryState.LOADED

    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**judge.entry_data, "http_port": free_port()}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    new = {**judge.entry_data, "trainer_url": "http://127.0.0.1:9/"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["trainer_url"] == "http://127.0.0.1:9/"
    assert entry.state is config_entries.ConfigEntryState.LOADED


async def test_addon_discovery_by_uri_and_a_bad_announcement(
    hass: HomeAssistant, socket_enabled: None, judge: Judge
) -> None:
    config = {"uri": f"tcp://127.0.0.1:{judge.port}", "http_port": judge.http_port, "token": TOKEN}
    info = HassioServiceInfo(config=config, name="wakesmith Judge", slug="wakesmith_judge", uuid="by-uri")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=info
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == "wakesmith Judge" and result["data"]["port"] == judge.port
    await hass.async_block_till_done()

    bad = HassioServiceInfo(config={"http_port": "x"}, name="x", slug="x", uuid="bad")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=bad
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "invalid_discovery"
