"""Hyperparameter search: Optuna's NSGA-II over recipe fields, two objectives, one editable table.

A study trains one model per trial — the recipe with the trial's values as ``key=value`` overrides —
and scores it twice: **validation recall at the recipe's false-accept budget** (``val/recall_at_fa``
of the checkpoint training selected; maximized) and **size** (parameters; minimized). NSGA-II
(Deb et al. 2002) keeps the trials no other trial beats on both. On top of its crossover and
mutation, an *exploit-and-explore* step (as population-based training does) enqueues, with
probability ``explore_p``, a copy of a Pareto-front trial with each number scaled by a random factor
within ±``mutation`` (categorical values resampled with that probability).

The study lives in an RDB: by default ``<home>/tune/<study>/study.sqlite``; an RDB URL
(``postgresql://…``) lets many workers on many machines share it. After every trial
``<home>/tune/<study>/trials.csv`` is rewritten (atomically): one row per trial — number, state,
parameters, objectives, model id. The table is editable: a row added without a trial number is a
trial to run, enqueued (and removed from the table) when a worker next starts on the study;
``pareto.png`` plots every trial and the front.

This module holds the search; :func:`wakesmith.api.tune` gives it the function that trains a trial.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from wakesmith.config import Section
from wakesmith.errors import ConfigError
from wakesmith.events import Emitter
from wakesmith.fsio import atomic_write_text
from wakesmith.home import Home

log = logging.getLogger(__name__)

STAGE = "tune"
RECALL = "recall"
PARAMETERS = "parameters"
BASE_COLUMNS = ("trial", "state")
RESULT_COLUMNS = (RECALL, PARAMETERS, "model_id", "error")
TABLE_FILE = "trials.csv"
PLOT_FILE = "pareto.png"
DEFAULT_STORAGE_FILE = "study.sqlite"


class SearchParam(Section):
    """One recipe field to search: a float or int range (optionally log-scaled) or a list of choices."""

    key: str
    """A recipe key as ``--set`` takes it, e.g. ``train.lr`` or ``model.params.channels``."""
    kind: Literal["float", "int", "choice"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: list[int | float | str | bool] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bounds(self) -> SearchParam:
        if self.kind == "choice":
            if len(self.choices) < 2:
                raise ValueError(f"{self.key}: a choice needs at least two values")
        elif self.low is None or self.high is None or not self.low < self.high:
            raise ValueError(f"{self.key}: a {self.kind} range needs low < high")
        elif self.log and self.low <= 0:
            raise ValueError(f"{self.key}: a log range needs low > 0")
        return self

    @classmethod
    def parse(cls, text: str) -> SearchParam:
        """``train.lr=float:1e-4:1e-2:log``, ``model.params.channels=int:16:64``,
        ``train.echo=choice:1,2,4``."""
        key, sep, spec = text.partition("=")
        kind, _, rest = spec.partition(":")
        if not sep or not key.strip() or kind not in ("float", "int", "choice"):
            raise ConfigError(
                f"Search parameter {text!r} is not KEY=float:LOW:HIGH[:log], KEY=int:LOW:HIGH[:log] or "
                "KEY=choice:A,B,… (e.g. train.lr=float:1e-4:1e-2:log)."
            )
        try:
            if kind == "choice":
                return cls(
                    key=key.strip(), kind="choice", choices=[yaml.safe_load(c) for c in rest.split(",")]
                )
            parts = rest.split(":")
            return cls(
                key=key.strip(),
                kind=kind,  # type: ignore[arg-type]
                low=float(parts[0]),
                high=float(parts[1]),
                log=len(parts) > 2 and parts[2] == "log",
            )
        except (ValueError, IndexError) as exc:
            raise ConfigError(f"Search parameter {text!r}: {exc}") from None

    def suggest(self, trial: Any) -> int | float | str | bool:
        if self.kind == "choice":
            return trial.suggest_categorical(self.key, self.choices)
        assert self.low is not None and self.high is not None
        if self.kind == "int":
            return int(trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log))
        return float(trial.suggest_float(self.key, self.low, self.high, log=self.log))

    def mutate(self, value: Any, rng: random.Random, amount: float) -> int | float | str | bool:
        """``value`` scaled by a factor within ±``amount`` (clipped to the range), or a resampled choice."""
        if self.kind == "choice":
            return rng.choice(self.choices) if rng.random() < amount else value
        assert self.low is not None and self.high is not None
        moved = min(self.high, max(self.low, float(value) * rng.uniform(1 - amount, 1 + amount)))
        return round(moved) if self.kind == "int" else moved


class TuneConfig(Section):
    """A search: which recipe, which fields over which ranges, how many trials, where the study lives."""

    recipe: str = "sentry"
    overrides: list[str] = Field(default_factory=list)
    """Fixed ``key=value`` overrides of every trial (before the searched values)."""
    space: list[SearchParam] = Field(default_factory=list)
    trials: int = 10
    """Completed trials the study should hold; a resumed study runs only the rest."""
    study: str = "tune"
    storage: str | None = None
    """An RDB URL; None: ``sqlite:///<home>/tune/<study>/study.sqlite``."""
    explore_p: float = 0.25
    mutation: float = 0.2
    startup_trials: int = 4
    """Trials before exploit-and-explore starts (NSGA-II samples them at random)."""
    seed: int = 0

    @field_validator("trials", "startup_trials")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be at least 1")
        return v

    @field_validator("explore_p", "mutation")
    @classmethod
    def _fraction(cls, v: float) -> float:
        if not 0.0 <= v <= 1.0:
            raise ValueError("must be in [0, 1]")
        return v

    @field_validator("study")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v or not all(c.isalnum() or c in "-_." for c in v) or v.startswith("."):
            raise ValueError("letters, digits, '-', '_' and '.' only")
        return v

    @model_validator(mode="after")
    def _space(self) -> TuneConfig:
        if not self.space:
            raise ValueError("give at least one search parameter (space)")
        keys = [p.key for p in self.space]
        if len(set(keys)) != len(keys):
            raise ValueError("a key is searched twice")
        return self


