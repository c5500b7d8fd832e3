"""The audio an evaluation listens to, built from the store's validation and test splits.

- positives: every positive clip of a split, preceded by ``eval.lead_in_s`` of background (so a
  streaming model starts from a warm state, as on a device) and followed by a short tail, with a
  background bed at a random SNR;
- negative streams: long recordings of negative clips with gaps and a background bed —
  ``speech`` (ordinary negative speech) and ``confusables`` (phonetic confusables of the phrase) from
  the test split, and a ``calibration`` stream from the validation split: of both, or of ordinary
  speech only when ``eval.calibration_negatives`` is ``ordinary`` (a cascade's sentry);
- generalization sets (:attr:`EvalSets.positive_sets`), each scored from a reset state: the test
  positives *cold* (only ``eval.cold_lead_in_s`` of room before the phrase, as right after
  micro_wake_word restarts), the *unseen-engine* positives (a voice family training never hears,
  :mod:`wakesmith.synth.heldout`) cold and warm, and *processed* variants of both
  (:mod:`wakesmith.evaluate.variants`); plus an ``unseen-speech`` stream of ordinary speech from that
  engine, so a model that fires on any unfamiliar voice pays for it in FA/h.

Streams and the unseen-engine audio are written once per dataset lineage under
``<home>/streams/<dataset>/`` and reused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wakesmith.config import SAMPLE_RATE, Recipe, SynthConfig
from wakesmith.data.store import ClipStore
from wakesmith.errors import DatasetError
from wakesmith.evaluate.variants import Processor
from wakesmith.events import Emitter
from wakesmith.fsio import atomic_path
from wakesmith.home import Home
from wakesmith.synth.evalspeech import speech_runs
from wakesmith.synth.heldout import held_out_voices, is_held_out, synthesize_held_out
from wakesmith.synth.lexicon import read_words
from wakesmith.synth.streams import ClipSource, build_stream

STAGE = "eval-data"
TAIL_S = 0.5
POSITIVE_SNR_DB = (10.0, 30.0)
"""Same range as the negative streams' background bed, so both sides hear the same rooms."""
SEED = 1234


@dataclass(frozen=True)
class PositiveSet:
    """Positive clips in context, scored from a reset state; steps before ``lead_in_s`` are dropped."""

    clips: list[np.ndarray]
    lead_in_s: float
    description: str
    groups: dict[str, list[int]] = field(default_factory=dict)
    """Named subsets (clip indices), each reported as a row of its own, ``<set>/<group>``, beside the set."""

    def subsets(self, name: str) -> dict[str, tuple[list[int], PositiveSet]]:
        """``<name>/<group>`` → (clip indices, the subset as a set of its own) for every group."""
        return {
            f"{name}/{group}": (
                idx,
                PositiveSet(
                    [self.clips[i] for i in idx], self.lead_in_s, f"{self.description} — {group} only"
                ),
            )
            for group, idx in self.groups.items()
        }


@dataclass
class EvalSets:
    val_positives: list[np.ndarray]
    test_positives: list[np.ndarray]
    streams: dict[str, Path] = field(default_factory=dict)
    """Test streams by name (speech, confusables, unseen-speech)."""
    calibration: Path | None = None
    positive_sets: dict[str, PositiveSet] = field(default_factory=dict)
    """Generalization sets by name (test-cold, test-quick, unseen-cold, unseen-warm, processed-cold)."""


def _kind(meta: str | dict | None) -> str:
    info = json.loads(meta) if isinstance(meta, str) and meta else (meta or {})
    return str(info.get("kind", "")) if isinstance(info, dict) else ""


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-12))


def in_context(
    clip: np.ndarray, background: np.ndarray | None, *, lead_in_s: float, snr_db: float, seed: int
) -> np.ndarray:
    """``clip`` after ``lead_in_s`` of room, followed by a short tail, with a background bed at ``snr_db``."""
    lead, tail = int(lead_in_s * SAMPLE_RATE), int(TAIL_S * SAMPLE_RATE)
    out = np.zeros(lead + len(clip) + tail, dtype=np.float32)
    out[lead : lead + len(clip)] = clip
    if background is not None and len(background):
        rng = np.random.default_rng(seed)
        reps = int(np.ceil(len(out) / len(background)))
        bed = np.tile(background, reps)
        start = int(rng.integers(0, len(bed) - len(out) + 1))
        bed = bed[start : start + len(out)]
        gain = _rms(clip) / (_rms(bed) * 10 ** (snr_db / 20))
        out += (bed * gain).astype(np.float32)
    return np.clip(out, -1.0, 1.0)


