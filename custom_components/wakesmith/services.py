"""Actions: ``report_false_alarm``, ``install_model``, ``retrain``, ``deploy`` (registered once, in
``async_setup``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import JudgeError, StudioClient
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DATASET,
    ATTR_DESTINATION,
    ATTR_KIND,
    ATTR_MODEL,
    ATTR_MODEL_ID,
    ATTR_PATH,
    ATTR_SATELLITE,
    ATTR_VERDICT_ID,
    CONF_TRAINER_TOKEN,
    CONF_TRAINER_URL,
    DESTINATIONS,
    DOMAIN,
    SENTRY_FOLDER,
)
from .coordinator import WakesmithData
from .errors import judge_error
from .studio import follow_job

TFLITE_MAGIC = b"TFL3"
"""The flatbuffer file identifier of a TFLite model (bytes 4–8)."""
MAX_SENTRY_BYTES = 2_000_000

REPORT_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
            vol.Optional(ATTR_SATELLITE): cv.string,
            vol.Optional(ATTR_VERDICT_ID): cv.string,
        }
    ),
    cv.has_at_least_one_key(ATTR_SATELLITE, ATTR_VERDICT_ID),
)
INSTALL_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_PATH): cv.string,
        vol.Optional(ATTR_MODEL): cv.string,
        vol.Optional(ATTR_DESTINATION, default="custom_wake_words"): vol.In(tuple(DESTINATIONS)),
    }
)
DEPLOY_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_MODEL_ID): cv.string,
        vol.Optional(ATTR_MODEL): cv.string,
    }
)
RETRAIN_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DATASET): cv.string,
        vol.Optional(ATTR_KIND): vol.In(("judge", "sentry")),
    }
)


def _entry(hass: HomeAssistant, call: ServiceCall) -> ConfigEntry[WakesmithData]:
    """The loaded entry named by the call, or the only one."""
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id:
        entry = hass.config_entries.async_get_entry(entry_id)
        entries = [entry] if entry is not None and entry.domain == DOMAIN else []
    else:
        entries = [e for e in hass.config_entries.async_entries(DOMAIN) if e.state is ConfigEntryState.LOADED]
    if len(entries) != 1 or entries[0].state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="which_judge")
    return entries[0]


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    async def report_false_alarm(call: ServiceCall) -> ServiceResponse:
        data = _entry(hass, call).runtime_data
        satellite = call.data.get(ATTR_SATELLITE)
        if satellite is not None and satellite not in data.coordinator.data.satellites:
            # a display name (its device's name) is as good as the Judge's id for it
            by_name = {row.get("name"): sat for sat, row in data.coordinator.data.satellites.items()}
            satellite = by_name.get(satellite, satellite)
        try:
            result = await data.client.report_false_alarm(
                satellite=satellite, verdict_id=call.data.get(ATTR_VERDICT_ID)
            )
        except JudgeError as err:
            raise judge_error(err) from err
        await data.coordinator.async_request_refresh()
        return result

    async def install_model(call: ServiceCall) -> ServiceResponse:
        entry = _entry(hass, call)
        path = call.data[ATTR_PATH]
        if path.endswith(".json"):
            folder = DESTINATIONS[call.data[ATTR_DESTINATION]]
            written = await hass.async_add_executor_job(_install_sentry, hass, Path(path), folder)
            return {"installed": [str(p) for p in written]}
        if not path.endswith(".onnx"):
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="model_kind")
        models = entry.runtime_data.coordinator.data.info.get("models", [])
        name = call.data.get(ATTR_MODEL) or (models[0]["name"] if models else "")
        try:
            info = await entry.runtime_data.client.install_model(name, path)
        except JudgeError as err:
            raise judge_error(err) from err
        await entry.runtime_data.coordinator.async_request_refresh()
        return {"models": info.get("models", [])}

    async def retrain(call: ServiceCall) -> ServiceResponse:
        entry = _entry(hass, call)
        studio = _studio(hass, entry)
        # The trainer studio's POST /api/retrain (training/wakesmith/server/routes/retrain.py): it imports
        # the Judge's captured hard negatives from its capture folder, then queues a training job, which
        # studio.follow_job watches until wakesmith_job_finished.
        body: dict[str, Any] = {"hard_negatives": entry.runtime_data.coordinator.data.hard_negatives}
        if call.data.get(ATTR_DATASET):
            body["dataset_id"] = call.data[ATTR_DATASET]
        if call.data.get(ATTR_KIND):
            body["kind"] = call.data[ATTR_KIND]
        try:
            queued = await studio.retrain(body)
        except JudgeError as err:
            raise _studio_error(err) from err
        if queued.get("job_id"):
            follow_job(hass, entry, studio, str(queued["job_id"]))
        return queued

    async def deploy(call: ServiceCall) -> ServiceResponse:
        """The studio places a trained judge where the Judge reads it and has the Judge install it."""
        entry = _entry(hass, call)
        studio = _studio(hass, entry)
        judge = entry.runtime_data.client
        models = entry.runtime_data.coordinator.data.info.get("models", [])
        name = call.data.get(ATTR_MODEL) or (models[0]["name"] if models else "")
        target = {"kind": "judge", "url": judge.base, "token": judge.token, "name": name}
        try:
            record = await studio.deploy({"model_id": call.data[ATTR_MODEL_ID], "targets": [target]})
        except JudgeError as err:
            raise _studio_error(err) from err
        if record.get("state") != "succeeded":
            reasons = "; ".join(
                str(r.get("message", "")) for r in record.get("results", []) if not r.get("ok")
            )
            raise _studio_error(JudgeError(reasons or "the deploy failed"))
        await entry.runtime_data.coordinator.async_request_refresh()
        return record

    hass.services.async_register(
        DOMAIN, "report_false_alarm", report_false_alarm, REPORT_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, "install_model", install_model, INSTALL_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(DOMAIN, "retrain", retrain, RETRAIN_SCHEMA, SupportsResponse.OPTIONAL)
    hass.services.async_register(DOMAIN, "deploy", deploy, DEPLOY_SCHEMA, SupportsResponse.OPTIONAL)


def _studio(hass: HomeAssistant, entry: ConfigEntry[WakesmithData]) -> StudioClient:
    """The entry's trainer studio; a validation error when none is configured."""
    url = str(entry.data.get(CONF_TRAINER_URL) or "").rstrip("/")
    if not url:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_trainer")
    return StudioClient(async_get_clientsession(hass), url, str(entry.data.get(CONF_TRAINER_TOKEN) or ""))


