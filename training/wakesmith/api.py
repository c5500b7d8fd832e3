"""The Python API: one function per user action.

The CLI (``wakesmith.cli``), the job runner and the web server are adapters over these functions:
they map flags or JSON onto the typed configs and hold no logic of their own.

>>> from wakesmith import api
>>> summary = api.quickstart("hey katya")          # doctest: +SKIP
>>> api.detect("sentry", "kitchen.wav")             # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wakesmith.artifact import (
    PLOT_FILES,
    Artifact,
    ModelMetadata,
    read_current,
    resolve_artifact,
    set_current,
)
from wakesmith.config import Recipe, SynthConfig, TakeSplit, load_recipe, slugify
from wakesmith.events import Emitter
from wakesmith.home import Home

if TYPE_CHECKING:
    from wakesmith.config import DetectorConfig
    from wakesmith.data.store import ClipStore
    from wakesmith.evaluate.cascade import CascadeReport
    from wakesmith.evaluate.report import EvalReport
    from wakesmith.export.formats import ExportFormat
    from wakesmith.mine import MineReport
    from wakesmith.quickstart import QuickstartSummary
    from wakesmith.runtime.detector import Detection
    from wakesmith.runtime.scorers import Scorer
    from wakesmith.satellite import SatelliteConfig, SatelliteReport, TriggerVerdict
    from wakesmith.satellite.record import SatelliteRecording, SatelliteTake
    from wakesmith.tune import TuneConfig, TuneSummary

log = logging.getLogger(__name__)


def _home(home: Home | Path | str | None) -> Home:
    return (home if isinstance(home, Home) else Home.resolve(home)).ensure()


def _emitter(emitter: Emitter | None) -> Emitter:
    return emitter or Emitter()


_KEPT_STORES: weakref.WeakValueDictionary[Path, ClipStore] = weakref.WeakValueDictionary()
"""Stores held open by :func:`keep_store`, by resolved home root; a store whose holder is gone (a
studio app collected) drops out."""


def open_store(home: Home | Path | str | None = None) -> ClipStore:
    """The home's clip store: the one :func:`keep_store` holds open, else a new one (reconciled on open)."""
    from wakesmith.data.store import ClipStore

    h = _home(home)
    return _KEPT_STORES.get(h.root.resolve()) or ClipStore(h)


def keep_store(home: Home | Path | str | None = None) -> ClipStore:
    """Open the home's store once and let every later call on that home in this process use it while
    the caller holds the returned store (or until :func:`release_store`). The studio server does this:
    one store reconciled at start instead of a new engine and a reconcile pass per request. Other
    processes (job workers) keep their own."""
    h = _home(home)
    root = h.root.resolve()
    store = _KEPT_STORES.get(root)
    if store is None:
        store = _KEPT_STORES[root] = open_store(h)
    return store


def release_store(home: Home | Path | str | None = None) -> None:
    """Close the store :func:`keep_store` holds for the home (nothing happens when none is held)."""
    store = _KEPT_STORES.pop(_home(home).root.resolve(), None)
    if store is not None:
        store.close()


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
    dataset: str,
    *,
    split: str | None = None,
    label: str | None = None,
    include_deleted: bool = False,
    home: Home | Path | str | None = None,
) -> list[Any]:
    """Clips of a dataset in the order they were added; soft-deleted ones only if ``include_deleted``."""
    return open_store(home).clips(dataset, split=split, label=label, include_deleted=include_deleted)


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
    from wakesmith.evaluate.sets import check_unseen_held_out
    from wakesmith.export.onnx import export_onnx
    from wakesmith.train.artifacts import STAGE as SAVE_STAGE
    from wakesmith.train.artifacts import save_trained
    from wakesmith.train.fit import fit

    h = _home(home)
    rec = recipe if isinstance(recipe, Recipe) else load_recipe(recipe, overrides)
    em = _emitter(emitter)
    _check_size_target(rec, em)
    store = open_store(h)
    check_unseen_held_out(store, rec)  # before training, not after: evaluation would refuse the model
    result = fit(rec, store, h, em)
    artifact, meta = save_trained(rec, result, store, h)
    export_onnx(result.model, meta, artifact.onnx_path)  # the file evaluation measures
    artifact.save_metadata(meta)  # last: only now is the folder a model
    em.saved(SAVE_STAGE, str(artifact.path))
    return TrainSummary(
        artifact,
        meta,
        result.run_dir,
        result.best_score,
        result.samples_per_second,
        result.resumed_from_step,
        result.history,
    )


