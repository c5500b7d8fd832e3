"""The job runner: a SQLite queue under the data home and a worker process that runs one job at a time
per device (``wakesmith worker``). Jobs are resumable: a job whose worker died is queued again.

>>> queue = JobQueue(Home.resolve())                                      # doctest: +SKIP
>>> queue.submit("train", {"dataset_id": "hey_katya", "kind": "sentry"})  # doctest: +SKIP
"""

from wakesmith.jobs.queue import JobError, JobQueue
from wakesmith.jobs.rows import FINAL, STATES, Job, StoredEvent

__all__ = ["FINAL", "STATES", "Job", "JobError", "JobQueue", "StoredEvent"]
