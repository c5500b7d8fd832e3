"""The trainer studio, seen from Home Assistant: a retrain's job followed to its end.

``wakesmith.retrain`` queues a job in the studio; the integration then asks ``GET /api/jobs/{id}``
every :data:`POLL_S` and, once the job has ended, fires ``wakesmith_job_finished`` on the event bus:

    {"config_entry_id", "job_id", "state": "succeeded" | "failed" | "cancelled" | "lost",
     "model_id", "better", "comparison", "error"}

``better`` and ``comparison`` come from the studio's held-out comparison of the new model with the one
that was current (``result.comparison``); ``lost`` means the studio no longer knows the job. The retrain
blueprint waits for this event. A studio that cannot be reached for a while is asked again; the
follow ends with the entry.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .api import JudgeConnectionError, JudgeError, JudgeRequestError, StudioClient
from .const import DOMAIN, EVENT_JOB_FINISHED

_LOGGER = logging.getLogger(__name__)

POLL_S = 30.0
"""How often a running job is asked about (training takes minutes to hours)."""
FINAL = frozenset({"succeeded", "failed", "cancelled"})
HTTP_NOT_FOUND = 404


def follow_job(hass: HomeAssistant, entry: ConfigEntry, client: StudioClient, job_id: str) -> None:
    """Follow ``job_id`` in the background until it ends (or the entry is unloaded)."""
    entry.async_create_background_task(
        hass, _follow(hass, entry, client, job_id), f"{DOMAIN} job {job_id}", eager_start=False
    )


async def _follow(hass: HomeAssistant, entry: ConfigEntry, client: StudioClient, job_id: str) -> None:
    unreachable_logged = False
    while True:
        await asyncio.sleep(POLL_S)
        try:
            job = await client.job(job_id)
        except JudgeRequestError as err:
            if err.status == HTTP_NOT_FOUND:
                _fire(hass, entry, job_id, {"state": "lost", "error": err.detail})
                return
            _LOGGER.warning("The trainer studio refused to tell about job %s: %s", job_id, err)
            continue
        except JudgeConnectionError as err:
            if not unreachable_logged:
                _LOGGER.warning(
                    "Cannot reach the trainer studio about job %s (%s); asking again", job_id, err
                )
                unreachable_logged = True
            continue
        except JudgeError as err:
            _LOGGER.warning("Job %s: %s", job_id, err)
            continue
        unreachable_logged = False
        if job.get("state") in FINAL:
            _fire(hass, entry, job_id, job)
            return


def _fire(hass: HomeAssistant, entry: ConfigEntry, job_id: str, job: dict[str, Any]) -> None:
    result = job.get("result") or {}
    comparison = result.get("comparison") if isinstance(result, dict) else None
    data = {
        "config_entry_id": entry.entry_id,
        "job_id": job_id,
        "state": job.get("state"),
        "model_id": result.get("model_id") if isinstance(result, dict) else None,
        "better": bool(comparison and comparison.get("better")),
        "comparison": comparison,
        "error": job.get("error") or "",
    }
    _LOGGER.info("Studio job %s ended: %s", job_id, data["state"])
    hass.bus.async_fire(EVENT_JOB_FINISHED, data)