def _check_size_target(recipe: Recipe, emitter: Emitter) -> None:
    """Warn before training when the architecture will not fit ``size_target`` (needs the edge extra)."""
    target = recipe.size_target
    if target.max_flash_kb is None and target.max_arena_kb is None:
        return
    from wakesmith.quantize.footprint import size_target_warning
    from wakesmith.train.fit import STAGE as TRAIN_STAGE
    from wakesmith.train.fit import build_model

    if (message := size_target_warning(build_model(recipe), target)) is not None:
        emitter.warning(TRAIN_STAGE, message)


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


def evaluate_cascade(
    sentry: str | Path = "sentry",
    judge: str | Path = "judge",
    *,
    home: Home | Path | str | None = None,
    emitter: Emitter | None = None,
    ship: bool = True,
) -> CascadeReport:
    """Evaluate sentry → trigger buffer → Judge as one system, as a satellite with the gate runs it.

    The sentry runs as shipped: its INT8 ESPHome export in pymicro-wakeword at the manifest's cutoff
    when the edge extra is installed (exported now if the artifact has none), else its float ONNX at
    its calibrated default (the report's ``sentry_runtime`` says which). The Judge's trigger
    thresholds are calibrated for the cascade on validation speakers and stored in the judge artifact
    (``cascade_thresholds``); the report is saved beside them (``cascade.json``). ``ship=False`` measures
    without changing the judge (the report goes to ``cascade-<sentry id>.json``): for a sentry that is
    not the one deployed beside it.
    """
    from wakesmith.evaluate.cascade import run_cascade

    h, em = _home(home), _emitter(emitter)
    sentry_art, judge_art = resolve_artifact(sentry, h), resolve_artifact(judge, h)
    scorer, label, cfg = _shipped_sentry(sentry_art, em)
    return run_cascade(sentry_art, judge_art, open_store(h), h, em, sentry=(scorer, label, cfg), ship=ship)


def cascade_pair(
    model: str | Path, *, home: Home | Path | str | None = None
) -> tuple[Artifact, Artifact] | None:
    """(sentry, judge) for a cascade with ``model``: ``model`` and the current model of the other role,
    if there is one trained on the same dataset; else None."""
    h = _home(home)
    art = resolve_artifact(model, h)
    other = "judge" if art.metadata.role == "sentry" else "sentry"
    if other not in read_current(h):
        return None
    partner = resolve_artifact(other, h)
    if partner.metadata.dataset != art.metadata.dataset:
        return None
    return (art, partner) if other == "judge" else (partner, art)


CASCADE_PRESET = "cascade"
"""The sentry preset for running in front of a Judge (the sentry recipe's ``eval.presets``); without
it the cascade runs the sentry at its ``default``."""


