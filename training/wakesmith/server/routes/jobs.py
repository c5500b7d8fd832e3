"""``/api/train`` queues a training job; ``/api/jobs`` lists, shows, tails and cancels jobs.

A job's state, stage, progress and ETA come from the queue (``jobs.sqlite``), which the worker process
updates with every event; its log is its stored events, one line each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from wakesmith.jobs.queue import JobQueue
from wakesmith.jobs.rows import FINAL, StoredEvent
from wakesmith.jobs.specs import check_spec
from wakesmith.server.deps import CurrentUser, StudioDep
from wakesmith.server.schemas import JobCreated, JobPublic, TrainCreate

router = APIRouter(prefix="/api", tags=["jobs"])
HTTP_ACCEPTED = 202
FOLLOW_POLL_S = 0.5


def log_line(event: StoredEvent) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(event.time))
    amount = f" {event.done}/{event.total}" if event.name == "stage_progress" and event.total else ""
    detail = event.message or (str(event.data) if event.data else "")
    return f"{stamp} {event.name} {event.stage}{amount} {detail}".rstrip() + "\n"


@router.post("/train", status_code=HTTP_ACCEPTED)
def train(body: TrainCreate, studio: StudioDep, user: CurrentUser) -> JobCreated:
    """Queue training of a sentry or judge: ``{dataset_id, kind, recipe?, overrides: {key: value}}``.

    The recipe and overrides are validated now (a bad key is a 422 naming it), not in the worker.
    """
    if not body.phrase:  # the phrase the dataset was made with in the studio, not the recipe's default
        body = body.model_copy(update={"phrase": studio.records.dataset_phrases().get(body.dataset_id, "")})
    check_spec(body, studio.home)  # also: a dataset without clips is a 422 now
    job = studio.queue.submit("train", body.model_dump(mode="json"), device=studio.settings.device, user=user)
    studio.records.audit(user, "train", body.dataset_id, job_id=job.id, kind=body.kind)
    return JobCreated(job_id=job.id)


@router.get("/jobs")
def list_jobs(studio: StudioDep, state: str | None = None) -> list[JobPublic]:
    studio.queue.requeue_orphans()
    return [JobPublic.of(j) for j in studio.queue.jobs(state=state)]


@router.get("/jobs/{job_id}")
def get_job(job_id: str, studio: StudioDep) -> JobPublic:
    """State (queued, running, succeeded, failed, cancelled), stage, progress, ETA, result or error."""
    return JobPublic.of(studio.queue.get(job_id))


async def _follow(queue: JobQueue, job_id: str, after: int) -> AsyncIterator[str]:
    while True:
        events = await run_in_threadpool(queue.events, job_id, after=after)
        for event in events:
            after = event.seq
            yield log_line(event)
        if not events:
            job = await run_in_threadpool(queue.get, job_id)
            if job.state in FINAL:
                yield f"-- {job.state}{': ' + job.error if job.error else ''}\n"
                return
            await asyncio.sleep(FOLLOW_POLL_S)


@router.get("/jobs/{job_id}/logs", response_model=None)
def job_logs(
    job_id: str,
    studio: StudioDep,
    lines: Annotated[int, Query(ge=1, le=10_000)] = 200,
    follow: bool = False,
) -> PlainTextResponse | StreamingResponse:
    """The last ``lines`` events as text; with ``follow=1`` the stream stays open until the job ends."""
    studio.queue.get(job_id)
    tail = studio.queue.tail(job_id, lines)
    text = "".join(log_line(e) for e in tail)
    if not follow:
        return PlainTextResponse(text)

    async def body() -> AsyncIterator[str]:
        yield text
        async for line in _follow(studio.queue, job_id, tail[-1].seq if tail else 0):
            yield line

    return StreamingResponse(body(), media_type="text/plain")


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, studio: StudioDep, user: CurrentUser) -> JobPublic:
    """A queued job is cancelled at once; a running one stops at its next event (or its worker is ended)."""
    job = studio.queue.cancel(job_id)
    studio.records.audit(user, "cancel", job_id)
    return JobPublic.of(job)
