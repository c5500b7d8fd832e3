"""Request and response bodies, by role: ``*Create`` (POST bodies), ``*Update`` (PATCH bodies) and
``*Public`` (what the API returns). Unknown keys in a request are refused (422)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wakesmith.jobs.rows import Job
from wakesmith.jobs.specs import RetrainSpec, TrainSpec
from wakesmith.server.deploy import Target


class _Create(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ----------------------------------------------------------------------------------- datasets


class DatasetCreate(_Create):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    phrase: str = Field(default="", max_length=200)


class DatasetPublic(_Public):
    id: str
    phrase: str
    clips: int


class DatasetDetail(DatasetPublic):
    health: dict[str, Any] | None
    """``api.health``: counts by label/split/source, minutes, speakers, level and SNR spreads,
    warnings. None while the dataset has no clips."""


# --------------------------------------------------------------------------------- recordings


class RecordingUpdate(_Create):
    label: str | None = None
    speaker: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)


class RecordingPublic(_Public):
    id: str
    dataset: str
    label: str
    speaker: str
    notes: str
    source: str
    split: str | None
    duration_s: float
    rms_dbfs: float
    peak_dbfs: float
    snr_db: float
    deleted: bool
    created_at: datetime
    """When the clip entered the store (UTC)."""


# --------------------------------------------------------------------------------------- jobs


class TrainCreate(TrainSpec):
    """``{dataset_id, kind: sentry|judge, recipe?, overrides: {key: value}, evaluate?, exports?}``."""


class RetrainCreate(RetrainSpec):
    """``{dataset_id?, hard_negatives_folder?, kind?, recipe?, overrides?, hard_negatives?}``."""

    hard_negatives: int | None = Field(default=None, ge=0)
    """How many hard negatives the Judge holds (sent by the Home Assistant integration; informational)."""

    def spec(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"hard_negatives"})


class JobCreated(_Public):
    job_id: str


class JobPublic(_Public):
    id: str
    kind: str
    state: str
    stage: str
    done: int
    total: int | None
    progress: float | None
    """Fraction of the current stage done."""
    eta_s: float | None
    """Seconds left in the current stage at its rate so far."""
    message: str
    error: str
    result: dict[str, Any]
    spec: dict[str, Any]
    user: str
    attempts: int
    cancel_requested: bool
    created_at: float
    started_at: float | None
    finished_at: float | None
    duration_s: float | None

    @classmethod
    def of(cls, job: Job) -> JobPublic:
        return cls.model_validate(job)


# ------------------------------------------------------------------------------------- models


class ModelPublic(_Public):
    id: str
    role: str
    phrase: str
    dataset: str
    created: str
    current: bool


class ModelDetail(_Public):
    id: str
    current: bool
    metadata: dict[str, Any]
    report: dict[str, Any] | None
    """The evaluation report (``report.json``), None until evaluated."""
    files: list[str]
    plots: list[str]
    """The evaluation plots it has (``det``, ``scores``, ``confusion``), each at ``plots/{name}``."""


# ------------------------------------------------------------------------------------ deploys


class DeployCreate(_Create):
    model_id: str = Field(min_length=1, max_length=200)
    targets: list[Target] = Field(min_length=1, max_length=8)


class RollbackCreate(_Create):
    tokens: dict[str, str] = Field(default_factory=dict)
    """Judge URL → its token (tokens are not kept with the deploy)."""


class DeployPublic(_Public):
    id: str
    model_id: str
    state: str
    targets: list[dict[str, Any]]
    results: list[dict[str, Any]]
    user: str
    rollback_of: str | None
    created_at: float
    finished_at: float | None


class AuditPublic(_Public):
    seq: int
    time: float
    user: str
    action: str
    target: str
    detail: dict[str, Any]


class SharePaths(_Public):
    share_folder: Path | None
