"""Edge figures of a trained sentry: what the ESPHome export costs and how much INT8 loses.

    python benchmarks/edge.py --home ~/wakesmith-home --model sentry
    python benchmarks/edge.py --home H --model sentry --qat-model <qat artifact id> --json out.json

For each model (the float sentry, and optionally the same recipe trained with ``qat.enabled=true``):

- exports ``esphome`` (INT8, cutoffs calibrated on the validation stream through pymicro-wakeword);
- flash bytes (the .tflite), tensor arena measured in TFLite-Micro and the manifest's value;
- per-step parity with the torch streaming model: mean absolute difference of probabilities on the
  held-out positives in context;
- held-out recall at <= 0.5 FA/h (the test split's positives; false accepts counted on its
  ``speech`` stream, and on ``speech`` + ``confusables``) for the float model (ONNX through the
  wakesmith runtime, wakesmith detector) and for the INT8 file (pymicro-wakeword, ESPHome's
  detection rule: mean of ``sliding_window_size`` above the cutoff, 3 s refractory);
- host CPU seconds per hour of audio of the INT8 file in pymicro-wakeword (front end + interpreter).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from wakesmith import api
from wakesmith.artifact import Artifact, resolve_artifact
from wakesmith.data.store import ClipStore
from wakesmith.evaluate.report import NegativeStream, build_report
from wakesmith.evaluate.runner import score_clips
from wakesmith.evaluate.sets import build_eval_sets
from wakesmith.events import Emitter
from wakesmith.export.esphome import STEP_SECONDS, esphome_detector
from wakesmith.home import Home
from wakesmith.runtime.backends import OnnxBackend, TorchBackend
from wakesmith.runtime.parallel import score_file
from wakesmith.runtime.pymicro import MicroWakeWordScorer
from wakesmith.runtime.scorers import make_scorer

TARGET_FA_PER_HOUR = 0.5
SECONDS_PER_HOUR = 3600.0


def _torch_mad(artifact: Artifact, scorer: MicroWakeWordScorer, clips: list[np.ndarray]) -> float:
    """Mean absolute difference per step between the INT8 file and the float torch model, both
    through the runtime's scorer interface (one time grid)."""
    reference = make_scorer(TorchBackend.load(artifact.path))
    mads = [float(np.abs(scorer.score(audio) - reference.score(audio)).mean()) for audio in clips]
    return float(np.mean(mads))


def measure(ref: str, home: Home) -> dict[str, Any]:
    artifact = resolve_artifact(ref, home)
    recipe = artifact.recipe()
    manifest = api.export(artifact.path, "esphome", home=home)
    presets = json.loads(manifest.with_name(f"{manifest.stem}.presets.json").read_text())
    doc = json.loads(manifest.read_text())
    sets = build_eval_sets(ClipStore(home), recipe, home, Emitter())
    eval_cfg = recipe.eval.model_copy(update={"target_fa_per_hour": [TARGET_FA_PER_HOUR]})
    target = f"{TARGET_FA_PER_HOUR:g} FA/h"

    onnx_scorer = make_scorer(OnnxBackend.load(artifact.onnx_path))
    float_report = build_report(
        artifact.model_id,
        "sentry",
        score_clips(onnx_scorer, sets.test_positives),
        [NegativeStream(n, [score_file(onnx_scorer, p)]) for n, p in sets.streams.items()],
        artifact.metadata.detector,
        onnx_scorer.step_seconds,
        eval_cfg,
    )

    micro = MicroWakeWordScorer(manifest.with_suffix(".tflite"))
    micro.seconds_in_model = 0.0
    int8_pos = [micro.score(c) for c in sets.test_positives]
    int8_neg = [NegativeStream(n, [score_file(micro, p)]) for n, p in sets.streams.items()]
    audio_s = sum(len(c) for c in sets.test_positives) / 16000 + sum(
        len(s) * STEP_SECONDS for stream in int8_neg for s in stream.scores
    )
    cpu_per_hour = micro.seconds_in_model / audio_s * SECONDS_PER_HOUR
    int8_report = build_report(
        artifact.model_id,
        "sentry",
        int8_pos,
        int8_neg,
        esphome_detector(doc["micro"]["sliding_window_size"]),
        STEP_SECONDS,
        eval_cfg,
    )
    return {
        "model": artifact.model_id,
        "qat": bool(recipe.qat.enabled),
        "parameters": artifact.metadata.parameters,
        "flash_bytes": presets["flash_bytes"],
        "arena_bytes_measured": presets["arena_bytes_measured"],
        "tensor_arena_size": doc["micro"]["tensor_arena_size"],
        "parity_mad_vs_torch": _torch_mad(artifact, micro, sets.test_positives),
        "recall_float_at_0.5fah_speech": float_report.recall_at(TARGET_FA_PER_HOUR, "speech"),
        "recall_int8_at_0.5fah_speech": int8_report.recall_at(TARGET_FA_PER_HOUR, "speech"),
        "recall_float_at_0.5fah_all": float_report.operating_point(target).recall,
        "recall_int8_at_0.5fah_all": int8_report.operating_point(target).recall,
        "int8_threshold_at_0.5fah_all": int8_report.operating_point(target).threshold,
        "test_positives": len(sets.test_positives),
        "negative_hours": float_report.curve().neg_hours,
        "cpu_s_per_audio_hour_pymicro": cpu_per_hour,
        "presets": presets["presets"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--model", default="sentry", help="artifact (folder, id or 'sentry')")
    parser.add_argument("--qat-model", default=None, help="the same recipe trained with qat.enabled=true")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    home = Home.resolve(args.home)
    started = time.perf_counter()
    rows = [measure(args.model, home)] + ([measure(args.qat_model, home)] if args.qat_model else [])
    for row in rows:
        print(f"\n{row['model']} (qat={row['qat']}, {row['parameters']} parameters)")
        for key, value in row.items():
            if key not in ("model", "qat", "parameters", "presets"):
                print(f"  {key:32s} {value:.4g}" if isinstance(value, float) else f"  {key:32s} {value}")
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