def _shipped_sentry(artifact: Artifact, emitter: Emitter) -> tuple[Scorer, str, DetectorConfig]:
    """The sentry as a satellite with the gate runs it: at its ``cascade`` preset's cutoff if it was
    calibrated for one (``<stem>.cascade.json``), else at the default manifest's."""
    from wakesmith.errors import ToolMissingError
    from wakesmith.runtime import OnnxBackend, make_scorer

    meta = artifact.metadata
    try:
        from wakesmith.export.esphome import esphome_detector
        from wakesmith.runtime.pymicro import MicroWakeWordScorer

        folder = artifact.path / "esphome"
        made = sorted(folder.glob("*.presets.json"))  # one per export: <stem>.presets.json
        manifest = (
            folder / f"{made[0].name.removesuffix('.presets.json')}.json"
            if made
            else export(artifact.path, "esphome", out=folder, home=artifact.home, emitter=emitter)
        )
        cascade = manifest.with_name(f"{manifest.stem}.{CASCADE_PRESET}.json")
        if cascade.is_file():
            manifest = cascade
        spec = json.loads(manifest.read_text())
        scorer: Scorer = MicroWakeWordScorer(manifest.with_name(spec["model"]), spec["wake_word"])
        micro = spec["micro"]
        rule = esphome_detector(int(micro["sliding_window_size"]))  # ESPHome's: sliding mean, refractory
        cfg = rule.model_copy(update={"threshold": float(micro["probability_cutoff"])})
        return scorer, f"int8 (pymicro-wakeword), {manifest.name}", cfg
    except (ToolMissingError, ImportError) as exc:
        emitter.warning("cascade", f"cascade: the float ONNX sentry stands in for the INT8 file ({exc})")
    preset = CASCADE_PRESET if any(t.name == CASCADE_PRESET for t in meta.thresholds) else "default"
    cfg = meta.detector.model_copy(update={"threshold": meta.threshold(preset)})
    label = f"float ONNX at its {preset} threshold (edge extra not installed)"
    return make_scorer(OnnxBackend.load(artifact.onnx_path)), label, cfg


def mine(
    model: str | Path,
    *,
    hours: float = 2.0,
    preset: str = "default",
    threshold: float | None = None,
    max_clips: int = 500,
    home: Home | Path | str | None = None,
    emitter: Emitter | None = None,
) -> MineReport:
    """Closed-loop hard-negative mining: run an evaluated model over ``hours`` of the train split's
    ordinary negative speech and add each false accept to the train split as a ``hard_negative`` clip.

    The model is scored as :func:`evaluate` scores a stream (its ONNX file, streaming, the detector
    at its calibrated ``preset`` threshold, or at ``threshold``); the ``max_clips`` highest-scoring
    false accepts are kept, and ones mined before are not added again. :func:`train` with the same
    recipe (``report.recipe``) then trains on them: the dataset's lineage changed, so it is a new run.
    See :mod:`wakesmith.mine`.
    """
    from wakesmith.config import validate
    from wakesmith.mine import MineConfig, mine_hard_negatives

    h = _home(home)
    cfg = validate(
        MineConfig,
        {"hours": hours, "preset": preset, "threshold": threshold, "max_clips": max_clips},
        "mining settings",
    )
    return mine_hard_negatives(resolve_artifact(model, h), open_store(h), h, cfg, _emitter(emitter))


def tune(
    cfg: TuneConfig,
    *,
    resume: bool = False,
    home: Home | Path | str | None = None,
    emitter: Emitter | None = None,
) -> TuneSummary:
    """Multi-objective hyperparameter search (Optuna NSGA-II): each trial trains the recipe with the
    trial's values (:func:`train`) and is scored by validation recall at the FA/h budget (up) and
    parameters (down).
    ``resume`` continues the study ``cfg.study`` until it holds ``cfg.trials`` completed trials; the
    trial table ``<home>/tune/<study>/trials.csv`` is editable (rows without a trial number are run
    next). See :mod:`wakesmith.tune`."""
    from wakesmith.tune import TrialOutcome, recall_of, run_study

    h = _home(home)
    em = _emitter(emitter)

    def train_trial(overrides: list[str]) -> TrialOutcome:
        summary = train(cfg.recipe, overrides=overrides, home=h, emitter=em)
        recall = recall_of(summary.history, summary.best_score)
        return TrialOutcome(recall, int(summary.metadata.parameters or 0), summary.artifact.model_id)

    return run_study(cfg, h, train_trial, em, resume=resume)


