"""``/api/deploy`` and ``/api/deploys``: put a model where it runs, list deploys, roll one back.

``POST /api/deploy``::

    {"model_id": "hey_katya-judge-20261201-120000",
     "targets": [{"kind": "judge", "url": "http://judge:10401", "token": "…", "name": "hey_katya"},
                 {"kind": "custom_wake_words", "folder": "/config/esphome/custom_wake_words"}]}

answers ``200`` with the deploy record: ``{id, model_id, state: succeeded|failed, targets (tokens
removed), results: [{target, ok, message, …}], user, rollback_of, created_at, finished_at}``. A failed
target undoes the ones already done; the Judge keeps serving its old model when it refuses a file.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from wakesmith.artifact import resolve_model_id
from wakesmith.events import Event
from wakesmith.server import deploy as deploying
from wakesmith.server.context import event_message
from wakesmith.server.deps import CurrentUser, StudioDep
from wakesmith.server.records import DeployRecord
from wakesmith.server.schemas import DeployCreate, DeployPublic, RollbackCreate

router = APIRouter(prefix="/api", tags=["deploys"])


def _announce(studio: StudioDep, record: DeployRecord) -> DeployPublic:
    public = DeployPublic.model_validate(record)
    event = Event("stage_finished", "deploy", message=record.state, data=public.model_dump(mode="json"))
    studio.hub.publish(event_message("deploy", event))
    return public


@router.post("/deploy")
async def deploy(body: DeployCreate, studio: StudioDep, user: CurrentUser) -> DeployPublic:
    artifact = resolve_model_id(body.model_id, studio.home)
    record = await run_in_threadpool(
        deploying.deploy, artifact, body.targets, settings=studio.settings, records=studio.records, user=user
    )
    studio.records.audit(user, "deploy", body.model_id, deploy_id=record.id, state=record.state)
    return _announce(studio, record)


@router.get("/deploys")
def list_deploys(studio: StudioDep) -> list[DeployPublic]:
    return [DeployPublic.model_validate(d) for d in studio.records.deploys()]


@router.get("/deploys/{deploy_id}")
def get_deploy(deploy_id: str, studio: StudioDep) -> DeployPublic:
    return DeployPublic.model_validate(studio.records.deploy(deploy_id))


@router.post("/deploys/{deploy_id}/rollback")
async def rollback(
    deploy_id: str, studio: StudioDep, user: CurrentUser, body: RollbackCreate | None = None
) -> DeployPublic:
    """Restore what each target had before the deploy; answers the rollback's own deploy record."""
    tokens = (body or RollbackCreate()).tokens
    record = await run_in_threadpool(deploying.rollback, deploy_id, tokens, records=studio.records, user=user)
    studio.records.audit(user, "rollback", deploy_id, rollback_id=record.id, state=record.state)
    return _announce(studio, record)
