"""Turn a finished training into a model artifact: its metadata, weights, recipe and licences.

The ONNX file and ``metadata.json`` come after (:func:`wakesmith.api.train`): the ONNX export is the
export stage's, and ``metadata.json`` is written last, so a folder without it is an interrupted save
and is never listed as a model.
"""

from __future__ import annotations

import torch

from wakesmith.artifact import LICENCES_FILE, Artifact, ModelMetadata, new_model_id, write_licences
from wakesmith.config import SAMPLE_RATE, Recipe
from wakesmith.data.store import ClipStore
from wakesmith.features import create_frontend
from wakesmith.fsio import atomic_path
from wakesmith.home import Home
from wakesmith.models import WakeModel
from wakesmith.train.fit import FitResult

STAGE = "save"


def describe(model: WakeModel, recipe: Recipe, model_id: str, *, lineage: str) -> ModelMetadata:
    """The metadata every export embeds and every runtime reads."""
    frontend = create_frontend(recipe.features)
    window_samples = round(recipe.train.clip_seconds * SAMPLE_RATE)
    streaming = bool(model.streaming)
    state_shapes = [list(s.shape) for s in model.initial_state(1)] if streaming else []
    return ModelMetadata(
        model_id=model_id,
        role=recipe.role,
        phrase=recipe.phrase,
        language=recipe.language,
        features=recipe.features,
        model=recipe.model,
        streaming=streaming,
        stride=int(model.stride),
        window_frames=None if streaming else frontend.num_frames(window_samples),
        state_shapes=state_shapes,
        detector=recipe.detector,
        parameters=sum(p.numel() for p in model.parameters()),
        recipe_digest=recipe.digest(),
        dataset=recipe.dataset_name,
        dataset_lineage=lineage,
    )


def save_trained(
    recipe: Recipe, result: FitResult, store: ClipStore, home: Home
) -> tuple[Artifact, ModelMetadata]:
    """Write the artifact folder's weights, recipe and licences (atomically), not yet ``metadata.json``."""
    model_id = new_model_id(recipe)
    artifact = Artifact(home.models / model_id)
    artifact.path.mkdir(parents=True, exist_ok=False)
    meta = describe(result.model, recipe, model_id, lineage=store.lineage_hash(recipe.dataset_name))

    with atomic_path(artifact.weights_path) as tmp:
        torch.save({"state_dict": result.model.state_dict(), "metadata": meta.model_dump(mode="json")}, tmp)
    artifact.save_recipe(recipe)
    write_licences(
        artifact.path / LICENCES_FILE,
        recipe.dataset_name,
        store.clips(recipe.dataset_name),
        components=create_frontend(recipe.features).licences,
    )
    return artifact, meta
