"""Per-satellite trigger statistics, published to MQTT with Home Assistant discovery.

Topics (``base`` = ``wakesmith``, ``prefix`` = ``homeassistant``):

- ``<prefix>/sensor/wakesmith_<sat>/<key>/config`` — discovery, retained, one per sensor;
- ``<base>/<sat>/state`` — the satellite's counters as JSON, retained so sensors have a value after a
  Home Assistant restart;
- ``<base>/<sat>/verdict`` — one message per verdict, never retained (an event, not a state);
- ``<base>/judge/availability`` — ``online`` / ``offline`` (the broker publishes ``offline`` as our
  last will when the connection drops).

Counts live here, not in the broker: after a broker restart paho reconnects and :meth:`_on_connect`
publishes discovery, availability and every satellite's current state again, so nothing is lost.

A "false accept" here is a sentry false accept caught by the Judge (a rejected trigger): the rate over
the last 24 h, and per hour of listening when the satellite reports its listening time.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from wakesmith.judge.capture import safe_name
from wakesmith.judge.settings import MqttSettings

log = logging.getLogger(__name__)

WINDOW_S = 24 * 3600.0
"""Rolling window of the false-accepts-per-hour sensor."""
MIN_WINDOW_S = 3600.0
"""A fresh start divides by at least one hour, so the first rejection does not read as 3600/h."""
SECONDS_PER_HOUR = 3600.0
ONLINE, OFFLINE = "online", "offline"
QOS = 1
RECONNECT_MIN_S = 1

SENSORS: dict[str, dict[str, Any]] = {
    "triggers": {"name": "Triggers", "state_class": "total_increasing", "icon": "mdi:ear-hearing"},
    "accepts": {"name": "Accepts", "state_class": "total_increasing", "icon": "mdi:check"},
    "rejects": {"name": "Rejects", "state_class": "total_increasing", "icon": "mdi:close"},
    "false_accepts_per_hour": {"name": "False accepts per hour (24 h)", "unit": "FA/h"},
    "false_accepts_per_listening_hour": {"name": "False accepts per listening hour", "unit": "FA/h"},
    "last_score": {"name": "Last score", "state_class": "measurement"},
    "model": {"name": "Active model", "icon": "mdi:brain"},
}


@dataclass
class SatelliteStats:
    """Counters of one satellite; ``now`` is wall-clock seconds (injectable for tests)."""

    name: str
    started: float = field(default_factory=time.time)
    triggers: int = 0
    accepts: int = 0
    rejects: int = 0
    last_score: float | None = None
    model: str = ""
    listening_s: float | None = None
    _reject_times: deque[float] = field(default_factory=deque)

    def record(
        self, accepted: bool, score: float, model: str, *, listening_s: float | None, now: float
    ) -> None:
        """Count one verdict."""
        self.triggers += 1
        self.last_score = round(score, 4)
        self.model = model
        if listening_s is not None:
            self.listening_s = listening_s
        if accepted:
            self.accepts += 1
        else:
            self.rejects += 1
            self._reject_times.append(now)

    def fa_per_hour(self, now: float) -> float:
        """Rejected triggers in the last 24 h per hour observed in that window (at least one hour)."""
        while self._reject_times and self._reject_times[0] < now - WINDOW_S:
            self._reject_times.popleft()
        observed = min(WINDOW_S, max(MIN_WINDOW_S, now - self.started))
        return len(self._reject_times) * SECONDS_PER_HOUR / observed

    def state(self, now: float) -> dict[str, Any]:
        """The JSON published on ``<base>/<sat>/state``."""
        per_listening = (
            round(self.rejects * SECONDS_PER_HOUR / self.listening_s, 4) if self.listening_s else None
        )
        return {
            "triggers": self.triggers,
            "accepts": self.accepts,
            "rejects": self.rejects,
            "false_accepts_per_hour": round(self.fa_per_hour(now), 4),
            "false_accepts_per_listening_hour": per_listening,
            "last_score": self.last_score,
            "model": self.model,
        }


class Telemetry:
    """Keeps :class:`SatelliteStats` and, when an MQTT host is set, publishes them."""

    def __init__(self, settings: MqttSettings, *, client_id: str = "wakesmith-judge") -> None:
        self.settings = settings
        self.stats: dict[str, SatelliteStats] = {}
        self._lock = threading.Lock()
        self._client: mqtt.Client | None = None
        self._client_id = client_id

    @property
    def availability_topic(self) -> str:
        return f"{self.settings.base_topic}/judge/availability"

    def start(self) -> None:
        """Connect in the background (paho's network thread retries until the broker is there)."""
        if not self.settings.host:
            return
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self._client_id)
        if self.settings.username:
            client.username_pw_set(self.settings.username, self.settings.password or None)
        client.will_set(self.availability_topic, OFFLINE, qos=QOS, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_S, max(RECONNECT_MIN_S, int(self.settings.reconnect_max_s)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.connect_async(self.settings.host, self.settings.port)
        client.loop_start()
        self._client = client

    def stop(self) -> None:
        """Say ``offline`` and disconnect."""
        client, self._client = self._client, None
        if client is None:
            return
        if client.is_connected():
            client.publish(self.availability_topic, OFFLINE, qos=QOS, retain=True).wait_for_publish(2)
        client.disconnect()
        client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected()

    def record(
        self,
        satellite: str,
        *,
        accepted: bool,
        score: float,
        model: str,
        sentry_score: float | None = None,
        listening_s: float | None = None,
    ) -> None:
        """Count a verdict for ``satellite`` and publish its event and new state."""
        sat = safe_name(satellite)
        now = time.time()
        with self._lock:
            new = sat not in self.stats
            stats = self.stats.setdefault(sat, SatelliteStats(sat, started=now))
            stats.record(accepted, score, model, listening_s=listening_s, now=now)
            state = stats.state(now)
        if new:
            self._publish_discovery(sat)
        event = {"accepted": accepted, "score": round(score, 4), "model": model, "sentry_score": sentry_score}
        self._publish(f"{self.settings.base_topic}/{sat}/verdict", json.dumps(event), retain=False)
        self._publish(self._state_topic(sat), json.dumps(state), retain=True)

    def _state_topic(self, sat: str) -> str:
        return f"{self.settings.base_topic}/{sat}/state"

    def discovery(self, sat: str) -> dict[str, dict[str, Any]]:
        """Discovery topic → config payload for every sensor of one satellite."""
        node = f"wakesmith_{sat}"
        device = {
            "identifiers": [node],
            "name": f"Wakesmith {sat}",
            "manufacturer": "wakesmith",
            "model": "Judge",
        }
        configs: dict[str, dict[str, Any]] = {}
        for key, spec in SENSORS.items():
            config: dict[str, Any] = {
                "name": spec["name"],
                "unique_id": f"{node}_{key}",
                "object_id": f"{node}_{key}",
                "state_topic": self._state_topic(sat),
                "value_template": f"{{{{ value_json.{key} }}}}",
                "availability_topic": self.availability_topic,
                "device": device,
            }
            for opt, name in (
                ("state_class", "state_class"),
                ("unit", "unit_of_measurement"),
                ("icon", "icon"),
            ):
                if opt in spec:
                    config[name] = spec[opt]
            configs[f"{self.settings.discovery_prefix}/sensor/{node}/{key}/config"] = config
        return configs

    def _publish_discovery(self, sat: str) -> None:
        for topic, config in self.discovery(sat).items():
            self._publish(topic, json.dumps(config), retain=True)

    def _publish(self, topic: str, payload: str, *, retain: bool) -> None:
        client = self._client
        if client is None or not client.is_connected():
            return  # state is republished on (re)connect; a lost verdict event is only an event
        client.publish(topic, payload, qos=QOS, retain=retain)

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT broker %s refused the connection: %s", self.settings.host, reason)
            return
        log.info("MQTT connected to %s:%s", self.settings.host, self.settings.port)
        client.publish(self.availability_topic, ONLINE, qos=QOS, retain=True)
        now = time.time()
        with self._lock:
            states = {sat: s.state(now) for sat, s in self.stats.items()}
        for sat, state in states.items():
            self._publish_discovery(sat)
            client.publish(self._state_topic(sat), json.dumps(state), qos=QOS, retain=True)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        log.warning(
            "MQTT disconnected from %s (%s); reconnecting in the background", self.settings.host, reason
        )
