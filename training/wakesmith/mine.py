"""Closed-loop hard-negative mining: a trained model's false accepts become its next training data.

A *mining stream* of the train split's ordinary negative speech (not confusables, not positives) over
the train split's backgrounds is scored as evaluation scores a stream: the shipped ONNX file through
the streaming runtime, detections counted by the runtime's detector at a calibrated threshold. Every
detection is a false accept; the audio ending where the detector fired (``train.clip_seconds`` plus
:data:`LEAD_S` before it) becomes a ``hard_negative`` clip of the **train** split, source ``mined``.
Only the train split is mined: the val split feeds calibration and the test split the report, so
clips mined from them would leak into the figures that judge the next model.

The clips change the dataset's lineage, so ``wakesmith train`` with the same recipe starts a new run
that trains on them (weighted by ``train.hard_negative_weight``). A mined clip keeps the speaker of
the speech it was cut from, so a re-split moves it with that speaker's own clips.

The stream is written once per input under ``<home>/streams/<dataset>/mining-<digest>-<hours>h.wav``
with a layout beside it (which clip lies where); the digest covers the clips it is made of, its
length and its seed, so the hard negatives mining adds do not change it. Mining a model twice adds
nothing: each clip is keyed by model id + stream digest + the sample where the detector fired.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from pydantic import field_validator

from wakesmith.artifact import Artifact
from wakesmith.config import SAMPLE_RATE, Section
from wakesmith.data.schema import Clip, Label, NewClip, Source, Split
from wakesmith.data.store import ClipStore
from wakesmith.errors import ArtifactError, ConfigError, DatasetError
from wakesmith.events import Emitter
from wakesmith.fsio import atomic_write_text
from wakesmith.home import Home
from wakesmith.registry import did_you_mean
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.detector import Detection, detect
from wakesmith.runtime.parallel import score_file
from wakesmith.runtime.scorers import make_scorer
from wakesmith.synth.streams import build_stream

STAGE = "mine"
SEED = 4242
"""The mining stream's seed: the same clips and hours always give the same stream."""
LEAD_S = 0.5
"""Audio kept before the model's window: the run-up to a false accept."""
ORDINARY_KINDS = frozenset({"speech", ""})
"""``meta.kind`` of ordinary negative speech (synthesized, or imported without a kind)."""
STREAM_VERSION = "mining-v1"
FALLBACK_SPEAKER = "mined"
"""The speaker of a clip cut where no speech clip with a speaker lies."""


class MineConfig(Section):
    """What :func:`mine_hard_negatives` listens to, at which threshold, and how much it keeps."""

    hours: float = 2.0
    """Length of the mining stream."""
    preset: str = "default"
    """The calibrated threshold to mine at (a name of the model's ``thresholds``)."""
    threshold: float | None = None
    """A threshold of its own instead of the preset's (0…1)."""
    max_clips: int = 500
    """Most clips added: the highest-scoring false accepts."""

    @field_validator("hours")
    @classmethod
    def _positive_hours(cls, v: float) -> float:
        if not v > 0:
            raise ValueError("mine more than 0 hours of speech, e.g. --hours 2")
        return v

    @field_validator("threshold")
    @classmethod
    def _probability(cls, v: float | None) -> float | None:
        if v is not None and not 0.0 <= v <= 1.0:
            raise ValueError("a threshold is a score between 0 and 1, e.g. --threshold 0.3")
        return v

    @field_validator("max_clips")
    @classmethod
    def _at_least_one(cls, v: int) -> int:
        if v < 1:
            raise ValueError("keep at least 1 clip, e.g. --max-clips 500")
        return v