def _studio_error(err: JudgeError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="trainer_failed",
        translation_placeholders={"error": str(err)},
    )


def _install_sentry(hass: HomeAssistant, manifest_path: Path, destination: str = SENTRY_FOLDER) -> list[Path]:
    """Copy a sentry export (``<id>.json`` + its ``.tflite``) into ``<config>/<destination>/``:
    ``custom_wake_words`` (satellites that download models) or ``esphome/wakesmith`` (reflashed ones).

    Both files are checked first (a micro_wake_word manifest, a TFLite flatbuffer) and each lands by
    an atomic rename, the model before its manifest, so a satellite never reads a half-written pair.
    """
    if not hass.config.is_allowed_path(str(manifest_path)):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="path_not_allowed",
            translation_placeholders={"path": str(manifest_path)},
        )
    try:
        manifest = json.loads(manifest_path.read_text())
        model_name = str(manifest["model"])
        if manifest.get("type") != "micro" or "/" in model_name or not model_name.endswith(".tflite"):
            raise ValueError("not a micro_wake_word manifest")
        model = (manifest_path.parent / model_name).read_bytes()
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="bad_sentry",
            translation_placeholders={"path": str(manifest_path), "error": str(err)},
        ) from err
    if model[4:8] != TFLITE_MAGIC or len(model) > MAX_SENTRY_BYTES:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="bad_sentry",
            translation_placeholders={
                "path": str(manifest_path),
                "error": f"{model_name} is not a TFLite model",
            },
        )
    folder = Path(hass.config.path(destination))
    folder.mkdir(parents=True, exist_ok=True)
    model_target = folder / model_name
    manifest_target = folder / manifest_path.name
    _atomic_write(model_target, model)
    _atomic_write(manifest_target, manifest_path.read_bytes())
    return [manifest_target, model_target]


def _atomic_write(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