@dataclass
class TrialOutcome:
    """What training one trial gave: validation recall at the FA budget, parameters, the model."""

    recall: float
    parameters: int
    model_id: str


@dataclass
class TuneSummary:
    study: str
    folder: Path
    table: Path
    plot: Path | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    pareto: list[int] = field(default_factory=list)
    """Trial numbers on the Pareto front."""


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise ConfigError(
            'wakesmith tune needs optuna: pip install -e ".[tune]" (with constraints.txt).'
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def study_folder(home: Home, study: str) -> Path:
    return home.root / "tune" / study


def open_study(cfg: TuneConfig, home: Home, *, resume: bool) -> Any:
    """Create the study (refused if it exists, unless ``resume``) or load it (``resume``)."""
    optuna = _optuna()
    folder = study_folder(home, cfg.study)
    folder.mkdir(parents=True, exist_ok=True)
    storage = cfg.storage or f"sqlite:///{folder / DEFAULT_STORAGE_FILE}"
    names = {s.study_name for s in optuna.study.get_all_study_summaries(storage)}
    if cfg.study in names and not resume:
        raise ConfigError(
            f"Study {cfg.study!r} exists: pass --resume to continue it, or another --study name."
        )
    if cfg.study not in names and resume:
        raise ConfigError(f"No study {cfg.study!r} to resume in {storage}; start it without --resume.")
    sampler = optuna.samplers.NSGAIISampler(seed=cfg.seed)
    return optuna.create_study(
        study_name=cfg.study,
        storage=storage,
        sampler=sampler,
        directions=["maximize", "minimize"],
        load_if_exists=resume,
    )


def _enqueue_table_rows(study: Any, cfg: TuneConfig, table: Path) -> int:
    """Trials the user added to the table (rows without a trial number): enqueued; the rows go."""
    if not table.is_file():
        return 0
    added = 0
    with table.open(newline="") as f:
        for row in csv.DictReader(f):
            if (row.get("trial") or "").strip():
                continue
            params = {}
            for p in cfg.space:
                raw = (row.get(p.key) or "").strip()
                if raw:
                    params[p.key] = yaml.safe_load(raw)
            if params:
                study.enqueue_trial(params, skip_if_exists=True)
                added += 1
    return added


def _explore(study: Any, cfg: TuneConfig, rng: random.Random) -> bool:
    """Exploit and explore: enqueue a mutated copy of a random Pareto-front trial (``explore_p``)."""
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    if len(done) < cfg.startup_trials or rng.random() >= cfg.explore_p:
        return False
    parent = rng.choice(study.best_trials)
    params = {
        p.key: p.mutate(parent.params[p.key], rng, cfg.mutation) for p in cfg.space if p.key in parent.params
    }
    study.enqueue_trial(params)
    log.info("exploring around trial %d: %s", parent.number, params)
    return True


def rows_of(study: Any, cfg: TuneConfig) -> list[dict[str, Any]]:
    rows = []
    for t in study.trials:
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name}
        row |= {p.key: t.params.get(p.key, "") for p in cfg.space}
        values = t.values or ["", ""]
        row |= {RECALL: values[0], PARAMETERS: int(values[1]) if values[1] != "" else ""}
        row |= {"model_id": t.user_attrs.get("model_id", ""), "error": t.user_attrs.get("error", "")}
        rows.append(row)
    return rows


