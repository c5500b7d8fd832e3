"""``/api/status`` (WebSocket), ``/api/health`` and ``/metrics``.

The WebSocket sends JSON messages ``{"topic": …, "event": {name, stage, done, total, message, data}}``
in the vocabulary of :mod:`wakesmith.events`:

- ``job``: every event a job stores (stage transitions data → train → evaluate → export, progress),
  with ``job_id``, and the job's ``state``, ``progress`` and ``eta_s``;
- ``dataset``: a dataset changed (``stage_finished`` of stage ``dataset``; ``message`` says how,
  ``data["dataset"]`` which): published by the server for its own changes, and relayed from the
  queue, with ``job_id``, when a job stored one (:func:`wakesmith.jobs.specs.dataset_event`: a
  synthesis, a retrain's import), after that event's ``job`` message;
- ``deploy``: a deploy or rollback finished (its record in ``data``);
- ``telemetry``: a ``metric`` event of stage ``system`` every :data:`TELEMETRY_S` (load, memory, GPUs).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, cast

from fastapi import APIRouter, Response, WebSocket, WebSocketDisconnect
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from wakesmith import __version__
from wakesmith.events import Event, EventName
from wakesmith.jobs.queue import JobQueue
from wakesmith.jobs.specs import changed_dataset
from wakesmith.server import telemetry
from wakesmith.server.context import event_message
from wakesmith.server.deps import StudioDep, WsStudioDep

router = APIRouter(tags=["status"])
POLL_S = 0.25
TELEMETRY_S = 5.0


def _job_messages(queue: JobQueue, after: int) -> tuple[int, list[dict[str, Any]]]:
    events = queue.events(after=after)
    out = []
    jobs: dict[str, Any] = {}
    for e in events:
        job = jobs.get(e.job_id) or jobs.setdefault(e.job_id, queue.get(e.job_id))
        event = Event(cast(EventName, e.name), e.stage, e.done, e.total, e.message, e.data)
        out.append(
            event_message(
                "job", event, job_id=e.job_id, state=job.state, progress=job.progress, eta_s=job.eta_s
            )
        )
        if changed_dataset(event) is not None:
            out.append(event_message("dataset", event, job_id=e.job_id))
        after = e.seq
    return after, out


@router.websocket("/api/status")
async def status(websocket: WebSocket, studio: WsStudioDep) -> None:
    await websocket.accept()
    hub_queue = studio.hub.subscribe()
    after = await run_in_threadpool(studio.queue.last_seq)
    next_telemetry = 0.0
    try:
        while True:
            after, messages = await run_in_threadpool(_job_messages, studio.queue, after)
            while not hub_queue.empty():
                messages.append(hub_queue.get_nowait())
            if time.monotonic() >= next_telemetry:
                snap = await run_in_threadpool(telemetry.snapshot)
                messages.append(event_message("telemetry", Event("metric", "system", data=snap)))
                next_telemetry = time.monotonic() + TELEMETRY_S
            for message in messages:
                await websocket.send_json(message)
            with contextlib.suppress(TimeoutError):
                # wake early for hub messages; a client message (or close) is read here too
                await asyncio.wait_for(websocket.receive_text(), POLL_S)
    except (WebSocketDisconnect, OSError):  # the client went away (uvicorn: ClientDisconnected)
        pass
    finally:
        studio.hub.unsubscribe(hub_queue)


@router.get("/api/health")
def health() -> dict[str, str]:
    """Liveness, without the token."""
    return {"status": "ok", "version": __version__}


@router.get("/metrics")
def metrics(studio: StudioDep) -> Response:
    """Prometheus text: jobs by state, job durations, clips per dataset, refused requests."""
    return Response(generate_latest(studio.metrics), media_type=CONTENT_TYPE_LATEST)
