"""The Python API: one function per user action.

The CLI (``wakesmith.cli``), the job runner and the web server are adapters over these functions:
they map flags or JSON onto the typed configs and hold no logic of their own.

>>> from wakesmith import api
>>> summary = api.quickstart("hey katya")          # doctest: +SKIP
>>> api.detect("sentry", "kitchen.wav")             # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wakesmith.artifact import Artifact, ModelMetadata, resolve_artifact, set_current
from wakesmith.config import Recipe, SynthConfig, load_recipe, slugify
from wakesmith.events import Emitter
from wakesmith.home import Home

if TYPE_CHECKING:
    from wakesmith.data.store import ClipStore
    from wakesmith.evaluate.report import EvalReport
    from wakesmith.runtime.detector import Detection

log = logging.getLogger(__name__)


def _home(home: Home | Path | str | None) -> Home:
    return (home if isinstance(home, Home) else Home.resolve(home)).ensure()


def _emitter(emitter: Emitter | None) -> Emitter:
    return emitter or Emitter()


def open_store(home: Home | Path | str | None = None) -> ClipStore:
    from wakesmith.data.store import ClipStore

    return ClipStore(_home(home))


# ----------------------------------------------------------------------------- data


def synthesize(
    cfg: SynthConfig,
    *,
    dataset: str | None = None,
    home: Home | Path | str | None = None,
    emitter: Emitter | None = None,
) -> Any:
    """Synthesize positives, phonetic confusables, negative speech and backgrounds into the store."""
    from wakesmith.synth.ingest import synthesize_into_store

    h = _home(home)
    return synthesize_into_store(cfg, open_store(h), h, dataset or slugify(cfg.phrase), _emitter(emitter))


def import_captures(
    folder: Path, *, dataset: str, include_accepted: bool = False, home: Home | Path | str | None = None
) -> Any:
    """Import a Judge capture folder: rejected triggers as ``hard_negative`` clips (accepted ones as
    ``positive`` with ``include_accepted``), then re-split."""
    from wakesmith.data.captures import import_captures as _import

    store = open_store(home)
    report = _import(store, Path(folder), dataset, include_accepted=include_accepted)
    store.assign_splits(dataset)
    return report


def scan(folder: Path, *, dataset: str, home: Home | Path | str | None = None) -> Any:
    """Import a folder of audio; labels come from folder names (positive/, negative/…)."""
    store = open_store(home)
    report = store.scan(Path(folder), dataset=dataset)
    store.assign_splits(dataset)
    return report


def import_jsonl(path: Path, *, dataset: str | None = None, home: Home | Path | str | None = None) -> int:
    store = open_store(home)
    n = store.import_jsonl(Path(path), dataset=dataset)
    for name in store.datasets():
        store.assign_splits(name)
    return n


def export_jsonl(dataset: str, path: Path, *, home: Home | Path | str | None = None) -> int:
    return open_store(home).export_jsonl(dataset, Path(path))


def list_clips(
    dataset: str, *, split: str | None = None, label: str | None = None, home: Home | Path | str | None = None
) -> list[Any]:
    return open_store(home).clips(dataset, split=split, label=label)


def health(dataset: str, *, home: Home | Path | str | None = None) -> Any:
    return open_store(home).health(dataset)


def split(dataset: str, *, home: Home | Path | str | None = None) -> dict[str, int]:
    return open_store(home).assign_splits(dataset)


# ----------------------------------------------------------------------------- models


@dataclass
class TrainSummary:
    artifact: Artifact
    metadata: ModelMetadata
    run_dir: Path
    best_score: float
    samples_per_second: float
    resumed_from_step: int
    history: list[dict[str, Any]] = field(default_factory=list)


def train(
    recipe: Recipe | str | Path,
    *,
    overrides: list[str] | None = None,
    home: Home | Path | str | None = None,
    emitter: Emitter | None = None,
) -> TrainSummary:
    """Train a model from a recipe (preset name or YAML path) and save it as an artifact with its ONNX file.

    The artifact's thresholds are calibrated by :func:`evaluate`.
    """
    from wakesmith.train.artifacts import save_trained
    from wakesmith.train.fit import fit

    h = _home(home)
    rec = recipe if isinstance(recipe, Recipe) else load_recipe(recipe, overrides)
    em = _emitter(emitter)
    store = open_store(h)
    result = fit(rec, store, h, em)
    artifact, meta = save_trained(rec, result, store, h, em)
    return TrainSummary(
        artifact,
        meta,
        result.run_dir,
        result.best_score,
        result.samples_per_second,
        result.resumed_from_step,
        result.history,
    )


def evaluate(
    model: str | Path,
    *,
    home: Home | Path | str | None = None,
    emitter: Emitter | None = None,
    calibrate: bool = True,
) -> EvalReport:
    """Measure the exported file through the streaming runtime; calibrate and store its thresholds."""
    from wakesmith.evaluate.runner import evaluate_artifact

    h = _home(home)
    return evaluate_artifact(
        resolve_artifact(model, h), open_store(h), h, _emitter(emitter), calibrate=calibrate
    )


def export(
    model: str | Path,
    fmt: str = "onnx",
    *,
    out: Path | None = None,
    home: Home | Path | str | None = None,
    **options: Any,
) -> Path:
    """Export a trained artifact in a format from the export table (``wakesmith export --list``)."""
    from wakesmith.export.artifact import export_artifact

    return export_artifact(resolve_artifact(model, _home(home)), fmt, out=out, **options)


def detect(
    model: str | Path, audio: Path, *, preset: str = "default", home: Home | Path | str | None = None
) -> list[Detection]:
    """Run the streaming detector over a WAV file; returns detections with timestamps and scores."""
    from wakesmith.runtime.files import detect_file

    return detect_file(resolve_artifact(model, _home(home)), Path(audio), preset=preset)


def bless(model: str | Path, *, home: Home | Path | str | None = None) -> Artifact:
    """Make a model the current one for its role."""
    h = _home(home)
    art = resolve_artifact(model, h)
    set_current(h, art.metadata.role, art.model_id)
    return art


# ----------------------------------------------------------------------------- the main job


def quickstart(
    phrase: str,
    *,
    synth: SynthConfig | None = None,
    sentry: str | Path = "sentry",
    judge: str | Path = "judge",
    overrides: list[str] | None = None,
    skip_judge: bool = False,
    home: Home | Path | str | None = None,
    emitter: Emitter | None = None,
) -> Any:
    """From a typed phrase to calibrated sentry and judge models: synthesize → train → evaluate → bless."""
    from wakesmith.quickstart import run_quickstart

    return run_quickstart(
        phrase,
        synth=synth,
        recipes=[sentry] if skip_judge else [sentry, judge],
        overrides=overrides or [],
        home=_home(home),
        emitter=_emitter(emitter),
    )
