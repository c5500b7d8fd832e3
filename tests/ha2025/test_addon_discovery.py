"""The Judge add-on's announcements add it to Home Assistant: ``wakesmith`` to this integration (token
included, nothing typed) and ``wyoming`` to Home Assistant's own Wyoming integration.

The add-on is ``wakesmith judge-addon`` started as ``/run.sh`` starts it; the Supervisor that relays
its ``POST /discovery`` is the loopback stand-in of ``tests/judge/fake_supervisor.py`` (no Supervisor
runs here); what it received is handed to the config flows exactly as Home Assistant's ``hassio``
integration hands a discovery over (a ``HassioServiceInfo``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ha_judge import AddonJudge
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
from homeassistant.setup import async_setup_component

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "judge"))
from fake_supervisor import FakeSupervisor

UUID = "0123456789abcdef0123456789abcdef"


def _info(config: dict[str, object]) -> HassioServiceInfo:
    return HassioServiceInfo(config=config, name="wakesmith Judge", slug="wakesmith_judge", uuid=UUID)


async def test_the_addons_announcements_add_the_judge_to_both_integrations(
    hass: HomeAssistant, socket_enabled: None, judge_fixture: dict[str, str], tmp_path: Path
) -> None:
    supervisor = FakeSupervisor()
    judge = AddonJudge(tmp_path, judge_fixture, supervisor)
    await hass.async_add_executor_job(judge.start)
    try:
        announced = await hass.async_add_executor_job(supervisor.discovered, "wakesmith")
        assert announced["token"] == judge.token and len(judge.token) >= 32
        result = await hass.config_entries.flow.async_init(
            "wakesmith", context={"source": config_entries.SOURCE_HASSIO}, data=_info(announced)
        )
        assert result["type"] is FlowResultType.FORM and result["step_id"] == "hassio_confirm"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        assert result["data"]["token"] == judge.token and result["data"]["port"] == judge.port
        await hass.async_block_till_done()
        entry = hass.config_entries.async_entries("wakesmith")[0]
        assert entry.state is config_entries.ConfigEntryState.LOADED

        # The Wyoming integration depends on conversation, which needs the core integration's exposed
        # entities (set up first in a running Home Assistant).
        assert await async_setup_component(hass, "homeassistant", {})
        wyoming = await hass.async_add_executor_job(supervisor.discovered, "wyoming")
        assert wyoming == {"uri": f"tcp://127.0.0.1:{judge.port}"}
        result = await hass.config_entries.flow.async_init(
            "wyoming", context={"source": config_entries.SOURCE_HASSIO}, data=_info(wyoming)
        )
        assert result["type"] is FlowResultType.FORM and result["step_id"] == "hassio_confirm", result
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        assert result["data"] == {"host": "127.0.0.1", "port": judge.port}
        await hass.async_block_till_done()
        for entry in hass.config_entries.async_entries():
            await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    finally:
        await hass.async_add_executor_job(judge.stop)
        supervisor.close()
