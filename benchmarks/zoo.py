"""The zoo side by side: detection and cost of evaluated models, measured on the files they ship as.

    python benchmarks/zoo.py sentry plain=<sentry id> distilled=<sentry id> resnet=<judge id> \\
        conformer=<judge id> --home ~/wakesmith-home

Each argument is ``[label=]model`` (a folder, a model id, or sentry/judge in ``--home``) that
``wakesmith evaluate`` has measured. For each it prints: the architecture and its parameters; recall of
the held-out test speakers at 0.5 FA/h with false accepts counted on ordinary speech and on
everything (speech + confusables), cold (1 s after a reset) and for the unseen engine (cold), all
from the saved evaluation report (which measured the exported file through the runtime); the size of
the shipped ONNX file and, for a sentry, of its INT8 TFLite file (exported here, needs the ``edge``
extra); CPU seconds per hour of audio streaming the ONNX file through the runtime's scorer on one
thread (30 ms chunks, speech-like audio), and for a sentry its INT8 file in pymicro-wakeword.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from generalization import ORDINARY, print_columns  # benchmarks/ is the script's folder on sys.path
from run import speechlike

from wakesmith.artifact import Artifact, resolve_artifact
from wakesmith.config import SAMPLE_RATE
from wakesmith.evaluate.report import EvalReport
from wakesmith.home import Home
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.scorers import make_scorer

BUDGET = 0.5
CHUNK = SAMPLE_RATE // 100 * 3
"""30 ms, as a satellite streams."""


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _cpu_per_hour(push: object, audio: np.ndarray) -> float:
    start = time.process_time()
    for i in range(0, len(audio), CHUNK):
        push(audio[i : i + CHUNK])  # type: ignore[operator]
    return (time.process_time() - start) * 3600 / (len(audio) / SAMPLE_RATE)


def _int8(artifact: Artifact, home: Home | None, audio: np.ndarray, tmp: Path) -> tuple[str, str]:
    """Size of the sentry's INT8 TFLite file and its CPU per audio hour in pymicro-wakeword."""
    try:
        from wakesmith import api
        from wakesmith.runtime.pymicro import MicroWakeWordScorer
    except ImportError:
        return "— (edge extra)", "—"
    manifest = api.export(artifact.path, "esphome", out=tmp / artifact.model_id / "m.json", home=home)
    tflite = next(manifest.parent.glob("*.tflite"))
    scorer = MicroWakeWordScorer(tflite)
    return f"{tflite.stat().st_size / 1024:.1f} KiB", f"{_cpu_per_hour(scorer.push, audio):.1f}"


def column(artifact: Artifact, home: Home | None, audio: np.ndarray, tmp: Path) -> dict[str, str]:
    meta = artifact.metadata
    report = EvalReport.load(artifact.path)
    known = {p.name for p in report.positive_sets}
    ordinary = [s.name for s in report.streams if s.name in ORDINARY]

    def recall(positives: str | None = None, streams: list[str] | None = None) -> str:
        if positives is not None and positives not in known:
            return "—"
        return _pct(report.recall_at(BUDGET, streams, positives=positives))

    scorer = make_scorer(OnnxBackend.load(artifact.onnx_path, threads=1))
    rows = {
        "role / architecture": f"{meta.role} / {meta.model.name}",
        "parameters": f"{meta.parameters:,}",
        f"held-out warm @{BUDGET:g} FA/h (speech)": recall(None, ordinary),
        f"held-out warm @{BUDGET:g} FA/h (speech + confusables)": recall(),
        f"held-out cold @{BUDGET:g} FA/h (speech)": recall("test-cold", ordinary),
        f"unseen engine cold @{BUDGET:g} FA/h (speech)": recall("unseen-cold", ordinary),
        "ONNX file": f"{artifact.onnx_path.stat().st_size / 1024:.1f} KiB",
        "CPU s per audio hour (ONNX, 1 thread)": f"{_cpu_per_hour(scorer.push, audio):.1f}",
    }
    if meta.role == "sentry":
        size, cpu = _int8(artifact, home, audio, tmp)
        rows |= {"INT8 TFLite file": size, "CPU s per audio hour (INT8, pymicro-wakeword)": cpu}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", nargs="+", help="[label=]model folder, id, or sentry/judge")
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--seconds", type=float, default=120.0, help="audio streamed for the CPU rows")
    args = parser.parse_args()
    home = Home.resolve(args.home) if args.home else None
    audio = speechlike(args.seconds, 7)
    columns: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for item in args.models:
            label, _, ref = item.rpartition("=")
            artifact = resolve_artifact(ref, home)
            columns[label or artifact.model_id] = column(artifact, home, audio, Path(tmp))
    print_columns(columns)


if __name__ == "__main__":
    main()