def export(
    model: str | Path,
    fmt: str = "onnx",
    *,
    out: Path | None = None,
    calibrate: bool = True,
    home: Home | Path | str | None = None,
    emitter: Emitter | None = None,
    **options: Any,
) -> Path:
    """Export a trained artifact in a format from the export table (:func:`export_formats`).

    ``out``: a file with the format's suffix, or a folder. Formats that quantize get representative
    features from the artifact's train split; formats that calibrate (``esphome``) get the validation
    audio :func:`evaluate` calibrates on, unless ``calibrate`` is False (then the artifact's float-model
    thresholds are used). Both come from the data home the model was trained in.
    """
    from wakesmith.export.artifact import export_artifact, exportable

    artifact = resolve_artifact(model, _home(home))
    em = _emitter(emitter)
    spec = exportable(artifact, fmt)
    if spec.accepts("features") and "features" not in options:
        from wakesmith.quantize.calibration import representative_features

        options["features"] = representative_features(open_store(artifact.home), artifact.recipe())
    if calibrate and spec.accepts("calibration") and "calibration" not in options:
        from wakesmith.evaluate.calibration import calibration_audio

        trained_in = artifact.home
        options["calibration"] = calibration_audio(open_store(trained_in), artifact.recipe(), trained_in, em)
    return export_artifact(artifact, fmt, out=out, emitter=em, **options)


def export_formats() -> list[ExportFormat]:
    """The export format table: name, suffix, options and description of every format."""
    from wakesmith.export import format_table

    return format_table()


def detect(
    model: str | Path, audio: Path, *, preset: str = "default", home: Home | Path | str | None = None
) -> list[Detection]:
    """Run the streaming detector over a WAV file; returns detections with timestamps and scores."""
    from wakesmith.runtime.files import detect_file

    return detect_file(resolve_artifact(model, _home(home)), Path(audio), preset=preset)


def is_current(artifact: Artifact, *, home: Home | Path | str | None = None) -> bool:
    """Whether ``artifact`` is the current model of its role (the one deploys and cascades use)."""
    return read_current(_home(home)).get(artifact.metadata.role) == artifact.model_id


def bless(model: str | Path, *, home: Home | Path | str | None = None) -> Artifact:
    """Make a model the current one for its role."""
    h = _home(home)
    art = resolve_artifact(model, h)
    set_current(h, art.metadata.role, art.model_id)
    return art


# ----------------------------------------------------------------------------- the cascade, live


def satellite(
    cfg: SatelliteConfig, *, on_verdict: Callable[[TriggerVerdict], None] | None = None
) -> SatelliteReport:
    """Run a virtual satellite: the exported INT8 sentry in pymicro-wakeword over ``cfg.wav`` or the
    microphone, forwarding each trigger's buffer to the Judge at ``cfg.judge`` as the ESPHome gate does.

    The sentry runs at the cutoff shipped in its manifest (or the chosen ``cfg.preset``) with
    ESPHome's detection rule; ``on_verdict`` hears each verdict as it arrives. Needs no torch: the
    ``judge`` and ``edge`` extras (wyoming, pymicro-wakeword) are enough.
    """
    from wakesmith.errors import ToolMissingError

    try:
        from wakesmith.satellite import device_rule, read_shipped, run_satellite
    except ImportError as exc:
        raise ToolMissingError(
            f"The virtual satellite needs the wyoming client ({exc}): pip install 'wakesmith[judge,edge]'."
        ) from None
    shipped = read_shipped(cfg.model, cfg.preset)
    return run_satellite(cfg, shipped, device_rule(shipped), on_verdict=on_verdict)


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
) -> QuickstartSummary:
    """From a typed phrase to calibrated sentry and judge models: synthesize → train → evaluate → bless,
    then the two as a cascade (:func:`evaluate_cascade`), reported as a third column.

    Every step is resumable: synthesis is skipped once it completed for the same settings, training
    resumes from its last checkpoint, and a finished training is not repeated.
    """
    from wakesmith.quickstart import QuickstartSummary, cascade_summary, model_summary

    h, em = _home(home), _emitter(emitter)
    dataset = slugify(phrase)
    synth_cfg = (synth or SynthConfig()).model_copy(update={"phrase": phrase})
    t0 = time.perf_counter()
    synthesize(synth_cfg, dataset=dataset, home=h, emitter=em)
    summary = QuickstartSummary(phrase, dataset, h.root, time.perf_counter() - t0)
    trained_paths: list[Path] = []
    for name in [sentry] if skip_judge else [sentry, judge]:
        recipe = load_recipe(name, overrides or [], phrase=phrase, language=synth_cfg.language)
        t1 = time.perf_counter()
        trained = train(recipe, home=h, emitter=em)
        t2 = time.perf_counter()
        report = evaluate(trained.artifact.path, home=h, emitter=em)
        t3 = time.perf_counter()
        meta = trained.artifact.metadata
        set_current(h, meta.role, meta.model_id)
        summary.models.append(
            model_summary(trained.artifact, recipe, report, train_seconds=t2 - t1, eval_seconds=t3 - t2)
        )
        trained_paths.append(trained.artifact.path)
    if len(trained_paths) == 2:
        t4 = time.perf_counter()
        cascade = evaluate_cascade(trained_paths[0], trained_paths[1], home=h, emitter=em)
        targets = load_recipe(sentry, overrides or [], phrase=phrase).eval.target_fa_per_hour
        summary.models.append(
            cascade_summary(
                cascade, resolve_artifact(trained_paths[1], h), targets, eval_seconds=time.perf_counter() - t4
            )
        )
    return summary


