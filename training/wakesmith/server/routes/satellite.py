"""``/api/datasets/{id}/satellite-recordings``: clips recorded by an ESPHome satellite's own microphone,
in a session that outlives the request (:mod:`wakesmith.server.satellite_sessions`);
``/api/satellite-recordings/{id}``: where a session stands."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from wakesmith.satellite.record import SatelliteTake
from wakesmith.server.deps import CurrentUser, StudioDep
from wakesmith.server.satellite_sessions import SatelliteSession
from wakesmith.server.schemas import RecordingPublic

router = APIRouter(tags=["recordings"])
HTTP_ACCEPTED = 202


class SatelliteRecordingCreate(SatelliteTake):
    """``{host, port?, noise_psk?, password?, seconds?, takes?, prompt_url?, label, speaker?, notes?}``."""

    label: str = Field(min_length=1, max_length=20)
    speaker: str = Field(default="", max_length=200)
    """Empty: the device's name."""
    notes: str = Field(default="", max_length=2000)

    def take(self) -> SatelliteTake:
        return SatelliteTake.model_validate(self.model_dump(include=set(SatelliteTake.model_fields)))


class SatelliteSessionPublic(BaseModel):
    """A satellite recording: ``state`` connecting → recording → succeeded | failed; ``waiting_for`` the
    take waiting for the device to start; ``done`` takes recorded; ``clips`` stored so far."""

    id: str
    dataset: str
    host: str
    device: str
    label: str
    takes: int
    state: Literal["connecting", "recording", "succeeded", "failed"]
    waiting_for: int | None
    done: int
    clips: list[RecordingPublic]
    error: str

    @classmethod
    def of(cls, s: SatelliteSession) -> SatelliteSessionPublic:
        return cls(
            id=s.id,
            dataset=s.dataset,
            host=s.host,
            device=s.device,
            label=s.label,
            takes=s.takes,
            state=s.state,
            waiting_for=s.waiting_for,
            done=s.done,
            clips=[RecordingPublic.model_validate(c) for c in s.clips],
            error=s.error,
        )


@router.post("/api/datasets/{dataset_id}/satellite-recordings", status_code=HTTP_ACCEPTED)
async def record_from_satellite(
    dataset_id: str, body: SatelliteRecordingCreate, studio: StudioDep, user: CurrentUser
) -> SatelliteSessionPublic:
    """Connect to the satellite and start recording ``takes`` clips (source ``satellite``), each stored
    as it arrives; follow it with ``GET /api/satellite-recordings/{id}``. A bad request, or a device
    that cannot be reached, refuses the key or password or has no voice assistant: 422 saying what to
    do, nothing started. A take that fails later ends the session as ``failed`` with the reason."""

    def stored(session: SatelliteSession, clip: Any) -> None:
        clip_id = clip.id
        studio.records.audit(
            user, "satellite_recording", clip_id, dataset=dataset_id, label=body.label, host=body.host
        )
        studio.dataset_changed(dataset_id, "recording_added", clip_id=clip_id, satellite_session=session.id)

    session = await run_in_threadpool(
        studio.satellite.start,
        body.take(),
        dataset=dataset_id,
        label=body.label,
        speaker=body.speaker,
        notes=body.notes,
        user=user,
        max_seconds=studio.settings.limits.max_clip_seconds,
        home=studio.home,
        stored=stored,
    )
    return SatelliteSessionPublic.of(session)


@router.get("/api/satellite-recordings/{session_id}")
def satellite_recording(session_id: str, studio: StudioDep) -> SatelliteSessionPublic:
    return SatelliteSessionPublic.of(studio.satellite.get(session_id))
