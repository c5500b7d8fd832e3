"""``wakesmith`` command line: flags → typed configs → :mod:`wakesmith.api`. No logic lives here."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from wakesmith import api
from wakesmith.cli import judge as judge_cli
from wakesmith.cli import satellite as satellite_cli
from wakesmith.cli import serve as serve_cli
from wakesmith.cli.progress import RichProgress
from wakesmith.config import SynthConfig, list_presets, validate
from wakesmith.errors import ConfigError, WakesmithError
from wakesmith.events import Emitter

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Create your own wake word.")
dataset_app = typer.Typer(no_args_is_help=True, help="Manage the clips a wake word is trained on.")
app.add_typer(dataset_app, name="dataset")
console = Console()
T = TypeVar("T")

HomeOpt = Annotated[Path | None, typer.Option("--home", help="Data home (default: $WAKESMITH_HOME).")]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="Override a recipe key: --set train.epochs=5")
]
DatasetArg = Annotated[str, typer.Argument(help="Dataset name (the phrase's slug, e.g. hey_katya).")]


def _run(fn: Callable[[Emitter], T], *, verbose: bool = False) -> T:
    """Run an API call with progress bars; a WakesmithError becomes a one-line message and exit 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        with RichProgress(verbose=verbose) as bars:
            return fn(Emitter(bars))
    except WakesmithError as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None


def _print_json(obj: Any) -> None:
    """Print a result object (pydantic model, dataclass, or plain data) as JSON."""
    for method in ("as_dict", "to_dict", "model_dump"):
        if hasattr(obj, method):
            obj = getattr(obj, method)()
            break
    else:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            obj = dataclasses.asdict(obj)
    console.print_json(json.dumps(obj, default=str))


@app.command()
def quickstart(
    phrase: Annotated[str, typer.Argument(help='The wake word, e.g. "hey katya".')],
    sets: SetOpt = None,
    synth_set: Annotated[
        list[str] | None, typer.Option("--synth", help="Override synthesis: --synth positives=500")
    ] = None,
    skip_judge: Annotated[bool, typer.Option(help="Train only the sentry.")] = False,
    language: Annotated[
        str, typer.Option(help="The phrase's language: en, de (German) or fr (French).")
    ] = "en",
    home: HomeOpt = None,
) -> None:
    """Synthesize data, train sentry + judge, evaluate, calibrate and export: the whole job."""
    synth_sets = [*(synth_set or []), *([f"language={language}"] if language != "en" else [])]
    summary = _run(
        lambda em: api.quickstart(
            phrase,
            synth=_synth_config(phrase, synth_sets) if synth_sets else None,
            overrides=sets,
            skip_judge=skip_judge,
            home=home,
            emitter=em,
        )
    )
    from wakesmith.cli.tables import quickstart_table

    console.print(quickstart_table(summary))


def _synth_config(phrase: str, sets: list[str] | None) -> SynthConfig:
    return validate(SynthConfig, {"phrase": phrase, **dict(_kv(s) for s in sets or [])}, "synthesis settings")


def _kv(item: str) -> tuple[str, Any]:
    import yaml

    if "=" not in item:
        raise ConfigError(f"{item!r} is not of the form key=value")
    key, value = item.split("=", 1)
    return key, yaml.safe_load(value)


@app.command()
def synth(
    phrase: Annotated[str, typer.Argument(help="The wake word.")],
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="Synthesis setting: --set positives=500")
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Synthesize positives, phonetic confusables, negative speech and backgrounds (espeak-ng)."""
    result = _run(lambda em: api.synthesize(_synth_config(phrase, sets), home=home, emitter=em))
    _print_json(result)


@app.command()
def train(
    recipe: Annotated[
        str, typer.Argument(help=f"Recipe YAML path or preset name ({', '.join(list_presets())}).")
    ],
    sets: SetOpt = None,
    phrase: Annotated[str | None, typer.Option(help="Wake word (overrides the recipe's).")] = None,
    home: HomeOpt = None,
) -> None:
    """Train a model from a recipe; prints the artifact folder."""
    overrides = [*(sets or []), *([f"phrase={phrase}"] if phrase else [])]
    summary = _run(lambda em: api.train(recipe, overrides=overrides, home=home, emitter=em), verbose=True)
    console.print(f"model: {summary.artifact.path}")


@app.command()
def tune(
    param: Annotated[
        list[str] | None,
        typer.Option(
            help="A field to search: KEY=float:LOW:HIGH[:log], KEY=int:LOW:HIGH[:log] or KEY=choice:A,B "
            "(e.g. train.lr=float:1e-4:1e-2:log). Repeat for more."
        ),
    ] = None,
    recipe: Annotated[str, typer.Option(help="Recipe YAML path or preset name.")] = "sentry",
    sets: SetOpt = None,
    trials: Annotated[int, typer.Option(help="Completed trials the study should hold.")] = 10,
    study: Annotated[str, typer.Option(help="Study name (its folder: <home>/tune/<study>).")] = "tune",
    storage: Annotated[
        str | None, typer.Option(help="RDB URL shared by many workers (default: SQLite in the study folder).")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the study (and run rows added to its table).")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Search recipe fields with Optuna NSGA-II: validation recall at the FA/h budget vs parameters."""
    from wakesmith.cli.tables import tune_table
    from wakesmith.config import validate
    from wakesmith.tune import SearchParam, TuneConfig

    space = [SearchParam.parse(p).model_dump() for p in (param or [])]
    cfg = validate(
        TuneConfig,
        {
            "recipe": recipe,
            "overrides": sets or [],
            "space": space,
            "trials": trials,
            "study": study,
            "storage": storage,
        },
        "tuning settings",
    )
    summary = _run(lambda em: api.tune(cfg, resume=resume, home=home, emitter=em), verbose=True)
    console.print(tune_table(summary))
    console.print(f"table: {summary.table}", soft_wrap=True, highlight=False)
    if summary.plot is not None:
        console.print(f"Pareto front: {summary.plot}", soft_wrap=True, highlight=False)


