"""The audio an evaluation listens to, built from the store's validation and test splits.

- positives: every positive clip of a split, preceded by ``eval.lead_in_s`` of background (so a
  streaming model starts from a warm state, as on a device) and followed by a short tail, with a
  background bed at a random SNR;
- negative streams: long recordings of negative clips with gaps and a background bed —
  ``speech`` (ordinary negative speech) and ``confusables`` (phonetic confusables of the phrase) from
  the test split, and a ``calibration`` stream from the validation split: of both, or of ordinary
  speech only when ``eval.calibration_negatives`` is ``ordinary`` (a cascade's sentry).

Streams are written once per dataset lineage under ``<home>/streams/<dataset>/`` and reused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wakesmith.config import SAMPLE_RATE, Recipe
from wakesmith.data.store import ClipStore
from wakesmith.errors import DatasetError
from wakesmith.events import Emitter
from wakesmith.home import Home
from wakesmith.synth.streams import build_stream

STAGE = "eval-data"
TAIL_S = 0.5
POSITIVE_SNR_DB = (10.0, 30.0)
"""Same range as the negative streams' background bed, so both sides hear the same rooms."""
SEED = 1234


@dataclass
class EvalSets:
    val_positives: list[np.ndarray]
    test_positives: list[np.ndarray]
    streams: dict[str, Path] = field(default_factory=dict)
    """Test streams by name (speech, confusables)."""
    calibration: Path | None = None


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


def _positives(
    store: ClipStore, recipe: Recipe, split: str, backgrounds: list[np.ndarray]
) -> list[np.ndarray]:
    rng = np.random.default_rng(SEED)
    out = []
    for i, clip in enumerate(store.clips(recipe.dataset_name, split=split, label="positive")):
        bg = backgrounds[i % len(backgrounds)] if backgrounds else None
        snr = float(rng.uniform(*POSITIVE_SNR_DB))
        out.append(
            in_context(store.load_audio(clip), bg, lead_in_s=recipe.eval.lead_in_s, snr_db=snr, seed=i)
        )
    if not out:
        raise DatasetError(
            f"The {split} split of {recipe.dataset_name!r} has no positive clips to evaluate on. "
            "Add more speakers (`wakesmith synth`) or recordings, then `wakesmith dataset split`."
        )
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
    path = home.streams / recipe.dataset_name / f"{name}-{split}-{lineage}-{hours:g}h.wav"
    if path.is_file():
        return path
    emitter.started(STAGE, message=f"building the {hours:g} h {name} stream from {len(clips)} clips")
    build_stream(
        path, clips=[store.load_audio(c) for c in clips], hours=hours, seed=SEED, backgrounds=backgrounds
    )
    emitter.saved(STAGE, str(path))
    return path


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
    return EvalSets(
        val_positives=_positives(store, recipe, "val", val_bg),
        test_positives=_positives(store, recipe, "test", test_bg),
        streams=streams,
        calibration=calibration,
    )
