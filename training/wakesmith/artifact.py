"""Model artifacts: one folder per trained model that carries its whole contract.

```
<home>/models/<model_id>/
    metadata.json      # ModelMetadata: role, phrase, audio, features, model, detector, thresholds, provenance
    recipe.yaml        # the full recipe it was trained with
    model.pt           # torch weights (state_dict) — absent in runtime-only installs is fine
    model.onnx         # the exported, calibrated file evaluation measured (metadata embedded)
    report.json, *.png # evaluation report and plots
    licences.json      # data and voices used, with their licences
<home>/models/current.json   # {"sentry": "<model_id>", "judge": "<model_id>"}: the blessed models
```
No loader needs knowledge that lives outside the artifact.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from wakesmith.config import Recipe, slugify
from wakesmith.errors import ArtifactError
from wakesmith.fsio import atomic_write_bytes, atomic_write_json, atomic_write_text
from wakesmith.home import Home
from wakesmith.metadata import ONNX_METADATA_KEY, AudioSpec, ModelMetadata, Threshold, embed_in_onnx

__all__ = [
    "PLOT_FILES",
    "Artifact",
    "AudioSpec",
    "ModelMetadata",
    "Threshold",
    "list_artifacts",
    "new_model_id",
    "read_current",
    "resolve_artifact",
    "set_current",
]

METADATA_FILE = "metadata.json"
ONNX_FILE = "model.onnx"
CURRENT_FILE = "current.json"
PLOT_FILES = {"det": "det.png", "scores": "scores.png", "confusion": "confusion.png"}
"""The evaluation's plots by name: the files :mod:`wakesmith.evaluate.plots` writes into the folder."""


def new_model_id(recipe: Recipe) -> str:
    return f"{slugify(recipe.phrase)}-{recipe.role}-{time.strftime('%Y%m%d-%H%M%S')}"


class Artifact:
    """A model folder on disk."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # -- well-known files
    @property
    def metadata_path(self) -> Path:
        return self.path / METADATA_FILE

    @property
    def weights_path(self) -> Path:
        return self.path / "model.pt"

    @property
    def onnx_path(self) -> Path:
        return self.path / ONNX_FILE

    @property
    def recipe_path(self) -> Path:
        return self.path / "recipe.yaml"

    def plots(self) -> dict[str, Path]:
        """The evaluation plots the folder has, by name (see :data:`PLOT_FILES`); none until evaluated."""
        found = {name: self.path / file for name, file in PLOT_FILES.items()}
        return {name: path for name, path in found.items() if path.is_file()}

    @property
    def model_id(self) -> str:
        return self.path.name

    @property
    def home(self) -> Home:
        """The data home the artifact lives in (``<home>/models/<model_id>``): where it was trained."""
        return Home.resolve(self.path.resolve().parent.parent)

    def exists(self) -> bool:
        return self.metadata_path.is_file()

    @property
    def metadata(self) -> ModelMetadata:
        if not self.metadata_path.is_file():
            raise ArtifactError(
                f"{self.path} is not a wakesmith model (no {METADATA_FILE}). "
                "Pass a model folder from `wakesmith models` or its id."
            )
        return ModelMetadata.from_json(self.metadata_path.read_text(), source=str(self.metadata_path))

    def save_metadata(self, meta: ModelMetadata) -> None:
        """Write ``metadata.json`` (the file whose presence makes the folder a model)."""
        atomic_write_json(self.metadata_path, meta.model_dump(mode="json"))

    def update_metadata(self, meta: ModelMetadata) -> None:
        """Replace the metadata everywhere the folder keeps it (after calibration, say): the copy
        embedded in ``model.onnx`` (its graph untouched, so its scores stay the ones measured), then
        ``metadata.json``. Needs the ``onnx`` package (the train extra)."""
        if self.onnx_path.is_file():
            import onnx

            proto = onnx.load(str(self.onnx_path))
            if not any(p.key == ONNX_METADATA_KEY for p in proto.metadata_props):
                raise ArtifactError(
                    f"{self.onnx_path} was not exported by wakesmith (no {ONNX_METADATA_KEY!r} metadata); "
                    "re-export it."
                )
            embed_in_onnx(proto, meta)
            atomic_write_bytes(self.onnx_path, proto.SerializeToString())
        self.save_metadata(meta)

    def save_recipe(self, recipe: Recipe) -> None:
        atomic_write_text(self.recipe_path, recipe.to_yaml())

    def recipe(self) -> Recipe:
        from wakesmith.config import load_recipe

        return load_recipe(self.recipe_path)


def resolve_artifact(ref: str | Path, home: Home | None = None) -> Artifact:
    """A model folder path, a model id under the home, or ``current:<role>`` / a bare role name."""
    home = home or Home.resolve()
    p = Path(ref)
    if p.is_dir():
        return Artifact(p)
    ref = str(ref)
    role = ref.split(":", 1)[1] if ref.startswith("current:") else ref
    if role in ("sentry", "judge"):
        current = read_current(home)
        if role not in current:
            raise ArtifactError(f"No current {role} model yet: train one with `wakesmith quickstart`.")
        return Artifact(home.models / current[role])
    candidate = home.models / ref
    if candidate.is_dir():
        return Artifact(candidate)
    raise ArtifactError(
        f"No model {ref!r}: give a model folder, a model id from `wakesmith models`, or 'sentry'/'judge'."
    )


MODEL_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""What a model id looks like: a folder name under ``models/`` (no separators, not ``.`` or ``..``)."""


