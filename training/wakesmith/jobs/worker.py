"""The worker process: claims one job at a time for its device, runs it, stores every event.

``wakesmith worker`` runs :func:`run_worker`; ``wakesmith serve`` starts it as a subprocess. A thread
beats the job's heartbeat every :data:`HEARTBEAT_S`. Cancelling is a flag in the queue: the job's
event sink raises :class:`JobCancelled` at its next event; a job that emits nothing for
:data:`CANCEL_GRACE_S` after the flag is stopped by ending the worker process (its supervisor, ``serve``,
starts a new one).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback

from wakesmith.errors import WakesmithError
from wakesmith.events import Emitter, Event
from wakesmith.home import Home
from wakesmith.jobs.queue import Job, JobQueue
from wakesmith.jobs.specs import run_spec

log = logging.getLogger(__name__)

HEARTBEAT_S = 2.0
POLL_S = 1.0
CANCEL_GRACE_S = 15.0
EXIT_CANCELLED = 3
"""The worker's exit status when it ended itself to stop a job that ignored its cancel flag."""


class JobCancelled(Exception):
    """Raised inside a job whose cancellation was requested."""


class _Beat:
    """The heartbeat thread of one running job."""

    def __init__(self, queue: JobQueue, job: Job) -> None:
        self.queue, self.job = queue, job
        self.cancelled = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job.id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        flagged_at: float | None = None
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self.cancelled = self.queue.heartbeat(self.job.id) or self.cancelled
            except Exception:  # a locked database for one beat is not worth dying for
                log.exception("heartbeat of job %s failed", self.job.id)
                continue
            if self.cancelled:
                flagged_at = flagged_at or time.monotonic()
                if time.monotonic() - flagged_at > CANCEL_GRACE_S:
                    log.warning(
                        "job %s ignored its cancel flag for %gs: ending the worker",
                        self.job.id,
                        CANCEL_GRACE_S,
                    )
                    self.queue.finish(self.job.id, "cancelled", error="stopped by ending its worker")
                    os._exit(EXIT_CANCELLED)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_job(queue: JobQueue, job: Job, home: Home) -> Job:
    """Run a claimed job to its end state (succeeded, failed or cancelled)."""
    beat = _Beat(queue, job)

    def sink(event: Event) -> None:
        queue.record(job.id, event)
        if beat.cancelled or queue.get(job.id).cancel_requested:
            beat.cancelled = True
            raise JobCancelled(f"job {job.id} was cancelled")

    try:
        log.info("job %s (%s) starts, attempt %d", job.id, job.kind, job.attempts)
        result = run_spec(job.kind, job.spec, home, Emitter(sink))
    except JobCancelled:
        return queue.finish(job.id, "cancelled", error="cancelled")
    except WakesmithError as exc:
        queue.record(job.id, Event("warning", queue.get(job.id).stage or "job", message=str(exc)))
        return queue.finish(job.id, "failed", error=str(exc))
    except Exception as exc:
        if beat.cancelled:  # a library wrapped our JobCancelled in its own exception
            return queue.finish(job.id, "cancelled", error="cancelled")
        log.exception("job %s failed", job.id)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return queue.finish(job.id, "failed", error=f"{detail} (a bug: see the worker's log)")
    finally:
        beat.stop()
    return queue.finish(job.id, "succeeded", result=result)


def run_worker(
    home: Home,
    *,
    device: str = "cpu",
    once: bool = False,
    stop: threading.Event | None = None,
    parent: int | None = None,
) -> int:
    """Claim and run jobs until ``stop`` is set (or, with ``once``, until the queue is empty, or, with
    ``parent``, until that process is no longer this one's parent: ``serve`` died).

    Returns how many jobs it ran.
    """
    queue, stop = JobQueue(home.ensure()), stop or threading.Event()
    ran = 0
    log.info("worker %d serving %s on %s", os.getpid(), home.root, device)
    while not stop.is_set():
        if parent is not None and os.getppid() != parent:
            log.info("worker %d: its parent %d is gone; stopping", os.getpid(), parent)
            break
        job = queue.claim(device)
        if job is None:
            if once:
                break
            stop.wait(POLL_S)
            continue
        run_job(queue, job, home)
        ran += 1
    return ran