# ----------------------------------------------------------------------------- the studio

UPLOAD_MAGIC = {b"RIFF": "WAV", b"fLaC": "FLAC", b"OggS": "OGG"}
"""The first four bytes of the upload formats the studio accepts (a WAV also says WAVE at byte 8)."""
UPLOAD_MAX_SECONDS = 30.0
"""Longest recording accepted per clip: a wake phrase or a sentence, never a whole session."""
TAKE_MAX_SECONDS = 120.0
"""Longest take accepted for splitting into utterances (each utterance still at most a clip's limit)."""
UPLOAD_MAX_RATE = 192_000
UPLOAD_MAX_CHANNELS = 8


def datasets(*, home: Home | Path | str | None = None) -> dict[str, int]:
    """Dataset name → live clips."""
    return open_store(home).datasets()


def _decode_upload(data: bytes, name: str, max_seconds: float) -> tuple[Any, dict[str, Any]]:
    """Audio (float32 16 kHz mono) and the ``upload`` meta of WAV, FLAC or OGG bytes; AudioError for
    anything else, an undecodable file or one longer than ``max_seconds``."""
    from wakesmith.audio.io import decode_audio
    from wakesmith.config import SAMPLE_RATE
    from wakesmith.errors import AudioError

    kind = UPLOAD_MAGIC.get(data[:4])
    if kind is None or (kind == "WAV" and data[8:12] != b"WAVE"):
        raise AudioError(
            f"{name!r} is not a WAV, FLAC or OGG file (its first bytes say otherwise); record or export "
            "the clip in one of those formats."
        )
    audio = decode_audio(
        data,
        name=name,
        max_seconds=max_seconds,
        max_rate=UPLOAD_MAX_RATE,
        max_channels=UPLOAD_MAX_CHANNELS,
        max_decoded_bytes=int(max_seconds * UPLOAD_MAX_RATE * UPLOAD_MAX_CHANNELS * 4),
    )
    return audio, {"upload": {"name": name, "format": kind, "converted_to": f"{SAMPLE_RATE} Hz mono"}}


def add_upload(
    data: bytes,
    *,
    dataset: str,
    label: str,
    speaker: str = "",
    notes: str = "",
    name: str = "upload",
    source: str = "recording",
    max_seconds: float = UPLOAD_MAX_SECONDS,
    home: Home | Path | str | None = None,
) -> Any:
    """Store an uploaded recording (WAV, FLAC or OGG bytes) as a clip, converted to 16 kHz mono.

    The container is checked by its first bytes before decoding; anything else, an undecodable file
    or one longer than ``max_seconds`` is refused (AudioError) and nothing is stored. Returns the clip
    (an existing clip of the same sound in the dataset comes back unchanged).
    """
    audio, meta = _decode_upload(data, name, max_seconds)
    store = open_store(home)
    clip = store.add_audio(
        audio, dataset=dataset, label=label, source=source, speaker=speaker, notes=notes, meta=meta
    )
    store.assign_splits(dataset)  # splits are grouped by speaker: a new speaker may start a group
    return store.get(clip.id)


