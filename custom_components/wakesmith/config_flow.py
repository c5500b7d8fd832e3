"""Config flow: a Judge by host and ports (tested before the entry exists), or discovered from its add-on.

Steps: ``user``; ``hassio`` → ``hassio_confirm`` (the Judge add-on announces host, ports and token);
``reconfigure``; ``reauth_confirm`` when the Judge refuses the token; options: a preset per satellite.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

import voluptuous as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from .api import JudgeAuthError, JudgeClient, JudgeError
from .const import (
    CONF_HTTP_PORT,
    CONF_PRESETS,
    CONF_TOKEN,
    CONF_TRAINER_TOKEN,
    CONF_TRAINER_URL,
    DEFAULT_HTTP_PORT,
    DEFAULT_PORT,
    DEFAULT_PRESET,
    DOMAIN,
    PRESETS,
)

_LOGGER = logging.getLogger(__name__)

PORT_SELECTOR = vol.All(
    selector.NumberSelector(
        selector.NumberSelectorConfig(min=1, max=65535, mode=selector.NumberSelectorMode.BOX)
    ),
    vol.Coerce(int),
)
TOKEN_SELECTOR = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD))
URL_SELECTOR = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.URL))


def _schema(defaults: dict[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, "")): str,
            vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): PORT_SELECTOR,
            vol.Required(
                CONF_HTTP_PORT, default=defaults.get(CONF_HTTP_PORT, DEFAULT_HTTP_PORT)
            ): PORT_SELECTOR,
            vol.Optional(CONF_TOKEN, default=defaults.get(CONF_TOKEN, "")): TOKEN_SELECTOR,
            vol.Optional(CONF_TRAINER_URL, default=defaults.get(CONF_TRAINER_URL, "")): URL_SELECTOR,
            vol.Optional(CONF_TRAINER_TOKEN, default=defaults.get(CONF_TRAINER_TOKEN, "")): TOKEN_SELECTOR,
        }
    )


async def _test(hass: HomeAssistant, data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """(the Judge's info, errors): a form's errors say why the Judge could not be used."""
    client = JudgeClient(
        async_get_clientsession(hass), data[CONF_HOST], data[CONF_HTTP_PORT], data.get(CONF_TOKEN, "")
    )
    try:
        return await client.info(), {}
    except JudgeAuthError:
        return None, {"base": "invalid_auth"}
    except JudgeError as err:
        _LOGGER.debug("Judge test failed: %s", err)
        return None, {"base": "cannot_connect"}


def _unique_id(data: dict[str, Any]) -> str:
    return f"{data[CONF_HOST]}:{data[CONF_HTTP_PORT]}"


class WakesmithConfigFlow(ConfigFlow, domain=DOMAIN):
    """Adds one Judge."""

    VERSION = 1

    def __init__(self) -> None:
        self._discovered: dict[str, Any] = {}
        self._title = "wakesmith Judge"

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: Any) -> WakesmithOptionsFlow:
        return WakesmithOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            await self.async_set_unique_id(_unique_id(user_input))
            self._abort_if_unique_id_configured()
            info, errors = await _test(self.hass, user_input)
            if info is not None:
                return self.async_create_entry(title=f"Judge {user_input[CONF_HOST]}", data=user_input)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(_schema({}), user_input),
            errors=errors,
        )

    async def async_step_hassio(self, discovery_info: HassioServiceInfo) -> ConfigFlowResult:
        """The Judge add-on announced itself (``discovery: [wakesmith]``).

        The announcement carries ``host`` (or a Wyoming ``uri``, ``tcp://host:port``), ``port``,
        ``http_port`` and ``token``; anything unusable aborts the flow with ``invalid_discovery``.
        """
        config = discovery_info.config
        uri = urlparse(str(config.get("uri", "")))
        host = config.get("host") or uri.hostname
        try:
            port = int(config.get("port") or uri.port or DEFAULT_PORT)
            http_port = int(config.get("http_port", DEFAULT_HTTP_PORT))
        except (TypeError, ValueError):
            return self.async_abort(reason="invalid_discovery")
        if not host:
            return self.async_abort(reason="invalid_discovery")
        data = {
            CONF_HOST: str(host),
            CONF_PORT: port,
            CONF_HTTP_PORT: http_port,
            CONF_TOKEN: str(config.get("token") or ""),
            CONF_TRAINER_URL: "",
            CONF_TRAINER_TOKEN: "",
        }
        await self.async_set_unique_id(discovery_info.uuid)
        self._abort_if_unique_id_configured(
            updates={k: data[k] for k in (CONF_HOST, CONF_PORT, CONF_HTTP_PORT, CONF_TOKEN)}
        )
        self._async_abort_entries_match({CONF_HOST: data[CONF_HOST], CONF_HTTP_PORT: data[CONF_HTTP_PORT]})
        self._discovered = data
        self._title = discovery_info.name
        self.context.update(
            {
                "title_placeholders": {"name": discovery_info.name},
                "configuration_url": f"homeassistant://hassio/addon/{discovery_info.slug}/info",
            }
        )
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await _test(self.hass, self._discovered)
            if info is not None:
                return self.async_create_entry(title=self._title, data=self._discovered)
        return self.async_show_form(
            step_id="hassio_confirm",
            description_placeholders={"host": self._discovered[CONF_HOST]},
            errors=errors,
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await _test(self.hass, user_input)
            if info is not None:
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        return self.async_show_form(
            step_id="reconfigure", data_schema=_schema({**entry.data, **(user_input or {})}), errors=errors
        )

    async def async_step_reauth(self, entry_data: dict[str, Any]) -> ConfigFlowResult:
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await _test(self.hass, {**entry.data, **user_input})
            if info is not None:
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): TOKEN_SELECTOR}),
            description_placeholders={"host": entry.data[CONF_HOST]},
            errors=errors,
        )


class WakesmithOptionsFlow(OptionsFlow):
    """A threshold preset per satellite the Judge knows."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        presets: dict[str, str] = dict(self.config_entry.options.get(CONF_PRESETS, {}))
        runtime = getattr(self.config_entry, "runtime_data", None)
        satellites = sorted(runtime.coordinator.data.satellites) if runtime is not None else []
        if not satellites and not presets:
            return self.async_abort(reason="no_satellites")
        if user_input is not None:
            return self.async_create_entry(data={CONF_PRESETS: {**presets, **user_input}})
        choice = selector.SelectSelector(
            selector.SelectSelectorConfig(options=list(PRESETS), translation_key="preset")
        )
        schema = {
            vol.Required(sat, default=presets.get(sat, DEFAULT_PRESET)): choice
            for sat in sorted({*satellites, *presets})
        }
        return self.async_show_form(step_id="init", data_schema=vol.Schema(schema))
