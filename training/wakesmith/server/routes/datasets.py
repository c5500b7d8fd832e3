"""``/api/datasets``: list, create, health; recordings uploaded into a dataset; synthesis as a job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from starlette.concurrency import run_in_threadpool

from wakesmith import api
from wakesmith.config import SynthConfig, TakeSplit
from wakesmith.data.schema import check_dataset
from wakesmith.errors import DatasetError
from wakesmith.server.deps import CurrentUser, StudioDep
from wakesmith.server.schemas import DatasetCreate, DatasetDetail, DatasetPublic, JobCreated, RecordingPublic

router = APIRouter(prefix="/api/datasets", tags=["datasets"])
HTTP_CREATED = 201
HTTP_NOT_FOUND = 404


@router.get("")
def list_datasets(studio: StudioDep) -> list[DatasetPublic]:
    """Every dataset: those with clips and those made here that have none yet."""
    counts = api.datasets(home=studio.home)
    phrases = studio.records.dataset_phrases()
    names = sorted(set(counts) | set(phrases))
    return [DatasetPublic(id=n, phrase=phrases.get(n, ""), clips=counts.get(n, 0)) for n in names]


@router.post("", status_code=HTTP_CREATED)
def create_dataset(body: DatasetCreate, studio: StudioDep, user: CurrentUser) -> DatasetPublic:
    name = check_dataset(body.name)
    studio.records.add_dataset(name, body.phrase, user)
    studio.records.audit(user, "create_dataset", name, phrase=body.phrase)
    studio.dataset_changed(name, "created")
    return DatasetPublic(id=name, phrase=body.phrase, clips=api.datasets(home=studio.home).get(name, 0))


@router.get("/{dataset_id}")
def get_dataset(dataset_id: str, studio: StudioDep) -> DatasetDetail:
    """Health: counts, minutes, label balance, level and SNR spreads, and warnings that say what to do."""
    phrases = studio.records.dataset_phrases()
    try:
        health = api.health(dataset_id, home=studio.home).to_dict()
    except DatasetError as exc:
        if dataset_id not in phrases:
            raise HTTPException(HTTP_NOT_FOUND, str(exc)) from None
        health = None
    clips = health["clips"] if health else 0
    return DatasetDetail(id=dataset_id, phrase=phrases.get(dataset_id, ""), clips=clips, health=health)


@router.post("/{dataset_id}/recordings", status_code=HTTP_CREATED)
async def upload_recording(
    dataset_id: str,
    studio: StudioDep,
    user: CurrentUser,
    audio: Annotated[UploadFile, File(description="WAV, FLAC or OGG; converted to 16 kHz mono.")],
    label: Annotated[str, Form()],
    speaker: Annotated[str, Form(max_length=200)] = "",
    notes: Annotated[str, Form(max_length=2000)] = "",
) -> RecordingPublic:
    """Store one recording as a clip (source ``recording``), as imported clips are stored."""
    data = await audio.read(studio.settings.limits.max_body_bytes + 1)
    clip = await run_in_threadpool(
        api.add_upload,
        data,
        dataset=dataset_id,
        label=label,
        speaker=speaker,
        notes=notes,
        name=(audio.filename or "upload")[:100],
        max_seconds=studio.settings.limits.max_clip_seconds,
        home=studio.home,
    )
    studio.records.audit(user, "upload", clip.id, dataset=dataset_id, label=label)
    studio.dataset_changed(dataset_id, "recording_added", clip_id=clip.id)
    return RecordingPublic.model_validate(clip)


@router.post("/{dataset_id}/takes", status_code=HTTP_CREATED)
async def upload_take(
    dataset_id: str,
    studio: StudioDep,
    user: CurrentUser,
    audio: Annotated[UploadFile, File(description="WAV, FLAC or OGG; converted to 16 kHz mono.")],
    label: Annotated[str, Form()],
    speaker: Annotated[str, Form(max_length=200)] = "",
    notes: Annotated[str, Form(max_length=2000)] = "",
    min_pause_s: Annotated[float, Form(ge=0.05, le=5.0)] = TakeSplit().min_pause_s,
) -> list[RecordingPublic]:
    """Store a take as one clip per utterance (split on pauses of at least ``min_pause_s`` by a VAD);
    a take without speech, a background take or an utterance longer than a clip may last: 422, nothing
    stored."""
    data = await audio.read(studio.settings.limits.max_body_bytes + 1)
    limits = studio.settings.limits
    clips = await run_in_threadpool(
        api.add_take,
        data,
        dataset=dataset_id,
        label=label,
        speaker=speaker,
        notes=notes,
        name=(audio.filename or "take")[:100],
        split=TakeSplit(min_pause_s=min_pause_s),
        max_seconds=limits.max_take_seconds,
        max_clip_seconds=limits.max_clip_seconds,
        home=studio.home,
    )
    for clip in clips:
        studio.records.audit(user, "upload_take", clip.id, dataset=dataset_id, label=label, parts=len(clips))
        studio.dataset_changed(dataset_id, "recording_added", clip_id=clip.id)
    return [RecordingPublic.model_validate(clip) for clip in clips]


@router.post("/{dataset_id}/synthesize", status_code=HTTP_CREATED)
def synthesize(dataset_id: str, body: SynthConfig, studio: StudioDep, user: CurrentUser) -> JobCreated:
    """Queue a synthesis job (the body is a synthesis config: phrase, voices, counts…)."""
    spec = {"dataset_id": check_dataset(dataset_id), "synth": body.model_dump(mode="json")}
    job = studio.queue.submit("synthesize", spec, device=studio.settings.device, user=user)
    studio.records.audit(user, "synthesize", dataset_id, job_id=job.id)
    return JobCreated(job_id=job.id)
