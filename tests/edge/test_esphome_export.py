"""The ``esphome`` export loads and detects in pymicro-wakeword (ESPHome's runtime and front end) at its
calibrated cutoff on held-out clips, matches the torch streaming model, and ships a valid manifest v2
with calibrated presets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wakesmith.artifact import Artifact
from wakesmith.data.store import ClipStore
from wakesmith.export.oplist import ESPHOME_OPS, read_ops
from wakesmith.features import as_pcm16
from wakesmith.home import Home
from wakesmith.runtime import TfliteBackend, TorchBackend, make_scorer
from wakesmith.runtime.pymicro import MicroWakeWordScorer
from wakesmith.runtime.tflite import read_tflite_metadata

pytestmark = pytest.mark.slow

LEAD_S, TAIL_S = 1.0, 0.5
PARITY_MAD = 0.02
MIN_RECALL = 0.5
"""At least half of the held-out positives fire at the shipped cutoff (measured: 4 of 5; background 0.09)."""
MAX_SPEECH_FIRING = 0.2
"""At most a fifth of the held-out speech clips fire (measured: none of 6, the best at 0.87 for a 0.925
cutoff). Confusables are not bounded: the tiny model has not learnt them (the best of 6 at 0.87)."""
MIN_SPEECH_CLIPS = 5


def _in_context(audio: np.ndarray) -> np.ndarray:
    lead, tail = np.zeros(int(LEAD_S * 16000), np.float32), np.zeros(int(TAIL_S * 16000), np.float32)
    return np.concatenate([lead, audio, tail])


def _clips(home: Home, split: str, label: str, kind: str | None = None) -> list[np.ndarray]:
    store = ClipStore(home)
    clips = store.clips("hey_katya", split=split, label=label)
    if kind is not None:
        clips = [c for c in clips if json.loads(c.meta or "{}").get("kind") == kind]
    return [_in_context(store.load_audio(c)) for c in clips]


def _detects(manifest: Path, audio: np.ndarray) -> tuple[bool, float]:
    """Run pymicro-wakeword exactly as Home Assistant does; returns (fired, best window mean)."""
    from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures

    mww = MicroWakeWord.from_config(manifest)
    best = 0.0
    for frame in MicroWakeWordFeatures().process_streaming(as_pcm16(audio).tobytes()):
        # process_streaming() is exactly `process_streaming_prob() > probability_cutoff`
        best = max(best, mww.process_streaming_prob(frame) or 0.0)
    return best > mww.probability_cutoff, best


def test_manifest_is_v2_with_measured_arena_and_presets(
    esphome_manifest: Path, trained_sentry: Artifact
) -> None:
    doc = json.loads(esphome_manifest.read_text())
    assert doc["type"] == "micro" and doc["version"] == 2 and doc["wake_word"] == "Hey Katya"
    assert doc["author"] and doc["trained_languages"] == ["en"]
    micro = doc["micro"]
    assert set(micro) == {
        "probability_cutoff",
        "sliding_window_size",
        "feature_step_size",
        "tensor_arena_size",
        "minimum_esphome_version",
    }
    assert micro["feature_step_size"] == 10 and micro["sliding_window_size"] == 3
    tflite = esphome_manifest.parent / doc["model"]
    presets = json.loads(esphome_manifest.with_name(f"{esphome_manifest.stem}.presets.json").read_text())
    assert presets["flash_bytes"] == tflite.stat().st_size
    assert presets["arena_bytes_measured"] < micro["tensor_arena_size"] < 2 * presets["arena_bytes_measured"]
    assert set(presets["ops"]) <= ESPHOME_OPS and presets["ops"] == read_ops(tflite.read_bytes())
    cut = {name: p["probability_cutoff"] for name, p in presets["presets"].items()}
    assert set(cut) == {"sensitive", "default", "strict"}
    assert cut["sensitive"] <= cut["default"] <= cut["strict"]
    assert micro["probability_cutoff"] == cut["default"]
    for name, p in presets["presets"].items():
        per_preset = json.loads((esphome_manifest.parent / p["manifest"]).read_text())
        assert per_preset["micro"]["probability_cutoff"] == cut[name]
        # measured on the int8 file: either within its budget or the strictest cutoff was taken
        assert p["fa_per_hour"] <= p["target_fa_per_hour"] or p["probability_cutoff"] >= 0.99
    assert read_tflite_metadata(tflite.read_bytes()) == trained_sentry.metadata


def test_the_file_detects_held_out_positives_and_stays_silent_on_negatives_in_pymicro_wakeword(
    esphome_manifest: Path, edge_home: Home
) -> None:
    """The shipped manifest at its own calibrated cutoff, on every TEST-split clip of each kind (none
    picked, none seen in training): positives fire, backgrounds never, speech rarely."""
    cutoff = json.loads(esphome_manifest.read_text())["micro"]["probability_cutoff"]
    assert 0.0 < cutoff < 1.0
    positives = [_detects(esphome_manifest, clip) for clip in _clips(edge_home, "test", "positive")]
    hit = sum(fired for fired, _ in positives)
    assert positives and hit >= MIN_RECALL * len(positives), (
        f"{hit}/{len(positives)} at {cutoff}: {[round(b, 3) for _, b in positives]}"
    )

    backgrounds = [_detects(esphome_manifest, clip) for clip in _clips(edge_home, "test", "background")]
    assert backgrounds and not any(fired for fired, _ in backgrounds), [round(b, 3) for _, b in backgrounds]

    speech = [_detects(esphome_manifest, c) for c in _clips(edge_home, "test", "negative", kind="speech")]
    fired = [(i, round(best, 3)) for i, (f, best) in enumerate(speech) if f]
    assert len(speech) >= MIN_SPEECH_CLIPS
    assert len(fired) <= MAX_SPEECH_FIRING * len(speech), (
        f"fired on {len(fired)}/{len(speech)} speech clips at {cutoff}: {fired}"
    )


def test_int8_file_matches_torch_streaming_within_002(
    esphome_manifest: Path, trained_sentry: Artifact, edge_home: Home
) -> None:
    """pymicro-wakeword (ESPHome's runtime) and the runtime's TFLite backend run the INT8 file; both
    stay within 0.02 of the torch model, all three scorers on one time grid."""
    tflite = esphome_manifest.with_suffix(".tflite")
    scorers = {"pymicro": MicroWakeWordScorer(tflite), "tflite": make_scorer(TfliteBackend.load(tflite))}
    reference = make_scorer(TorchBackend.load(trained_sentry.path))
    clips = _clips(edge_home, "test", "positive")[:3] + _clips(edge_home, "test", "negative")[:3]
    for name, scorer in scorers.items():
        assert scorer.step_seconds == reference.step_seconds and scorer.first_end_s == reference.first_end_s
        mads = []
        for audio in clips:
            got, want = scorer.score(audio), reference.score(audio)
            assert got.shape == want.shape, name  # one probability per 30 ms step, same alignment
            mads.append(float(np.abs(got - want).mean()))
        assert max(mads) < PARITY_MAD, (name, mads)
        assert max(mads) > 0.0, name  # it really is quantized