def _raw_positives(store: ClipStore, recipe: Recipe, split: str) -> list[np.ndarray]:
    out = [store.load_audio(c) for c in store.clips(recipe.dataset_name, split=split, label="positive")]
    if not out:
        raise DatasetError(
            f"The {split} split of {recipe.dataset_name!r} has no positive clips to evaluate on. "
            "Add more speakers (`wakesmith synth`) or recordings, then `wakesmith dataset split`."
        )
    return out


def in_rooms(clips: list[np.ndarray], backgrounds: list[np.ndarray], *, lead_in_s: float) -> list[np.ndarray]:
    """Every clip :func:`in_context`, over the backgrounds in turn at a seeded SNR."""
    rng = np.random.default_rng(SEED)
    out = []
    for i, clip in enumerate(clips):
        bg = backgrounds[i % len(backgrounds)] if backgrounds else None
        snr = float(rng.uniform(*POSITIVE_SNR_DB))
        out.append(in_context(clip, bg, lead_in_s=lead_in_s, snr_db=snr, seed=i))
    return out


def _stream(
    store: ClipStore,
    home: Home,
    recipe: Recipe,
    *,
    name: str,
    split: str,
    kinds: set[str],
    hours: float,
    backgrounds: list[np.ndarray],
    emitter: Emitter,
) -> Path:
    clips = [
        c for c in store.clips(recipe.dataset_name, split=split, label="negative") if _kind(c.meta) in kinds
    ]
    if not clips:
        raise DatasetError(
            f"No {'/'.join(sorted(kinds))} negatives in the {split} split of {recipe.dataset_name!r} "
            f"for the {name} stream; synthesize some with `wakesmith synth`."
        )
    lineage = store.lineage_hash(recipe.dataset_name, split=split)[:10]
    distinct = recipe.eval.distinct_speech and "confusable" not in kinds
    suffix = "-distinct" if distinct else ""
    path = home.streams / recipe.dataset_name / f"{name}-{split}-{lineage}-{hours:g}h{suffix}.wav"
    if path.is_file():
        return path
    audio = [store.load_audio(c) for c in clips]
    source: ClipSource = audio
    if distinct:
        speakers = sorted({c.speaker for c in clips})
        what = f"{len(clips)} clips, then everyday speech by the {split} split's {len(speakers)} speakers"
        emitter.started(STAGE, message=f"building the {hours:g} h {name} stream: {what}")
        source = _clips_then_runs(audio, recipe, speakers)
    else:
        emitter.started(STAGE, message=f"building the {hours:g} h {name} stream from {len(clips)} clips")
    build_stream(path, clips=source, hours=hours, seed=SEED, backgrounds=backgrounds)
    emitter.saved(STAGE, str(path))
    return path


def _clips_then_runs(
    audio: list[np.ndarray], recipe: Recipe, speakers: list[str]
) -> Callable[[], Iterator[np.ndarray]]:
    """A stream source that lays the split's clips once, then runs of everyday speech by its speakers
    (``eval.distinct_speech``) until the stream is full: no utterance is heard twice."""

    def source() -> Iterator[np.ndarray]:
        order = np.random.default_rng(SEED).permutation(len(audio))
        yield from (audio[int(i)] for i in order)
        # The word list synthesis uses for the language (SynthConfig's own default for it).
        lexicon = SynthConfig(phrase=recipe.phrase, language=recipe.language).lexicon
        dictionary = read_words(lexicon, language=recipe.language)
        yield from speech_runs(
            recipe.phrase, speakers, seed=SEED, dictionary=dictionary, language=recipe.language
        )

    return source