def _utterances(audio: Any, split: TakeSplit | None, max_clip_seconds: float, what: str) -> list[Any]:
    """The utterances of a take, each at most ``max_clip_seconds``; AudioError when there is no speech
    or one utterance runs on too long (nothing is stored then)."""
    from wakesmith.config import SAMPLE_RATE
    from wakesmith.errors import AudioError
    from wakesmith.runtime.takes import speech_spans

    spans = speech_spans(audio, split)
    if not spans:
        raise AudioError(
            f"No speech was heard in {what}; record closer to the microphone, or store it unsplit "
            "(background takes are never split)."
        )
    for a, b in spans:
        if (b - a) / SAMPLE_RATE > max_clip_seconds:
            raise AudioError(
                f"{what} has {(b - a) / SAMPLE_RATE:.1f} s of speech without a pause (from "
                f"{a / SAMPLE_RATE:.1f} s); a clip may last {max_clip_seconds:g} s: pause between phrases "
                "and record it again."
            )
    return [(a, b, audio[a:b]) for a, b in spans]


def _part(number: int, parts: int, start: int, end: int) -> dict[str, Any]:
    """Where one utterance lies in its take, for the clip's meta."""
    from wakesmith.config import SAMPLE_RATE

    return {
        "part": number,
        "parts": parts,
        "start_s": round(start / SAMPLE_RATE, 3),
        "end_s": round(end / SAMPLE_RATE, 3),
    }


def _check_splittable(label: str) -> None:
    from wakesmith.data.schema import check_label
    from wakesmith.errors import AudioError

    check_label(label)
    if label == "background":
        raise AudioError("A background take is room noise, not utterances: store it unsplit.")


def add_take(
    data: bytes,
    *,
    dataset: str,
    label: str,
    speaker: str = "",
    notes: str = "",
    name: str = "take",
    split: TakeSplit | None = None,
    max_seconds: float = TAKE_MAX_SECONDS,
    max_clip_seconds: float = UPLOAD_MAX_SECONDS,
    home: Home | Path | str | None = None,
) -> list[Any]:
    """Store a recorded take (WAV, FLAC or OGG bytes, up to ``max_seconds``) as one clip per utterance,
    cut on the pauses a VAD hears (:mod:`wakesmith.runtime.takes`). Each clip's meta says which part of
    which take it is. No speech, a background label, or an utterance longer than ``max_clip_seconds``:
    AudioError, nothing stored. All clips are added in one transaction."""
    from wakesmith.data.schema import NewClip

    _check_splittable(label)
    audio, meta = _decode_upload(data, name, max_seconds)
    parts = _utterances(audio, split, max_clip_seconds, f"the take {name!r}")
    cut = (split or TakeSplit()).model_dump()
    store = open_store(home)
    items = [
        NewClip(
            dataset,
            label,
            "recording",
            audio=part,
            speaker=speaker,
            notes=notes,
            meta={**meta, "take": {"name": name, **_part(i, len(parts), a, b), "split": cut}},
        )
        for i, (a, b, part) in enumerate(parts, start=1)
    ]
    clips = store.add_many(items)
    store.assign_splits(dataset)  # splits are grouped by speaker: a new speaker may start a group
    return [store.get(clip_id) for clip_id in dict.fromkeys(clip.id for clip in clips)]


