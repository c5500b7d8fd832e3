"""``POST /api/retrain``: the closed loop — import the Judge's captured hard negatives, then train.

Home Assistant's ``wakesmith.retrain`` action (``custom_components/wakesmith/services.py``) posts here.

Request (JSON, every key optional; unknown keys are refused with 422)::

    {
      "dataset_id": "hey_katya",          # default: the dataset the current model of `kind` learnt
      "hard_negatives_folder": "/share/wakesmith/captures",
                                          # a Judge capture folder (rejected/*.wav); default: the
                                          # server's `captures_folder` setting; none: no import
      "kind": "judge",                    # or "sentry"
      "recipe": "judge",                  # preset or recipe file; default: the preset named `kind`
      "overrides": {"train.epochs": 5},   # dotted recipe keys
      "evaluate": true,                   # calibrate after training
      "exports": [],                      # e.g. ["esphome"]
      "hard_negatives": 12                # the count the integration sends; informational
    }

Response ``202``::

    {"job_id": "3f2a9c0d1e4b", "dataset_id": "hey_katya", "hard_negatives_folder": "/share/…" | null}

The job (``GET /api/jobs/{job_id}``) runs the stages ``data`` (the import, then the dataset check),
``train``, ``evaluate``, ``export``. A 422 says what to fix: no dataset and no current model to take
it from, a folder that does not exist, an unknown recipe key.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel

from wakesmith.errors import DatasetError
from wakesmith.jobs.specs import check_spec, retrain_dataset
from wakesmith.server.deps import CurrentUser, StudioDep
from wakesmith.server.schemas import RetrainCreate

router = APIRouter(prefix="/api", tags=["jobs"])
HTTP_ACCEPTED = 202


class RetrainQueued(BaseModel):
    job_id: str
    dataset_id: str
    hard_negatives_folder: Path | None


@router.post("/retrain", status_code=HTTP_ACCEPTED)
def retrain(studio: StudioDep, user: CurrentUser, body: RetrainCreate | None = None) -> RetrainQueued:
    body = body or RetrainCreate()
    folder = body.hard_negatives_folder or studio.settings.captures_folder
    if folder is not None and not folder.is_dir():
        raise DatasetError(
            f"The capture folder {folder} does not exist here; give the Judge's capture folder."
        )
    dataset = retrain_dataset(studio.home, body.kind, body.dataset_id)
    spec = body.model_copy(update={"dataset_id": dataset, "hard_negatives_folder": folder})
    check_spec(spec, studio.home)
    job = studio.queue.submit("retrain", spec.spec(), device=studio.settings.device, user=user)
    studio.records.audit(user, "retrain", dataset, job_id=job.id, hard_negatives=body.hard_negatives)
    return RetrainQueued(job_id=job.id, dataset_id=dataset, hard_negatives_folder=folder)
