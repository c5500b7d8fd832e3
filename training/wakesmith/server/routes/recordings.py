"""``/api/recordings``: list a dataset's clips, edit, soft-delete, restore, split into utterances, fetch
the audio."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from wakesmith import api
from wakesmith.config import TakeSplit
from wakesmith.server.deps import ClipId, CurrentUser, StudioDep
from wakesmith.server.schemas import RecordingPublic, RecordingUpdate

router = APIRouter(prefix="/api/recordings", tags=["recordings"])
HTTP_CREATED = 201


@router.get("")
def list_recordings(
    dataset: str,
    studio: StudioDep,
    label: str | None = None,
    split: str | None = None,
    include_deleted: bool = False,
) -> list[RecordingPublic]:
    """A dataset's clips, oldest first; ``include_deleted=true`` lists soft-deleted ones too (to restore)."""
    clips = api.list_clips(
        dataset, label=label, split=split, include_deleted=include_deleted, home=studio.home
    )
    return [RecordingPublic.model_validate(c) for c in clips]


@router.get("/{clip_id}")
def get_recording(clip_id: ClipId, studio: StudioDep) -> RecordingPublic:
    return RecordingPublic.model_validate(api.get_clip(clip_id, home=studio.home))


@router.patch("/{clip_id}")
def update_recording(
    clip_id: ClipId, body: RecordingUpdate, studio: StudioDep, user: CurrentUser
) -> RecordingPublic:
    before = api.get_clip(clip_id, home=studio.home)
    clip = api.edit_clip(clip_id, label=body.label, speaker=body.speaker, notes=body.notes, home=studio.home)
    changed = {k: v for k, v in body.model_dump(exclude_none=True).items() if getattr(before, k) != v}
    action = "relabel" if "label" in changed else "edit"
    studio.records.audit(
        user, action, clip_id, before={k: getattr(before, k) for k in changed}, after=changed
    )
    studio.dataset_changed(clip.dataset, action, clip_id=clip_id)
    return RecordingPublic.model_validate(clip)


@router.delete("/{clip_id}")
def delete_recording(clip_id: ClipId, studio: StudioDep, user: CurrentUser) -> RecordingPublic:
    """Soft delete: the clip leaves listings and training; ``POST …/restore`` brings it back."""
    clip = api.delete_clip(clip_id, home=studio.home)
    studio.records.audit(user, "delete", clip_id, dataset=clip.dataset)
    studio.dataset_changed(clip.dataset, "deleted", clip_id=clip_id)
    return RecordingPublic.model_validate(clip)


@router.post("/{clip_id}/restore")
def restore_recording(clip_id: ClipId, studio: StudioDep, user: CurrentUser) -> RecordingPublic:
    clip = api.restore_clip(clip_id, home=studio.home)
    studio.records.audit(user, "restore", clip_id, dataset=clip.dataset)
    studio.dataset_changed(clip.dataset, "restored", clip_id=clip_id)
    return RecordingPublic.model_validate(clip)


@router.post("/{clip_id}/split", status_code=HTTP_CREATED)
def split_recording(
    clip_id: ClipId, studio: StudioDep, user: CurrentUser, body: TakeSplit | None = None
) -> list[RecordingPublic]:
    """Cut a clip into its utterances (body: the split settings, all optional); the clip itself is
    soft-deleted (restorable). One utterance, none, or a background clip: 422, nothing changes."""
    parts = api.split_clip(
        clip_id, split=body, max_clip_seconds=studio.settings.limits.max_clip_seconds, home=studio.home
    )
    dataset = parts[0].dataset
    studio.records.audit(user, "split", clip_id, dataset=dataset, parts=[p.id for p in parts])
    studio.dataset_changed(dataset, "deleted", clip_id=clip_id)
    for part in parts:
        studio.dataset_changed(dataset, "recording_added", clip_id=part.id)
    return [RecordingPublic.model_validate(p) for p in parts]


@router.get("/{clip_id}/audio")
def recording_audio(clip_id: ClipId, studio: StudioDep) -> FileResponse:
    """The clip as stored: 16 kHz mono 16-bit WAV."""
    return FileResponse(
        api.clip_audio(clip_id, home=studio.home), media_type="audio/wav", filename=f"{clip_id}.wav"
    )