def split_clip(
    clip_id: str,
    *,
    split: TakeSplit | None = None,
    max_clip_seconds: float = UPLOAD_MAX_SECONDS,
    home: Home | Path | str | None = None,
) -> list[Any]:
    """Re-split a stored clip into its utterances (a take uploaded whole, or cut with other settings):
    the parts are added with the clip's label, speaker, source and notes, then the clip itself is
    soft-deleted (restorable). One utterance or none: AudioError, nothing changes. A crash between the
    two steps leaves both the parts and the clip: nothing is lost."""
    from wakesmith.data.schema import NewClip
    from wakesmith.errors import AudioError

    store = open_store(home)
    clip = store.get(clip_id)
    _check_splittable(clip.label)
    audio = store.load_audio(clip)
    parts = _utterances(audio, split, max_clip_seconds, f"clip {clip_id}")
    if len(parts) < 2:
        raise AudioError(
            f"Clip {clip_id} holds one utterance; nothing to split (a shorter min_pause_s cuts at "
            "shorter pauses)."
        )
    cut = (split or TakeSplit()).model_dump()
    items = [
        NewClip(
            clip.dataset,
            clip.label,
            clip.source,
            audio=part,
            speaker=clip.speaker,
            text=clip.text,
            notes=clip.notes,
            meta={
                **clip.meta_dict(),
                "split_from": {"clip": clip_id, **_part(i, len(parts), a, b), "split": cut},
            },
        )
        for i, (a, b, part) in enumerate(parts, start=1)
    ]
    clips = store.add_many(items)
    store.delete(clip_id)
    store.assign_splits(clip.dataset)
    return [store.get(c) for c in dict.fromkeys(c.id for c in clips)]


def get_clip(clip_id: str, *, home: Home | Path | str | None = None) -> Any:
    return open_store(home).get(clip_id)


def clip_audio(clip_id: str, *, home: Home | Path | str | None = None) -> Path:
    """The WAV file of a clip (16 kHz mono 16-bit); DatasetError if the clip or its file is missing."""
    from wakesmith.errors import DatasetError

    store = open_store(home)
    path = store.audio_path(store.get(clip_id))
    if not path.is_file():
        raise DatasetError(
            f"The audio of clip {clip_id} is missing ({path}); delete the clip or import it again."
        )
    return path


def edit_clip(
    clip_id: str,
    *,
    label: str | None = None,
    speaker: str | None = None,
    notes: str | None = None,
    home: Home | Path | str | None = None,
) -> Any:
    """Change a clip's label, speaker or notes (None leaves a field as it is); re-splits on a new
    speaker, since splits are grouped by speaker."""
    from wakesmith.data.schema import check_label

    store = open_store(home)
    clip = store.get(clip_id)
    values: dict[str, Any] = {}
    if label is not None:
        values["label"] = check_label(label)
    if speaker is not None:
        values["speaker"] = speaker.strip()
    if notes is not None:
        values["notes"] = notes
    if values:
        clip = store._update(clip_id, **values)
    if speaker is not None:
        store.assign_splits(clip.dataset)
        clip = store.get(clip_id)
    return clip


def delete_clip(clip_id: str, *, home: Home | Path | str | None = None) -> Any:
    """Soft-delete a clip: gone from listings and training, restorable with :func:`restore_clip`."""
    return open_store(home).delete(clip_id)


def restore_clip(clip_id: str, *, home: Home | Path | str | None = None) -> Any:
    return open_store(home).restore(clip_id)


def load_train_recipe(recipe: str | Path, overrides: list[str], role: str) -> Recipe:
    """A recipe for a training request; ConfigError when it trains another role than asked."""
    from wakesmith.errors import ConfigError

    rec = load_recipe(recipe, overrides)
    if rec.role != role:
        raise ConfigError(
            f"Recipe {str(recipe)!r} trains a {rec.role}, not a {role}; choose a {role} recipe."
        )
    return rec


def list_models(*, home: Home | Path | str | None = None) -> list[Artifact]:
    """Every trained model of the home, oldest id first."""
    from wakesmith.artifact import list_artifacts

    return list_artifacts(_home(home))


def model_details(model: str | Path, *, home: Home | Path | str | None = None) -> dict[str, Any]:
    """A model's metadata, evaluation report (``report.json``, if evaluated), files, the names of its
    evaluation plots (see :func:`model_plot`) and whether it is the current model of its role."""
    h = _home(home)
    art = resolve_artifact(model, h)
    meta = art.metadata
    report_path = art.path / "report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    files = sorted(str(p.relative_to(art.path)) for p in art.path.rglob("*") if p.is_file())
    return {
        "id": art.model_id,
        "metadata": meta.model_dump(mode="json"),
        "report": report,
        "files": files,
        "plots": list(art.plots()),
        "current": read_current(h).get(meta.role) == art.model_id,
    }