def resolve_model_id(ref: str, home: Home) -> Artifact:
    """A model named by id (or ``sentry``/``judge``/``current:<role>``) under ``home`` — never a path.

    What a network caller may name: :func:`resolve_artifact` also takes folder paths (for the CLI),
    so ``.`` or ``/etc`` would name folders outside the home."""
    if ref in ("sentry", "judge") or ref in ("current:sentry", "current:judge"):
        return resolve_artifact(ref, home)
    candidate = home.models / ref
    if not MODEL_ID_PATTERN.fullmatch(ref) or not (candidate / METADATA_FILE).is_file():
        raise ArtifactError(
            f"No model {ref!r}: give a model id from `wakesmith models`, or 'sentry'/'judge'."
        )
    return Artifact(candidate)


def read_current(home: Home) -> dict[str, str]:
    path = home.models / CURRENT_FILE
    if not path.is_file():
        return {}
    data: dict[str, str] = json.loads(path.read_text())
    return data


def set_current(home: Home, role: str, model_id: str) -> None:
    current = read_current(home)
    current[role] = model_id
    atomic_write_json(home.models / CURRENT_FILE, current)


def list_artifacts(home: Home) -> list[Artifact]:
    if not home.models.is_dir():
        return []
    return sorted(
        (Artifact(p) for p in home.models.iterdir() if (p / METADATA_FILE).is_file()),
        key=lambda a: a.path.name,
    )


# ----------------------------------------------------------------------------- licences

LICENCES_FILE = "licences.json"


class LicensedClip(Protocol):
    """What the licence manifest reads of a clip (a :class:`wakesmith.data.schema.Clip` row)."""

    @property
    def source(self) -> str: ...

    def meta_dict(self) -> dict[str, Any]: ...


def write_licences(
    path: Path,
    dataset: str,
    clips: Iterable[LicensedClip],
    components: Iterable[dict[str, str]] = (),
) -> list[dict[str, Any]]:
    """Write an artifact's licence manifest: one entry per distinct voice/source licence of the clips
    it was trained on, with clip counts, most used first, and the pretrained ``components`` the model
    runs (a front end's network, with its licence). Returns the entries."""
    entries: dict[str, dict[str, Any]] = {}
    for clip in clips:
        meta = clip.meta_dict()
        licence = {
            "source": clip.source,
            "engine": meta.get("engine", ""),
            "engine_version": meta.get("engine_version", ""),
            "voice": meta.get("voice", ""),
            "licence": meta.get("licence") or "user-provided",
        }
        key = json.dumps(licence, sort_keys=True)
        entry = entries.setdefault(key, {**licence, "clips": 0})
        entry["clips"] += 1
    manifest = sorted(entries.values(), key=lambda e: -int(e["clips"]))
    atomic_write_json(path, {"dataset": dataset, "entries": manifest, "components": list(components)})
    return manifest
