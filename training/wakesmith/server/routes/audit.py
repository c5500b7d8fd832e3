"""``GET /api/audit``: who deleted, relabelled, restored, trained, deployed or rolled back what."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from wakesmith.server.deps import StudioDep
from wakesmith.server.schemas import AuditPublic

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("")
def audit_log(
    studio: StudioDep, action: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[AuditPublic]:
    """Newest first."""
    return [AuditPublic.model_validate(r) for r in studio.records.audit_log(action=action, limit=limit)]
