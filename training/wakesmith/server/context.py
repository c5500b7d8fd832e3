"""What every route shares: settings, the data home, the job queue, the studio records and the hub that
pushes events to ``/api/status`` subscribers."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from wakesmith import api
from wakesmith.data.store import ClipStore
from wakesmith.events import Event
from wakesmith.home import Home
from wakesmith.jobs.queue import JobQueue
from wakesmith.jobs.specs import dataset_event
from wakesmith.server.records import Records
from wakesmith.server.satellite_sessions import SatelliteSessions
from wakesmith.server.settings import ServerSettings

QUEUE_EVENTS = 512
"""Messages buffered for one slow subscriber; beyond that its oldest are dropped."""


def event_message(topic: str, event: Event, **extra: Any) -> dict[str, Any]:
    """The status stream's envelope: a topic and one event of :mod:`wakesmith.events`."""
    body = {
        "name": event.name,
        "stage": event.stage,
        "done": event.done,
        "total": event.total,
        "message": event.message,
        "data": event.data,
    }
    return {"topic": topic, **extra, "event": body}


class Hub:
    """Fan-out of the server's own events (its dataset changes, deploy results) to WebSocket
    subscribers; jobs' events, dataset changes by jobs included, reach them from the job queue.

    Routes run in worker threads, so publishing hands each message to the subscriber's own loop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = []

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_EVENTS)
        with self._lock:
            self._subs.append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subs = [(loop, q) for loop, q in self._subs if q is not queue]

    def publish(self, message: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs)
        for loop, queue in subs:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_offer, queue, message)


def _offer(queue: asyncio.Queue[dict[str, Any]], message: dict[str, Any]) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(message)


@dataclass
class Studio:
    settings: ServerSettings
    home: Home
    queue: JobQueue
    records: Records
    hub: Hub = field(default_factory=Hub)
    metrics: CollectorRegistry = field(default_factory=CollectorRegistry)
    refused: Counter | None = None
    store: ClipStore | None = None
    satellite: SatelliteSessions = field(default_factory=SatelliteSessions)
    """The home's clip store, held open for every request (:func:`wakesmith.api.keep_store`)."""

    @classmethod
    def open(cls, settings: ServerSettings) -> Studio:
        from wakesmith.server.metrics import registry_for

        home = settings.resolved_home()
        studio = cls(settings, home, JobQueue(home), Records(home), store=api.keep_store(home))
        studio.metrics, studio.refused = registry_for(studio)
        return studio

    def dataset_changed(self, dataset: str, action: str, **data: Any) -> None:
        """Publish that this process changed ``dataset`` (a job's changes come from its events)."""
        self.hub.publish(event_message("dataset", dataset_event(dataset, action, **data)))
