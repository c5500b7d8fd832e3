"""Detection quality beyond the training engine, side by side for several evaluated models.

    python benchmarks/generalization.py before=/path/to/old-sentry after=sentry --home ~/wakesmith-home
    python benchmarks/generalization.py sentry judge --home H --json out.json

Each argument is ``[label=]model`` (a folder, a model id, or sentry/judge in ``--home``) that
``wakesmith evaluate`` has measured. For each it prints, from the saved report (``report.json``; and
``cascade.json`` for a judge that was evaluated in a cascade):

- recall at 0.5 and 0.1 FA/h of the held-out test speakers (warm), of the same clips streamed *cold*
  (1 s after a reset) and *quick* (0.3 s after it), of the unseen engine (cold and warm) and of the
  processed variants, with false accepts counted on ordinary speech of both engines (``speech`` +
  ``unseen-speech``);
- recall with false accepts counted on everything (speech + confusables + unseen speech);
- recall at 0.5 FA/h (ordinary speech) of each processing of the processed set by itself
  (``processed-cold/level``, ``/tempo``, ``/pitch``, ``/reverb``, ``/noise``, ``/tone``);
- each calibrated preset's test FA/h next to its target, on the streams it was calibrated for;
- how many false accepts each budget allows on the ordinary-speech streams (``--fa 0.5 2 10`` for
  other budgets: at 0.5 FA/h on 1.5 h the single loudest negative sets the recall, which makes
  seed-to-seed comparisons noisy);
- for a cascade: the same recall rows through sentry → trigger buffer → Judge.

The report of a model evaluated before the generalization sets existed has only the first rows.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from wakesmith.artifact import resolve_artifact
from wakesmith.evaluate.cascade import CASCADE_FILE, CascadeReport
from wakesmith.evaluate.report import EvalReport
from wakesmith.home import Home

ORDINARY = ("speech", "unseen-speech")
TARGETS = (0.5, 0.1)
SETS = ("test-cold", "test-quick", "unseen-cold", "unseen-warm", "processed-cold")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _rows(report: EvalReport | CascadeReport, targets: tuple[float, ...] = TARGETS) -> dict[str, str]:
    ordinary = [s.name for s in report.streams if s.name in ORDINARY]
    hours = sum(s.hours for s in report.streams if s.name in ordinary)
    known = {p.name for p in report.positive_sets}
    rows: dict[str, str] = {}
    for t in targets:
        # A budget that allows no false accept is set by the single loudest negative: say so.
        rows[f"{t:g} FA/h on ordinary speech allows"] = f"{math.floor(t * hours + 1e-9)} FA in {hours:.1f} h"
        rows[f"held-out speakers, warm: recall at {t:g} FA/h (ordinary speech)"] = _pct(
            report.recall_at(t, ordinary)
        )
        for name in SETS:
            value = report.recall_at(t, ordinary, positives=name) if name in known else None
            rows[f"{name}: recall at {t:g} FA/h (ordinary speech)"] = _pct(value)
        rows[f"held-out speakers, warm: recall at {t:g} FA/h (everything)"] = _pct(report.recall_at(t))
        for name in ("unseen-cold", "processed-cold"):
            value = report.recall_at(t, positives=name) if name in known else None
            rows[f"{name}: recall at {t:g} FA/h (everything)"] = _pct(value)
    for name in sorted(n for n in known if n.startswith("processed-cold/")):
        rows[f"{name}: recall at {targets[0]:g} FA/h (ordinary speech)"] = _pct(
            report.recall_at(targets[0], ordinary, positives=name)
        )
    for p in report.operating_points:
        if p.name in ("sensitive", "default", "strict"):
            rows[f"preset {p.name}: test FA/h (target)"] = (
                f"{p.fa_per_hour:.2f} ({p.target_fa_per_hour:g}), recall {100 * p.recall:.1f} %"
            )
    return rows


def print_columns(columns: dict[str, dict[str, str]]) -> None:
    """A markdown table: one row per name any column has, one column per label ("—" where absent)."""
    names = list(dict.fromkeys(r for c in columns.values() for r in c))
    width = max(len(n) for n in names)
    labels = list(columns)
    print(f"| {'row':<{width}} | " + " | ".join(labels) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (len(x) + 2) for x in labels) + "|")
    for n in names:
        print(f"| {n:<{width}} | " + " | ".join(columns[c].get(n, "—") for c in labels) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", nargs="+", help="[label=]model folder, id, or sentry/judge")
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the table as JSON")
    parser.add_argument(
        "--fa",
        type=float,
        nargs="+",
        default=list(TARGETS),
        help="false-accept budgets (per hour) for the recall rows; default 0.5 0.1",
    )
    args = parser.parse_args()
    targets = tuple(args.fa)
    home = Home.resolve(args.home) if args.home else None
    columns: dict[str, dict[str, str]] = {}
    for item in args.models:
        label, _, ref = item.rpartition("=")
        artifact = resolve_artifact(ref, home)
        label = label or f"{artifact.metadata.role} {artifact.model_id}"
        columns[label] = _rows(EvalReport.load(artifact.path), targets)
        cascade = artifact.path / CASCADE_FILE
        if cascade.is_file():
            report = CascadeReport.model_validate_json(cascade.read_text())
            columns[f"{label} (cascade, sentry {report.sentry_runtime})"] = _rows(report, targets)
    print_columns(columns)
    if args.json:
        out: dict[str, Any] = {"columns": columns}
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