@app.command()
def evaluate(
    model: Annotated[
        str, typer.Argument(help="Model folder, model id, sentry/judge (the current one), or cascade.")
    ],
    sentry: Annotated[str, typer.Option(help="cascade: the sentry (default: the current one).")] = "sentry",
    judge: Annotated[str, typer.Option(help="cascade: the judge (default: the current one).")] = "judge",
    home: HomeOpt = None,
) -> None:
    """Evaluate the exported file (FA/h, FRR, DET) and calibrate its thresholds; then the cascade, when
    a sentry and a judge of the same dataset exist (``evaluate cascade`` evaluates only the cascade)."""
    from wakesmith.cli.tables import cascade_table, report_table

    if model != "cascade":
        report = _run(lambda em: api.evaluate(model, home=home, emitter=em))
        console.print(report_table(report))
        pair = api.cascade_pair(model, home=home)
        if pair is None:
            return
        # The judge's cascade thresholds are for the sentry deployed beside it: another sentry's cascade
        # is measured and reported, and the judge left as it is.
        ship = api.is_current(pair[0], home=home)
        sentry, judge = (str(a.path) for a in pair)
    else:
        ship = True
    cascade = _run(lambda em: api.evaluate_cascade(sentry, judge, home=home, emitter=em, ship=ship))
    console.print(cascade_table(cascade))
    if not ship:
        console.print(
            f"{cascade.judge_id}'s cascade thresholds are unchanged: {cascade.sentry_id} is not the current "
            f"sentry (`wakesmith bless {cascade.sentry_id}`, then `wakesmith evaluate cascade`, ships them).",
            soft_wrap=True,
            highlight=False,
        )