def build_eval_sets(store: ClipStore, recipe: Recipe, home: Home, emitter: Emitter) -> EvalSets:
    ds = recipe.dataset_name

    def bgs(split: str) -> list[np.ndarray]:
        return [store.load_audio(c) for c in store.clips(ds, split=split, label="background")]

    val_bg, test_bg = bgs("val"), bgs("test")
    e = recipe.eval

    def stream(name: str, split: str, kinds: set[str], hours: float, backgrounds: list[np.ndarray]) -> Path:
        return _stream(
            store,
            home,
            recipe,
            name=name,
            split=split,
            kinds=kinds,
            hours=hours,
            backgrounds=backgrounds,
            emitter=emitter,
        )

    streams = {
        "speech": stream("speech", "test", {"speech", ""}, e.speech_hours, test_bg),
        "confusables": stream("confusables", "test", {"confusable"}, e.confusable_hours, test_bg),
    }
    if e.calibration_negatives == "ordinary":
        calibration = stream("calibration-speech", "val", {"speech", ""}, e.calibration_hours, val_bg)
    else:
        calibration = stream("calibration", "val", {"speech", "", "confusable"}, e.calibration_hours, val_bg)
    test_raw = _raw_positives(store, recipe, "test")
    sets = EvalSets(
        val_positives=in_rooms(_raw_positives(store, recipe, "val"), val_bg, lead_in_s=e.lead_in_s),
        test_positives=in_rooms(test_raw, test_bg, lead_in_s=e.lead_in_s),
        streams=streams,
        calibration=calibration,
    )
    cold = e.cold_lead_in_s
    sets.positive_sets["test-cold"] = PositiveSet(
        in_rooms(test_raw, test_bg, lead_in_s=cold), cold, "held-out speakers, cold start"
    )
    if e.quick_lead_in_s is not None:
        quick = e.quick_lead_in_s
        sets.positive_sets["test-quick"] = PositiveSet(
            in_rooms(test_raw, test_bg, lead_in_s=quick), quick, f"held-out speakers, {quick:g} s after reset"
        )
    unseen: list[np.ndarray] = []
    if e.unseen_engine != "none":
        unseen, unseen_stream = unseen_engine_set(store, home, recipe, test_bg, emitter)
        streams["unseen-speech"] = unseen_stream
        what = f"unseen engine ({e.unseen_engine})"
        sets.positive_sets["unseen-cold"] = PositiveSet(
            in_rooms(unseen, test_bg, lead_in_s=cold), cold, f"{what}, cold start"
        )
        sets.positive_sets["unseen-warm"] = PositiveSet(
            in_rooms(unseen, test_bg, lead_in_s=e.lead_in_s), e.lead_in_s, f"{what}, warm"
        )
    if e.processed:
        process = Processor(test_bg)
        pairs = [process(clip, i) for i, clip in enumerate(test_raw + unseen)]
        kinds = [kind for kind, _ in pairs]
        sets.positive_sets["processed-cold"] = PositiveSet(
            in_rooms([audio for _, audio in pairs], test_bg, lead_in_s=cold),
            cold,
            "held-out speakers"
            + (" and unseen engine" if unseen else "")
            + ": level, tempo, pitch, reverb, noise, tones; cold start",
            # one row per processing: which one a model cannot hear through
            groups={k: [i for i, kind in enumerate(kinds) if kind == k] for k in dict.fromkeys(kinds)},
        )
    return sets


def check_unseen_held_out(store: ClipStore, recipe: Recipe) -> None:
    """Refuse a dataset holding voices of the engine the unseen-engine evaluation holds out.

    Training calls it before any work, evaluation again before it speaks the set."""
    e, ds = recipe.eval, recipe.dataset_name
    if e.unseen_engine == "none":
        return
    speakers = {c.speaker for c in store.clips(ds)}  # a few hundred, for thousands of clips
    heard = sorted(s for s in speakers if is_held_out(e.unseen_engine, s))
    if heard:
        fix = "synth.pico_voices=[]" if e.unseen_engine == "pico" else "synth.piper_bundled=false"
        raise DatasetError(
            f"Dataset {ds!r} contains clips of {', '.join(heard[:3])}, a voice of {e.unseen_engine}, the "
            "engine the unseen-engine evaluation holds out: it would no longer be unseen. Set "
            f"eval.unseen_engine to another engine (or none), or synthesize without it ({fix})."
        )


def unseen_engine_set(
    store: ClipStore, home: Home, recipe: Recipe, backgrounds: list[np.ndarray], emitter: Emitter
) -> tuple[list[np.ndarray], Path]:
    """The unseen engine's positives and its ordinary-speech stream (synthesized once, then cached)."""
    e, ds = recipe.eval, recipe.dataset_name
    voices = held_out_voices(e.unseen_engine)
    check_unseen_held_out(store, recipe)
    spec = json.dumps(
        [recipe.phrase, e.unseen_engine, e.unseen_positives, e.unseen_speech_clips, SEED, voices, "takes-v3"]
    )
    digest = hashlib.sha256(spec.encode()).hexdigest()[:10]
    folder = home.streams / ds
    clips_path = folder / f"unseen-{e.unseen_engine}-{digest}.npz"
    stream_path = folder / f"unseen-speech-{e.unseen_engine}-{digest}-{e.unseen_speech_hours:g}h.wav"
    if not clips_path.is_file() or not stream_path.is_file():
        emitter.started(STAGE, message=f"speaking the unseen-engine set ({e.unseen_engine}: {voices})")
        held = synthesize_held_out(
            recipe.phrase, engine=e.unseen_engine, positives=e.unseen_positives,
            speech=e.unseen_speech_clips, seed=SEED,
        )  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(clips_path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, *held.positives)
        build_stream(
            stream_path, clips=held.speech, hours=e.unseen_speech_hours, seed=SEED, backgrounds=backgrounds
        )
        emitter.saved(STAGE, str(stream_path))
    with np.load(clips_path) as data:
        positives = [data[f"arr_{i}"] for i in range(len(data.files))]
    return positives, stream_path
