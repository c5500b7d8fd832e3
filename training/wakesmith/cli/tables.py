"""Rich tables for the CLI's summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from wakesmith.evaluate.cascade import CascadeReport
    from wakesmith.evaluate.report import EvalReport
    from wakesmith.export.formats import ExportFormat
    from wakesmith.mine import MineReport
    from wakesmith.quickstart import QuickstartSummary
    from wakesmith.tune import TuneSummary


def quickstart_table(summary: QuickstartSummary) -> Table:
    table = Table(title=f'wakesmith quickstart "{summary.phrase}" (held-out test speakers)')
    table.add_column("metric")
    for m in summary.models:
        table.add_column(m.role, justify="right")

    def row(name: str, values: list[str]) -> None:
        table.add_row(name, *values)

    ms = summary.models
    targets = sorted({t for m in ms for t in m.recall_at}, reverse=True)
    for t in targets:
        row(
            f"recall at {t:g} FA/h (speech)",
            [f"{100 * m.recall_at_speech.get(t, float('nan')):.1f} %" for m in ms],
        )
    for t in targets:
        row(
            f"recall at {t:g} FA/h (speech + confusables)",
            [f"{100 * m.recall_at.get(t, float('nan')):.1f} %" for m in ms],
        )
    for name in sorted({n for m in ms for n in m.recall_generalization}):
        for t in targets:
            row(
                f"{name}: recall at {t:g} FA/h (ordinary speech)",
                [f"{100 * m.recall_generalization.get(name, {}).get(t, float('nan')):.1f} %" for m in ms],
            )
    row("threshold (default preset; cascade: the judge's)", [f"{m.threshold:.3f}" for m in ms])
    row("FRR at default threshold", [f"{100 * m.frr:.1f} %" for m in ms])
    for stream in sorted({s for m in ms for s in m.fa_per_hour}):
        row(
            f"FA/h on {stream} stream",
            [
                f"{m.fa_per_hour.get(stream, float('nan')):.2f} ({m.stream_hours.get(stream, 0):.2f} h)"
                for m in ms
            ],
        )
    row("test positives", [str(m.test_positives) for m in ms])
    row("parameters", [f"{m.parameters:,}" if m.parameters else "" for m in ms])
    row("ONNX size", [f"{m.onnx_bytes / 1024:.1f} KiB" if m.onnx_bytes else "" for m in ms])
    row("train / eval time", [f"{m.train_seconds / 60:.1f} / {m.eval_seconds / 60:.1f} min" for m in ms])
    row("artifact", [str(m.path) for m in ms])
    return table


def report_table(report: EvalReport) -> Table:
    table = Table(title=f"evaluation of {report.model_id}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in report.summary_rows():
        table.add_row(name, value)
    return table


def formats_table(formats: list[ExportFormat]) -> Table:
    table = Table(title="export formats (wakesmith export MODEL --format NAME)")
    for column in ("format", "writes", "models", "options", "description"):
        table.add_column(column)
    for f in formats:
        writes = f"{f.suffix} + files" if f.bundle else f.suffix
        table.add_row(f.name, writes, ", ".join(f.roles), ", ".join(f.options) or "-", f.description)
    return table


def cascade_table(report: CascadeReport) -> Table:
    """Sentry alone vs the cascade, per positive set and negative stream."""
    table = Table(title=f"cascade {report.sentry_id} → {report.judge_id} (sentry: {report.sentry_runtime})")
    table.add_column("metric")
    table.add_column("sentry alone", justify="right")
    table.add_column("cascade", justify="right")
    default = next((p for p in report.operating_points if p.name == "default"), None)
    for p in report.operating_points:
        table.add_row(
            f"{p.name}: judge threshold (≤ {p.target_fa_per_hour:g} FA/h on validation)",
            "",
            f"{p.threshold:.4f}  recall {100 * p.recall:.1f} %  FA/h {p.fa_per_hour:.2f}",
        )
    if default is not None:
        k = report.thresholds.index(default.threshold)
        alone = report.sentry_alone
        table.add_row(
            "recall: test", f"{100 * alone.recall['test']:.1f} %", f"{100 * (1 - report.frr[k]):.1f} %"
        )
        for ps in report.positive_sets:
            table.add_row(
                f"recall: {ps.name}", f"{100 * alone.recall[ps.name]:.1f} %", f"{100 * (1 - ps.frr[k]):.1f} %"
            )
        for st in report.streams:
            table.add_row(
                f"FA/h on {st.name} ({st.hours:.2f} h)",
                f"{alone.fa_per_hour[st.name]:.2f}",
                f"{st.fa_per_hour[k]:.2f}",
            )
    return table


def mine_table(report: MineReport) -> Table:
    """What mining found on the train split's speech and what it added."""
    table = Table(title=f"hard negatives mined into {report.dataset} (train split)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    kept = report.clips_added + report.already_present
    rows = [
        ("model", report.model_id),
        ("mining stream", f"{report.stream_hours:.2f} h"),
        ("threshold", f"{report.threshold:.3f} ({report.preset})"),
        ("false accepts", str(report.false_accepts)),
        ("FA/h on the mining stream", f"{report.fa_per_hour:.2f}"),
        (
            "kept (highest scores)",
            f"{kept}" + (f" ({report.beyond_cap} over --max-clips)" if report.beyond_cap else ""),
        ),
        ("clips added", str(report.clips_added)),
        ("already present", str(report.already_present)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def tune_table(summary: TuneSummary) -> Table:
    """Every trial of the study: its values, objectives and model; the Pareto front marked."""
    table = Table(title=f"study {summary.study}: recall at the FA/h budget vs parameters (* Pareto front)")
    keys = [k for k in (summary.rows[0] if summary.rows else {}) if k not in ("trial", "state", "error")]
    for column in ("trial", "state", *keys):
        table.add_column(column, justify="right" if column != "state" else "left")
    for row in summary.rows:
        mark = "*" if row["trial"] in summary.pareto else ""
        cells = [f"{row['trial']}{mark}", str(row["state"])]
        for key in keys:
            value = row[key]
            cells.append(f"{value:.4g}" if isinstance(value, float) else str(value))
        table.add_row(*cells)
    return table
