"""``/api/models``: trained models, each one's report, metrics and plots, and its files as a download."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, StreamingResponse

from wakesmith import api
from wakesmith.artifact import read_current, resolve_model_id
from wakesmith.server.deps import StudioDep
from wakesmith.server.schemas import ModelDetail, ModelPublic

router = APIRouter(prefix="/api/models", tags=["models"])
PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "The plot as a PNG."}
}


@router.get("")
def list_models(studio: StudioDep) -> list[ModelPublic]:
    current = read_current(studio.home)
    out = []
    for art in api.list_models(home=studio.home):
        meta = art.metadata
        out.append(
            ModelPublic(
                id=art.model_id,
                role=meta.role,
                phrase=meta.phrase,
                dataset=meta.dataset,
                created=meta.created,
                current=current.get(meta.role) == art.model_id,
            )
        )
    return out


@router.get("/{model_id}")
def get_model(model_id: str, studio: StudioDep) -> ModelDetail:
    """Metadata (thresholds with the FA/h and recall they were measured at), the evaluation report."""
    art = resolve_model_id(model_id, studio.home)
    return ModelDetail.model_validate(api.model_details(art.path, home=studio.home))


@router.get("/{model_id}/download")
def download_model(model_id: str, studio: StudioDep) -> StreamingResponse:
    """The model folder as a zip (weights, ONNX, metadata, recipe, report, exports)."""
    art = resolve_model_id(model_id, studio.home)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(art.path.rglob("*")):
            if path.is_file():
                zf.write(path, f"{art.model_id}/{path.relative_to(art.path)}")
    buf.seek(0)
    headers = {"Content-Disposition": f'attachment; filename="{art.model_id}.zip"'}
    return StreamingResponse(buf, media_type="application/zip", headers=headers)


@router.get("/{model_id}/plots/{name}", response_class=FileResponse, responses=PNG)
def model_plot(model_id: str, name: str, studio: StudioDep) -> FileResponse:
    """An evaluation plot: ``det`` (DET curve), ``scores`` (score histograms) or ``confusion``."""
    art = resolve_model_id(model_id, studio.home)
    return FileResponse(api.model_plot(art.path, name, home=studio.home), media_type="image/png")
