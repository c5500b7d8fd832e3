"""``/api/datasets/{id}/satellite-recordings``: clips recorded by an ESPHome satellite's own microphone."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from wakesmith import api
from wakesmith.satellite.record import SatelliteTake
from wakesmith.server.deps import CurrentUser, StudioDep
from wakesmith.server.schemas import RecordingPublic

router = APIRouter(prefix="/api/datasets", tags=["recordings"])
HTTP_CREATED = 201


class SatelliteRecordingCreate(SatelliteTake):
    """``{host, port?, noise_psk?, password?, seconds?, takes?, prompt_url?, label, speaker?, notes?}``."""

    label: str = Field(min_length=1, max_length=20)
    speaker: str = Field(default="", max_length=200)
    """Empty: the device's name."""
    notes: str = Field(default="", max_length=2000)

    def take(self) -> SatelliteTake:
        return SatelliteTake.model_validate(self.model_dump(include=set(SatelliteTake.model_fields)))


@router.post("/{dataset_id}/satellite-recordings", status_code=HTTP_CREATED)
async def record_from_satellite(
    dataset_id: str, body: SatelliteRecordingCreate, studio: StudioDep, user: CurrentUser
) -> list[RecordingPublic]:
    """Record ``takes`` clips from the satellite and store each (source ``satellite``); a device that
    cannot be reached, refuses the key or password, or streams nothing: 422 saying what to do."""
    clips = await run_in_threadpool(
        api.record_satellite_clips,
        body.take(),
        dataset=dataset_id,
        label=body.label,
        speaker=body.speaker,
        notes=body.notes,
        max_seconds=studio.settings.limits.max_clip_seconds,
        home=studio.home,
    )
    for clip in clips:
        studio.records.audit(
            user, "satellite_recording", clip.id, dataset=dataset_id, label=body.label, host=body.host
        )
        studio.dataset_changed(dataset_id, "recording_added", clip_id=clip.id)
    return [RecordingPublic.model_validate(clip) for clip in clips]