@app.command()
def export(
    model: Annotated[
        str | None, typer.Argument(help="Model folder, model id, or sentry/judge.", show_default=False)
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Export format (see --list).")] = "onnx",
    out: Annotated[
        Path | None,
        typer.Option(help="Output file (with the format's suffix) or folder (default: in the artifact)."),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the export formats and exit.")] = False,
    home: HomeOpt = None,
) -> None:
    """Export a model in one of the formats of the export table."""
    if list_:
        from wakesmith.cli.tables import formats_table

        console.print(formats_table(api.export_formats()))
        return
    if model is None:
        console.print("[red]error:[/red] give a model to export (or --list for the formats).")
        raise typer.Exit(2)
    path = _run(lambda em: api.export(model, fmt, out=out, home=home, emitter=em))
    console.print(str(path))


@app.command()
def detect(
    model: Annotated[str, typer.Argument(help="Model folder, model id, or sentry/judge.")],
    audio: Annotated[Path, typer.Argument(help="A WAV/FLAC/OGG file (converted to 16 kHz mono).")],
    preset: Annotated[str, typer.Option(help="Threshold preset: sensitive, default, strict.")] = "default",
    home: HomeOpt = None,
) -> None:
    """Stream a file through the detector; prints each detection with its timestamp and score."""
    detections = _run(lambda em: api.detect(model, audio, preset=preset, home=home))
    for d in detections:
        console.print(f"{d.time_s:8.2f} s  score {d.score:.3f}")
    if not detections:
        console.print("no detection")


@app.command()
def mine(
    model: Annotated[str, typer.Argument(help="An evaluated model: folder, model id, or sentry/judge.")],
    hours: Annotated[float, typer.Option(help="Hours of the train split's speech to listen to.")] = 2.0,
    preset: Annotated[
        str, typer.Option(help="Calibrated threshold to mine at: sensitive, default, strict.")
    ] = "default",
    threshold: Annotated[
        float | None, typer.Option(help="A threshold of your own (0-1) instead of the preset's.")
    ] = None,
    max_clips: Annotated[
        int, typer.Option(help="Most clips added: the highest-scoring false accepts.")
    ] = 500,
    home: HomeOpt = None,
) -> None:
    """Mine hard negatives: the model's false accepts on the train split's speech, added to that split."""
    import shlex

    from wakesmith.cli.tables import mine_table

    report = _run(
        lambda em: api.mine(
            model,
            hours=hours,
            preset=preset,
            threshold=threshold,
            max_clips=max_clips,
            home=home,
            emitter=em,
        )
    )
    console.print(mine_table(report))
    if not report.clips_added:
        console.print(
            "no new hard negatives: nothing new to train on (try --preset sensitive or more --hours)",
            soft_wrap=True,
        )
        return
    command = ["wakesmith", "train", str(report.recipe), *(["--home", str(home)] if home else [])]
    console.print(f"next: {shlex.join(command)}", soft_wrap=True, highlight=False)


@app.command()
def models(home: HomeOpt = None) -> None:
    """List trained models."""
    from wakesmith.artifact import list_artifacts, read_current

    h = api._home(home)
    current = set(read_current(h).values())
    for art in list_artifacts(h):
        meta = art.metadata
        mark = "*" if meta.model_id in current else " "
        console.print(f"{mark} {meta.model_id}  {meta.role}  {meta.parameters} params  {art.path}")


# ----------------------------------------------------------------------------- dataset


@dataset_app.command("scan")
def dataset_scan(folder: Path, dataset: DatasetArg, home: HomeOpt = None) -> None:
    """Import a folder: labels from sub-folder names (positive/, negative/, background/…)."""
    report = _run(lambda em: api.scan(folder, dataset=dataset, home=home))
    _print_json(report)


@dataset_app.command("captures")
def dataset_captures(
    folder: Annotated[Path, typer.Argument(help="The Judge's capture folder (holds rejected/).")],
    dataset: DatasetArg,
    accepted: Annotated[bool, typer.Option(help="Also import accepted triggers as positives.")] = False,
    home: HomeOpt = None,
) -> None:
    """Import the Judge's rejected triggers as hard negatives (and accepted ones as positives)."""
    report = _run(
        lambda em: api.import_captures(folder, dataset=dataset, include_accepted=accepted, home=home)
    )
    _print_json(report)


@dataset_app.command("import")
def dataset_import(
    path: Path, dataset: Annotated[str | None, typer.Option()] = None, home: HomeOpt = None
) -> None:
    """Import clips from a JSONL export."""
    n = _run(lambda em: api.import_jsonl(path, dataset=dataset, home=home))
    console.print(f"imported {n} clips")


@dataset_app.command("export")
def dataset_export(dataset: DatasetArg, path: Path, home: HomeOpt = None) -> None:
    """Write the dataset as JSONL (one clip per line, audio paths absolute)."""
    n = _run(lambda em: api.export_jsonl(dataset, path, home=home))
    console.print(f"exported {n} clips to {path}")


@dataset_app.command("list")
def dataset_list(
    dataset: DatasetArg,
    split: Annotated[str | None, typer.Option()] = None,
    label: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 50,
    home: HomeOpt = None,
) -> None:
    """List clips."""
    clips = _run(lambda em: api.list_clips(dataset, split=split, label=label, home=home))
    table = Table("id", "label", "split", "speaker", "seconds", "text")
    for c in clips[:limit]:
        table.add_row(c.id, c.label, str(c.split), c.speaker, f"{c.duration_s:.2f}", c.text)
    console.print(table)
    console.print(f"{len(clips)} clips")


@dataset_app.command("health")
def dataset_health(dataset: DatasetArg, home: HomeOpt = None) -> None:
    """Counts, minutes, balance, levels and warnings."""
    report = _run(lambda em: api.health(dataset, home=home))
    _print_json(report)


@dataset_app.command("split")
def dataset_split(dataset: DatasetArg, home: HomeOpt = None) -> None:
    """Assign train/val/test splits (80/10/10, grouped by speaker, deterministic)."""
    _print_json(_run(lambda em: api.split(dataset, home=home)))


app.command("judge")(judge_cli.judge)
app.command("judge-addon")(judge_cli.judge_addon)
app.command("satellite")(satellite_cli.satellite)
serve_cli.register(app)

if __name__ == "__main__":
    app()
