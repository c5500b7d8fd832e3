"""Per-satellite trigger statistics, published to MQTT with Home Assistant discovery.

Topics (``base`` = ``wakesmith``, ``prefix`` = ``homeassistant``; ``<sat>`` is the satellite's id from
:func:`wakesmith.judge.names.satellite_id`, its exact name is the device's display name):

- ``<prefix>/sensor/wakesmith_<sat>/<key>/config`` — discovery, retained, one per sensor;
- ``<base>/<sat>/state`` — the satellite's counters as JSON, retained so sensors have a value after a
  Home Assistant restart;
- ``<base>/<sat>/verdict`` — one message per verdict, never retained (an event, not a state);
- ``<base>/judge/availability`` — ``online`` / ``offline`` (the broker publishes ``offline`` as our
  last will when the connection drops).

Counts live here, not in the broker: after a broker restart paho reconnects and :meth:`_on_connect`
publishes discovery, availability and every satellite's current state again, so nothing is lost.
The registry holds at most ``max_satellites``; the least recently heard one is forgotten beyond that,
and its retained discovery and state are cleared, so invented names cannot fill the broker or Home
Assistant's device list. Liveness comes from round trips: a QoS 1 heartbeat every third of
``liveness_s``; :attr:`Telemetry.alive` is false when the broker has not acknowledged anything for
``liveness_s`` (a frozen broker keeps its TCP connection open long after it stops answering).

A "false accept" here is a sentry false accept caught by the Judge (a rejected trigger): the rate over
the last 24 h, and per hour of listening when the satellite reports its listening time.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from wakesmith.judge.names import for_log, satellite_id
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
HEARTBEATS_PER_LIVENESS = 3
DEFAULT_MAX_SATELLITES = 64

SENSORS: dict[str, dict[str, Any]] = {
    "triggers": {"name": "Triggers", "state_class": "total_increasing", "icon": "mdi:ear-hearing"},
    "accepts": {"name": "Accepts", "state_class": "total_increasing", "icon": "mdi:check"},
    "rejects": {"name": "Rejects", "state_class": "total_increasing", "icon": "mdi:close"},
    "detections": {"name": "Detections", "state_class": "total_increasing", "icon": "mdi:waveform"},
    "false_accepts_per_hour": {
        "name": "False accepts per hour (24 h)",
        "unit": "FA/h",
        "state_class": "measurement",
    },
    "false_accepts_per_listening_hour": {
        "name": "False accepts per listening hour",
        "unit": "FA/h",
        "state_class": "measurement",
    },
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
    detections: int = 0
    """Continuous-mode (plain Wyoming) detections."""
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

    def record_detection(self, score: float, model: str) -> None:
        """Count one continuous-mode detection."""
        self.detections += 1
        self.last_score = round(score, 4)
        self.model = model

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
            "detections": self.detections,
            "false_accepts_per_hour": round(self.fa_per_hour(now), 4),
            "false_accepts_per_listening_hour": per_listening,
            "last_score": self.last_score,
            "model": self.model,
        }


class Telemetry:
    """Keeps :class:`SatelliteStats` (a bounded registry) and, when an MQTT host is set, publishes them."""

    def __init__(
        self,
        settings: MqttSettings,
        *,
        client_id: str = "wakesmith-judge",
        max_satellites: int = DEFAULT_MAX_SATELLITES,
    ) -> None:
        self.settings = settings
        self.max_satellites = max_satellites
        self.stats: OrderedDict[str, SatelliteStats] = OrderedDict()
        """Satellite id → its counters, least recently heard first."""
        self._lock = threading.Lock()
        self._client: mqtt.Client | None = None
        self._client_id = client_id
        self._last_ack = 0.0
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    @property
    def availability_topic(self) -> str:
        return f"{self.settings.base_topic}/judge/availability"

    @property
    def heartbeat_topic(self) -> str:
        return f"{self.settings.base_topic}/judge/heartbeat"

    def start(self) -> None:
        """Connect in the background (paho's network thread retries until the broker is there)."""
        if not self.settings.host:
            return
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self._client_id)
        if self.settings.username:
            client.username_pw_set(self.settings.username, self.settings.password or None)
        client.will_set(self.availability_topic, OFFLINE, qos=QOS, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_S, max(RECONNECT_MIN_S, int(self.settings.reconnect_max_s)))
        client.max_queued_messages_set(self.settings.max_queued)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.connect_async(self.settings.host, self.settings.port)
        client.loop_start()
        self._client = client
        self._stop.clear()
        self._heartbeat = threading.Thread(target=self._beat, name="judge-mqtt-heartbeat", daemon=True)
        self._heartbeat.start()

    def stop(self) -> None:
        """Say ``offline`` and disconnect."""
        self._stop.set()
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

    @property
    def alive(self) -> bool:
        """Connected, and the broker acknowledged a message within ``liveness_s``."""
        return self.connected and time.monotonic() - self._last_ack <= self.settings.liveness_s

    def _beat(self) -> None:
        interval = self.settings.liveness_s / HEARTBEATS_PER_LIVENESS
        while not self._stop.wait(interval):
            client = self._client
            if client is not None and client.is_connected():
                client.publish(self.heartbeat_topic, str(round(time.time())), qos=QOS, retain=False)

    def _on_publish(self, _client: mqtt.Client, _userdata: Any, _mid: int, _reason: Any, _props: Any) -> None:
        self._last_ack = time.monotonic()  # a PUBACK: the broker answered

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
        now = time.time()
        with self._lock:
            sat, new, evicted = self._entry(satellite, now)
            if sat is None:
                return
            stats = self.stats[sat]
            stats.record(accepted, score, model, listening_s=listening_s, now=now)
            state = stats.state(now)
        self._announce(sat, satellite, new, evicted)
        event = {
            "satellite": satellite,
            "accepted": accepted,
            "score": round(score, 4),
            "model": model,
            "sentry_score": sentry_score,
        }
        self._publish(f"{self.settings.base_topic}/{sat}/verdict", _json(event), retain=False)
        self._publish(self._state_topic(sat), _json(state), retain=True)

    def snapshot(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Satellite id → (name, state) of every satellite, least recently heard first."""
        now = time.time()
        with self._lock:
            return {sat: (s.name, s.state(now)) for sat, s in self.stats.items()}

    def record_detection(self, client: str, *, model: str, score: float) -> None:
        """Count a continuous-mode detection for ``client`` and publish its new state."""
        now = time.time()
        with self._lock:
            sat, new, evicted = self._entry(client, now)
            if sat is None:
                return
            stats = self.stats[sat]
            stats.record_detection(score, model)
            state = stats.state(now)
        self._announce(sat, client, new, evicted)
        self._publish(self._state_topic(sat), _json(state), retain=True)

    def _entry(self, name: str, now: float) -> tuple[str | None, bool, list[str]]:
        """(id, is new, evicted ids) for a satellite name, most recently heard now; id None: refused."""
        sat = satellite_id(name)
        existing = self.stats.get(sat)
        if existing is not None:
            if existing.name != name:  # cannot happen by accident (40-bit hash): a forged name
                log.warning(
                    "satellite %r collides with %r; not counted", for_log(name), for_log(existing.name)
                )
                return None, False, []
            self.stats.move_to_end(sat)
            return sat, False, []
        self.stats[sat] = SatelliteStats(name, started=now)
        evicted = []
        while len(self.stats) > self.max_satellites:
            old, stats = self.stats.popitem(last=False)
            evicted.append(old)
            log.info("satellite registry full: forgetting %s", for_log(stats.name))
        return sat, True, evicted

    def _announce(self, sat: str, name: str, new: bool, evicted: list[str]) -> None:
        for old in evicted:
            self._clear(old)
        if new:
            self._publish_discovery(sat, name)

    def _state_topic(self, sat: str) -> str:
        return f"{self.settings.base_topic}/{sat}/state"

    def discovery(self, sat: str, name: str | None = None) -> dict[str, dict[str, Any]]:
        """Discovery topic → config payload for every sensor of one satellite (id, display name)."""
        node = f"wakesmith_{sat}"
        device = {
            "identifiers": [node],
            "name": f"Wakesmith {name if name is not None else sat}",
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
            for opt, field_name in (
                ("state_class", "state_class"),
                ("unit", "unit_of_measurement"),
                ("icon", "icon"),
            ):
                if opt in spec:
                    config[field_name] = spec[opt]
            configs[self._discovery_topic(sat, key)] = config
        return configs

    def _discovery_topic(self, sat: str, key: str) -> str:
        return f"{self.settings.discovery_prefix}/sensor/wakesmith_{sat}/{key}/config"

    def _publish_discovery(self, sat: str, name: str) -> None:
        if not self.settings.discovery:
            return
        for topic, config in self.discovery(sat, name).items():
            self._publish(topic, _json(config), retain=True)

    def _clear(self, sat: str) -> None:
        """Remove a forgotten satellite's retained messages (an empty retained payload deletes them)."""
        for key in SENSORS:
            self._publish(self._discovery_topic(sat, key), "", retain=True)
        self._publish(self._state_topic(sat), "", retain=True)

    def _publish(self, topic: str, payload: str, *, retain: bool) -> None:
        client = self._client
        if client is None or not client.is_connected():
            return  # state is republished on (re)connect; a lost verdict event is only an event
        client.publish(topic, payload, qos=QOS, retain=retain)

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT broker %s refused the connection: %s", self.settings.host, reason)
            return
        self._last_ack = time.monotonic()  # the CONNACK is a round trip too
        log.info("MQTT connected to %s:%s", self.settings.host, self.settings.port)
        client.publish(self.availability_topic, ONLINE, qos=QOS, retain=True)
        now = time.time()
        with self._lock:
            states = {sat: (s.name, s.state(now)) for sat, s in self.stats.items()}
        for sat, (name, state) in states.items():
            self._publish_discovery(sat, name)
            client.publish(self._state_topic(sat), _json(state), qos=QOS, retain=True)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        log.warning(
            "MQTT disconnected from %s (%s); reconnecting in the background", self.settings.host, reason
        )


def _json(value: Any) -> str:
    """JSON for the broker: never NaN or Infinity (Home Assistant's parser refuses them)."""
    return json.dumps(value, allow_nan=False)
