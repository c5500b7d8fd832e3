"""``Annotated`` dependencies: the studio context and the user a request is recorded under.

Authentication happens before routing (:class:`wakesmith.server.guard.StudioGuard`); the guard leaves
the user in the request's state.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket

from wakesmith import api
from wakesmith.errors import DatasetError
from wakesmith.server.context import Studio

HTTP_NOT_FOUND = 404


def get_studio(request: Request) -> Studio:
    studio: Studio = request.app.state.studio
    return studio


def get_ws_studio(websocket: WebSocket) -> Studio:
    studio: Studio = websocket.app.state.studio
    return studio


def current_user(request: Request) -> str:
    return str(getattr(request.state, "user", "") or "")


StudioDep = Annotated[Studio, Depends(get_studio)]
WsStudioDep = Annotated[Studio, Depends(get_ws_studio)]
CurrentUser = Annotated[str, Depends(current_user)]


def known_clip(clip_id: str, studio: StudioDep) -> str:
    """The clip id of the path, or 404 when there is no such clip."""
    try:
        api.get_clip(clip_id, home=studio.home)
    except DatasetError as exc:
        raise HTTPException(HTTP_NOT_FOUND, str(exc)) from None
    return clip_id


ClipId = Annotated[str, Depends(known_clip)]