def model_plot(model: str | Path, name: str, *, home: Home | Path | str | None = None) -> Path:
    """The PNG of one of a model's evaluation plots: ``det`` (DET curve), ``scores`` (score
    histograms) or ``confusion`` (confusion matrix). Only these names map to files."""
    from wakesmith.errors import ArtifactError

    if name not in PLOT_FILES:
        raise ArtifactError(f"No plot {name!r}: the plots are {', '.join(PLOT_FILES)}.")
    art = resolve_artifact(model, _home(home))
    if not art.exists():  # a folder, but not a model's: serve nothing from it
        raise ArtifactError(f"No model {str(model)!r}: give a model id from `wakesmith models`.")
    path = art.plots().get(name)
    if path is None:
        raise ArtifactError(
            f"Model {art.model_id} has no {name} plot (not evaluated yet): "
            f"run `wakesmith evaluate {art.model_id}` first."
        )
    return path


# ----------------------------------------------------------------------------- a satellite's microphone


def check_satellite_request(take: SatelliteTake, dataset: str, label: str, max_seconds: float) -> None:
    """What is checked before a satellite is asked for anything: the dataset, the label, the take length."""
    from wakesmith.data.schema import check_dataset, check_label
    from wakesmith.errors import ConfigError

    check_dataset(dataset)
    check_label(label)
    if take.seconds > max_seconds:
        raise ConfigError(
            f"A take of {take.seconds:g} s is longer than the {max_seconds:g} s a clip may last; "
            "record shorter takes."
        )


def store_satellite_take(
    audio: Any,
    number: int,
    recording: SatelliteRecording,
    take: SatelliteTake,
    *,
    dataset: str,
    label: str,
    speaker: str = "",
    notes: str = "",
    home: Home | Path | str | None = None,
) -> Any:
    """Store take ``number`` of a satellite recording as a clip: source ``satellite``, the speaker given
    or else the device's name, the device and the take's number in the meta; splits re-assigned.
    Returns the clip (a sound already in the dataset comes back as that sound's clip)."""
    device = {
        "name": recording.name,
        "friendly_name": recording.friendly_name,
        "mac_address": recording.mac_address,
        "esphome_version": recording.esphome_version,
        "host": take.host,
    }
    store = open_store(home)
    clip = store.add_audio(
        audio,
        dataset=dataset,
        label=label,
        source="satellite",
        speaker=speaker.strip() or recording.name,
        notes=notes,
        meta={"satellite": {**device, "take": number}},
    )
    store.assign_splits(dataset)  # splits are grouped by speaker: a new speaker may start a group
    return store.get(clip.id)


def record_satellite_clips(
    take: SatelliteTake,
    *,
    dataset: str,
    label: str,
    speaker: str = "",
    notes: str = "",
    max_seconds: float = UPLOAD_MAX_SECONDS,
    home: Home | Path | str | None = None,
) -> list[Any]:
    """Record ``take.takes`` clips from an ESPHome satellite's own microphone (the room and microphone
    the model will live with) and store each as a clip: source ``satellite``, the label given, the
    speaker given or else the device's name, the device in the clip's meta. Returns the clips, each
    once (a take of a sound already in the dataset comes back as that sound's clip).

    The dataset and label are checked before the device is asked for anything; a take longer than
    ``max_seconds`` is refused. A device that cannot be reached, refuses the credentials, has no voice
    assistant or streams nothing raises :class:`~wakesmith.satellite.record.SatelliteError`, and
    nothing is stored. Needs ``aioesphomeapi`` (in the ``server`` extra).
    """
    import asyncio

    check_satellite_request(take, dataset, label, max_seconds)
    from wakesmith.satellite.record import record_from_satellite

    recording = asyncio.run(record_from_satellite(take))
    store = open_store(home)
    clips = [
        store_satellite_take(
            audio,
            number,
            recording,
            take,
            dataset=dataset,
            label=label,
            speaker=speaker,
            notes=notes,
            home=home,
        )
        for number, audio in enumerate(recording.takes, start=1)
    ]
    return [store.get(clip_id) for clip_id in dict.fromkeys(clip.id for clip in clips)]
