"""One event vocabulary for progress.

The API emits named events; the CLI draws progress bars from them, the job runner stores them and
the web UI streams them. Library code never prints.

Vocabulary (``Event.name``):
    ``stage_started``   a stage begins (``total`` may be known)
    ``stage_progress``  ``done`` of ``total`` units are finished
    ``stage_finished``  a stage ends; ``data`` holds its summary
    ``metric``          a measured value (``data``: name → value), e.g. per validation epoch
    ``warning``         something the user should know but that does not stop the run
    ``artifact_saved``  a file or folder was written (``data['path']``)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

EventName = Literal[
    "stage_started", "stage_progress", "stage_finished", "metric", "warning", "artifact_saved"
]

log = logging.getLogger("wakesmith")


@dataclass(frozen=True)
class Event:
    name: EventName
    stage: str
    done: int = 0
    total: int | None = None
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


EventSink = Callable[[Event], None]


class Emitter:
    """Sends events to every sink and mirrors them to the ``wakesmith`` logger."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = list(sinks)

    def emit(self, event: Event) -> None:
        level = logging.WARNING if event.name == "warning" else logging.DEBUG
        if event.name in ("stage_started", "stage_finished", "artifact_saved"):
            level = logging.INFO
        log.log(level, "%s %s %s", event.name, event.stage, event.message or event.data or "")
        for sink in self.sinks:
            sink(event)

    def started(self, stage: str, total: int | None = None, message: str = "") -> None:
        self.emit(Event("stage_started", stage, total=total, message=message))

    def progress(self, stage: str, done: int, total: int | None = None, message: str = "") -> None:
        self.emit(Event("stage_progress", stage, done=done, total=total, message=message))

    def finished(self, stage: str, message: str = "", **data: Any) -> None:
        self.emit(Event("stage_finished", stage, message=message, data=data))

    def metric(self, stage: str, **values: Any) -> None:
        self.emit(Event("metric", stage, data=values))

    def warning(self, stage: str, message: str) -> None:
        self.emit(Event("warning", stage, message=message))

    def saved(self, stage: str, path: str) -> None:
        self.emit(Event("artifact_saved", stage, message=path, data={"path": path}))


def null_emitter() -> Emitter:
    return Emitter()