@dataclass(frozen=True)
class MineReport:
    """What :func:`mine_hard_negatives` found and added."""

    model_id: str
    dataset: str
    stream: Path
    stream_hours: float
    preset: str
    """The preset mined at, or ``custom`` for a threshold of its own."""
    threshold: float
    false_accepts: int
    fa_per_hour: float
    """False accepts per hour of the mining stream at ``threshold`` (train speakers: heard in training)."""
    clips_added: int
    already_present: int
    """False accepts kept (within ``max_clips``) that the dataset already holds."""
    beyond_cap: int
    """False accepts left out by ``max_clips`` (the lowest-scoring)."""
    recipe: Path
    """The recipe the model was trained with: ``wakesmith train <recipe>`` trains on the new clips."""
    clip_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MiningStream:
    """The mining stream's file and where each of its speech clips lies."""

    path: Path
    digest: str
    starts: np.ndarray
    lengths: np.ndarray
    clip_ids: list[str]
    speakers: list[str]

    def sources(self, start: int, end: int) -> tuple[list[str], str]:
        """The ids of the speech clips heard in samples ``[start, end)``, and the speaker of the one
        heard most (else the nearest with a speaker; else :data:`FALLBACK_SPEAKER`)."""
        ends = self.starts + self.lengths
        overlap = np.minimum(ends, end) - np.maximum(self.starts, start)
        heard = np.flatnonzero(overlap > 0)
        ids = [self.clip_ids[i] for i in heard]  # in stream order, as the layout is
        distance = np.where(overlap > 0, -overlap, np.maximum(self.starts - end, start - ends))
        for i in np.argsort(distance, kind="stable"):
            if self.speakers[i]:
                return ids, self.speakers[i]
        return ids, FALLBACK_SPEAKER


def mining_stream(
    store: ClipStore, home: Home, dataset: str, *, hours: float, emitter: Emitter
) -> MiningStream:
    """The train split's ordinary negative speech over its backgrounds, ``hours`` long (built once)."""
    train = store.clips(dataset, split=Split.TRAIN)
    ordinary = (
        c for c in train if c.label == Label.NEGATIVE and c.meta_dict().get("kind", "") in ORDINARY_KINDS
    )
    speech = sorted(ordinary, key=lambda c: c.content_hash)
    if not speech:
        raise DatasetError(
            f"The train split of {dataset!r} has no ordinary negative speech to mine false accepts from; "
            "add some (`wakesmith synth`, or a negative/ folder with `wakesmith dataset scan`), then "
            "`wakesmith dataset split`."
        )
    backgrounds = sorted((c for c in train if c.label == Label.BACKGROUND), key=lambda c: c.content_hash)
    spec = [STREAM_VERSION, SEED, hours, *([c.content_hash for c in cs] for cs in (speech, backgrounds))]
    digest = hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:12]
    path = home.streams / dataset / f"mining-{digest}-{hours:g}h.wav"
    layout_path = path.with_name(f"{path.stem}.layout.json")
    if not (path.is_file() and layout_path.is_file()):
        emitter.started(STAGE, message=f"building the {hours:g} h mining stream from {len(speech)} clips")
        placed: list[tuple[int, int, int]] = []
        build_stream(
            path,
            clips=[store.load_audio(c) for c in speech],
            hours=hours,
            seed=SEED,
            backgrounds=[store.load_audio(c) for c in backgrounds],
            placed=lambda index, start, length: placed.append((index, start, length)),
        )
        layout = {
            "digest": digest,
            "clips": [[c.id, c.speaker] for c in speech],
            "placed": placed,  # [index into clips, first sample, length]
        }
        atomic_write_text(layout_path, json.dumps(layout, separators=(",", ":")))  # after the stream
        emitter.saved(STAGE, str(path))
    layout = json.loads(layout_path.read_text())
    placed_arr = np.asarray(layout["placed"], dtype=np.int64).reshape(-1, 3)
    clips = layout["clips"]
    return MiningStream(
        path,
        digest,
        starts=placed_arr[:, 1],
        lengths=placed_arr[:, 2],
        clip_ids=[str(clips[i][0]) for i in placed_arr[:, 0]],
        speakers=[str(clips[i][1]) for i in placed_arr[:, 0]],
    )


def mining_threshold(artifact: Artifact, cfg: MineConfig) -> tuple[str, float]:
    """(preset name or ``custom``, threshold); ArtifactError for a model :func:`api.evaluate` has not
    calibrated, ConfigError for a preset it has no threshold for."""
    meta = artifact.metadata
    if not meta.thresholds:
        raise ArtifactError(
            f"Model {meta.model_id} is not calibrated (no thresholds): "
            f"run `wakesmith evaluate {meta.model_id}` first."
        )
    if cfg.threshold is not None:
        return "custom", cfg.threshold
    names = [t.name for t in meta.thresholds]
    if cfg.preset not in names:
        raise ConfigError(
            f"Model {meta.model_id} has no {cfg.preset!r} threshold.{did_you_mean(cfg.preset, names)} "
            f"Its presets: {', '.join(names)} (or give --threshold)."
        )
    return cfg.preset, meta.threshold(cfg.preset)