def write_table(rows: list[dict[str, Any]], cfg: TuneConfig, path: Path) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, [*BASE_COLUMNS, *(p.key for p in cfg.space), *RESULT_COLUMNS])
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(path, buf.getvalue())


def plot_pareto(rows: list[dict[str, Any]], front: list[int], path: Path) -> Path | None:
    """Recall against parameters for every completed trial, the front joined by a line."""
    done = [r for r in rows if r["state"] == "COMPLETE"]
    if not done:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter([r[PARAMETERS] for r in done], [r[RECALL] for r in done], c="0.6", label="trials")
    best = sorted((r for r in done if r["trial"] in front), key=lambda r: r[PARAMETERS])
    ax.plot([r[PARAMETERS] for r in best], [r[RECALL] for r in best], "o-", c="C3", label="Pareto front")
    for r in best:
        ax.annotate(str(r["trial"]), (r[PARAMETERS], r[RECALL]), textcoords="offset points", xytext=(4, 4))
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("validation recall at the FA/h budget")
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    from wakesmith.fsio import atomic_write_bytes

    return atomic_write_bytes(path, buf.getvalue())


def run_study(
    cfg: TuneConfig,
    home: Home,
    train_trial: Callable[[list[str]], TrialOutcome],
    emitter: Emitter,
    *,
    resume: bool = False,
) -> TuneSummary:
    """Run trials until the study holds ``cfg.trials`` completed ones; the table after each."""
    study = open_study(cfg, home, resume=resume)
    folder = study_folder(home, cfg.study)
    table, plot = folder / TABLE_FILE, folder / PLOT_FILE
    enqueued = _enqueue_table_rows(study, cfg, table)
    if enqueued:
        emitter.warning(STAGE, f"{enqueued} trial(s) added in {table.name} enqueued")
    rng = random.Random(cfg.seed + len(study.trials))
    done = sum(t.state.name == "COMPLETE" for t in study.trials)
    emitter.started(STAGE, total=cfg.trials, message=f"study {cfg.study}: {done} of {cfg.trials} trials done")
    while done < cfg.trials:
        _explore(study, cfg, rng)
        trial = study.ask()
        values = {p.key: p.suggest(trial) for p in cfg.space}
        overrides = [*cfg.overrides, *(f"{k}={v}" for k, v in values.items())]
        try:
            outcome = train_trial(overrides)
        except (
            ConfigError,
            ValueError,
        ) as exc:  # a combination the recipe refuses: the trial fails, the study goes on
            trial.set_user_attr("error", str(exc))
            study.tell(trial, state=_optuna().trial.TrialState.FAIL)
            emitter.warning(STAGE, f"trial {trial.number} failed: {exc}")
        else:
            trial.set_user_attr("model_id", outcome.model_id)
            study.tell(trial, [outcome.recall, float(outcome.parameters)])
            done += 1
            emitter.progress(
                STAGE,
                done,
                cfg.trials,
                f"trial {trial.number}: recall {outcome.recall:.3f}, {outcome.parameters} parameters",
            )
        write_table(rows_of(study, cfg), cfg, table)
    rows = rows_of(study, cfg)
    write_table(rows, cfg, table)
    front = sorted(t.number for t in study.best_trials)
    written = plot_pareto(rows, front, plot)
    emitter.finished(STAGE, f"Pareto front: trials {front}", table=str(table))
    return TuneSummary(cfg.study, folder, table, written, rows, front)


def recall_of(history: list[dict[str, Any]], best_score: float) -> float:
    """Validation recall at the FA budget of the checkpoint training selected (the epoch whose
    ``val/select`` is the best score; the last epoch when none matches)."""
    if not history:
        return 0.0
    chosen = min(history, key=lambda h: abs(h.get("val/select", math.inf) - best_score))
    return float(chosen.get("val/recall_at_fa", 0.0))
