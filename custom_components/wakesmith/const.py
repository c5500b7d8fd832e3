"""Constants of the wakesmith integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "wakesmith"

CONF_HTTP_PORT: Final = "http_port"
CONF_TOKEN: Final = "token"
CONF_TRAINER_URL: Final = "trainer_url"
CONF_TRAINER_TOKEN: Final = "trainer_token"
CONF_PRESETS: Final = "presets"
"""Options: satellite id → threshold preset (sent to the Judge whenever the integration connects)."""

DEFAULT_PORT: Final = 10400
DEFAULT_HTTP_PORT: Final = 10401
DEFAULT_PRESET: Final = "default"
PRESETS: Final = ("sensitive", "default", "strict")

SENTRY_FOLDER: Final = "custom_wake_words"
"""Config-relative folder that satellites download sentry models from."""
ESPHOME_SENTRY_FOLDER: Final = "esphome/wakesmith"
"""Config-relative folder for satellites that are reflashed: the ESPHome add-on's configuration folder is
``<config>/esphome``, so a device's YAML names the model ``wakesmith/<id>.json``."""
DESTINATIONS: Final = {"custom_wake_words": SENTRY_FOLDER, "esphome": ESPHOME_SENTRY_FOLDER}

EVENT_ACCEPTED: Final = "accepted"
EVENT_REJECTED: Final = "rejected"
EVENT_FALSE_ALARM: Final = "false_alarm"
EVENT_JOB_FINISHED: Final = "wakesmith_job_finished"
"""Fired on the bus when a studio job asked for by ``retrain`` has ended (see studio.py)."""

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_SATELLITE: Final = "satellite"
ATTR_VERDICT_ID: Final = "verdict_id"
ATTR_PATH: Final = "path"
ATTR_DATASET: Final = "dataset"
ATTR_KIND: Final = "kind"
ATTR_MODEL_ID: Final = "model_id"
ATTR_DESTINATION: Final = "destination"
ATTR_MODEL: Final = "model"
