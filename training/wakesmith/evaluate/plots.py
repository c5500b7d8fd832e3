"""Plots of an :class:`~wakesmith.evaluate.report.EvalReport`: DET curve, score histograms, confusion.

Drawn on matplotlib's Agg canvas directly (no pyplot), so the process-wide backend and pyplot's
figure registry are never touched; files are written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from wakesmith.artifact import PLOT_FILES
from wakesmith.fsio import atomic_path

if TYPE_CHECKING:
    from wakesmith.evaluate.report import EvalReport

DET_FILE = PLOT_FILES["det"]
SCORES_FILE = PLOT_FILES["scores"]
CONFUSION_FILE = PLOT_FILES["confusion"]
FIGSIZE = (7.0, 4.5)
DPI = 110
ZERO_FA_FRACTION = 0.5
"""FA/h of 0 cannot sit on a log axis: it is drawn at half the smallest rate one false accept gives."""


def _save(fig: Figure, target: Path) -> Path:
    FigureCanvasAgg(fig)
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    return target


def _points(report: EvalReport) -> list[tuple[str, float, float, float]]:
    """(names, threshold, FA/h, FRR) per distinct operating threshold: presets often coincide."""
    groups: dict[float, list[str]] = {}
    for p in report.operating_points:
        groups.setdefault(p.threshold, []).append(p.name)
    first = {p.threshold: p for p in reversed(report.operating_points)}
    return [(", ".join(names), t, first[t].fa_per_hour, first[t].frr) for t, names in groups.items()]


def det_figure(report: EvalReport) -> Figure:
    """FRR vs FA/h (log x) for all negative streams together and for each stream."""
    fig = Figure(figsize=FIGSIZE)
    ax = fig.add_subplot()
    frr = 100 * np.asarray(report.frr)
    hours = [s.hours for s in report.streams if s.hours > 0]
    floor = ZERO_FA_FRACTION / max(sum(hours), 1e-9)
    series = [("all negatives", report.fa_per_hour, 2.0)] + [
        (s.name, s.fa_per_hour, 1.0) for s in report.streams
    ]
    for name, fa, width in series:
        ax.step(np.maximum(fa, floor), frr, where="post", label=name, linewidth=width)
    for names, threshold, fa_h, miss in _points(report):
        xy = (max(fa_h, floor), 100 * miss)
        ax.plot(*xy, "o", markersize=5, color="black")
        ax.annotate(f"{names} ({threshold:.3f})", xy, textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.axvline(floor, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("false accepts per hour (dotted line: 0)")
    ax.set_ylabel("false-reject rate (%)")
    ax.set_ylim(-2, 102)
    ax.set_title(f"DET: {report.model_id}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def scores_figure(report: EvalReport) -> Figure:
    """Histograms of positive clip max scores vs negative window max scores, with operating points."""
    fig = Figure(figsize=FIGSIZE)
    ax = fig.add_subplot()
    h = report.histogram
    edges = np.asarray(h.edges)
    widths = np.diff(edges)
    for counts, label, color in (
        (h.negative, "negative windows", "tab:red"),
        (h.positive, "positive clips", "tab:green"),
    ):
        ax.bar(edges[:-1], counts, width=widths, align="edge", alpha=0.55, label=label, color=color)
    for names, threshold, _, _ in _points(report):
        ax.axvline(threshold, color="black", linestyle="--", linewidth=0.8)
        ax.text(
            threshold,
            0.98,
            names,
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            transform=ax.get_xaxis_transform(),
        )
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("max smoothed score")
    ax.set_ylabel("count")
    ax.set_title(f"scores: {report.positives} positive clips, EER {100 * report.eer:.1f} %")
    ax.legend(fontsize=8, loc="upper center")
    fig.tight_layout()
    return fig


def confusion_figure(report: EvalReport) -> Figure:
    """The clip-level confusion matrix at the default operating point."""
    fig = Figure(figsize=(4.5, 4.0))
    ax = fig.add_subplot()
    cm = np.asarray(report.confusion)
    ax.imshow(cm / np.maximum(cm.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
    for (row, col), n in np.ndenumerate(cm):
        share = n / max(cm[row].sum(), 1)
        ax.text(
            col,
            row,
            f"{n}\n{100 * share:.1f} %",
            ha="center",
            va="center",
            color="white" if share > 0.5 else "black",
        )
    labels = ["negative", "wake word"]
    ax.set_xticks([0, 1], labels)
    ax.set_yticks([0, 1], labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"threshold {report.confusion_threshold:.3f}")
    fig.tight_layout()
    return fig


def save_plots(report: EvalReport, folder: Path) -> list[Path]:
    """Write ``det.png``, ``scores.png`` and ``confusion.png`` into ``folder``."""
    folder = Path(folder)
    return [
        _save(det_figure(report), folder / DET_FILE),
        _save(scores_figure(report), folder / SCORES_FILE),
        _save(confusion_figure(report), folder / CONFUSION_FILE),
    ]
