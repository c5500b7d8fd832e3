"""Rich tables for the CLI's summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from wakesmith.evaluate.report import EvalReport
    from wakesmith.export.formats import ExportFormat
    from wakesmith.quickstart import QuickstartSummary


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
    row("threshold (default preset)", [f"{m.threshold:.3f}" for m in ms])
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
    row("parameters", [f"{m.parameters:,}" for m in ms])
    row("ONNX size", [f"{m.onnx_bytes / 1024:.1f} KiB" for m in ms])
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