def mine_hard_negatives(
    artifact: Artifact, store: ClipStore, home: Home, cfg: MineConfig, emitter: Emitter
) -> MineReport:
    """Score the mining stream with the model's ONNX file and add its false accepts as hard negatives."""
    meta = artifact.metadata
    preset, threshold = mining_threshold(artifact, cfg)
    if not artifact.onnx_path.is_file():
        raise ArtifactError(
            f"Model {meta.model_id} has no {artifact.onnx_path.name}: train it again with `wakesmith train`."
        )
    recipe = artifact.recipe()
    dataset = recipe.dataset_name
    stream = mining_stream(store, home, dataset, hours=cfg.hours, emitter=emitter)
    scorer = make_scorer(OnnxBackend.load(artifact.onnx_path))
    emitter.started(STAGE, message=f"scoring the mining stream with {artifact.onnx_path.name}")
    scores = score_file(scorer, stream.path)
    rule = meta.detector.model_copy(update={"threshold": threshold})
    found = detect(scores, rule, scorer.step_seconds, offset_s=scorer.first_end_s)
    hours = len(scores) * scorer.step_seconds / 3600.0  # as the evaluation report counts a stream's hours
    kept = sorted(found, key=lambda d: (-d.score, d.step))[: cfg.max_clips]
    length = round((recipe.train.clip_seconds + LEAD_S) * SAMPLE_RATE)
    known = _mined_keys(store, dataset)
    cut = _cut(stream, kept, dataset, length, model_id=meta.model_id, threshold=threshold, preset=preset)
    items = [item for key, item in cut if key not in known]
    rows = store.add_many(items)  # one transaction: all of them or, if anything fails, none
    new_keys = {key for key, _ in cut if key not in known}
    # a row of another key is the same sound, stored before (another model fired at the same sample)
    added = list(dict.fromkeys(r.id for r in rows if _mined(r).get("key") in new_keys))
    fa_h = len(found) / hours if hours > 0 else 0.0
    emitter.finished(
        STAGE,
        f"{len(found)} false accepts ({fa_h:.1f} FA/h), {len(added)} clips added",
        false_accepts=len(found),
        clips_added=len(added),
    )
    return MineReport(
        model_id=meta.model_id,
        dataset=dataset,
        stream=stream.path,
        stream_hours=hours,
        preset=preset,
        threshold=threshold,
        false_accepts=len(found),
        fa_per_hour=fa_h,
        clips_added=len(added),
        already_present=len(kept) - len(added),
        beyond_cap=len(found) - len(kept),
        recipe=artifact.recipe_path,
        clip_ids=added,
    )


def _cut(
    stream: MiningStream,
    detections: list[Detection],
    dataset: str,
    length: int,
    *,
    model_id: str,
    threshold: float,
    preset: str,
) -> list[tuple[str, NewClip]]:
    """(key, clip) of each false accept: the ``length`` samples up to where the detector fired."""
    out = []
    with sf.SoundFile(str(stream.path)) as wav:
        for d in detections:
            end = min(round(d.time_s * SAMPLE_RATE), wav.frames)
            start = max(0, end - length)
            wav.seek(start)
            audio = wav.read(end - start, dtype="float32")
            sources, speaker = stream.sources(start, end)
            key = f"{model_id}/{stream.digest}/{end}"
            info = {
                "key": key,
                "model_id": model_id,
                "stream": stream.path.name,
                "stream_digest": stream.digest,
                "start_s": start / SAMPLE_RATE,
                "end_s": end / SAMPLE_RATE,
                "end_sample": end,
                "score": d.score,
                "threshold": threshold,
                "preset": preset,
                "source_clips": sources,
            }
            clip = NewClip(
                dataset,
                str(Label.HARD_NEGATIVE),
                str(Source.MINED),
                audio=audio,
                speaker=speaker,
                split=str(Split.TRAIN),  # never val or test: see the module docstring
                meta={"mined": info},
            )
            out.append((key, clip))
    return out


def _mined(clip: Clip) -> dict[str, Any]:
    info = clip.meta_dict().get("mined")
    return info if isinstance(info, dict) else {}


def _mined_keys(store: ClipStore, dataset: str) -> set[str]:
    """Keys of the clips mined into ``dataset`` so far (deleted ones too: a clip deleted stays out)."""
    rows = store.clips(dataset, label=Label.HARD_NEGATIVE, source=Source.MINED, include_deleted=True)
    return {str(key) for c in rows if (key := _mined(c).get("key"))}
