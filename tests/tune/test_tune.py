"""``wakesmith tune``: the search (NSGA-II, exploit-and-explore, resume, the editable table, failures)
on an analytic objective, and the real thing end to end on the tiny recipe."""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wakesmith.artifact import resolve_artifact
from wakesmith.errors import ConfigError
from wakesmith.events import Emitter
from wakesmith.home import Home
from wakesmith.tune import SearchParam, TrialOutcome, TuneConfig, run_study

pytest.importorskip("optuna")

SPACE = [
    {"key": "model.params.channels", "kind": "int", "low": 8, "high": 64},
    {"key": "train.lr", "kind": "float", "low": 1e-4, "high": 1e-1, "log": True},
    {"key": "train.echo", "kind": "choice", "choices": [1, 2, 4]},
]


def _cfg(**kw: object) -> TuneConfig:
    return TuneConfig.model_validate({"recipe": "tiny", "space": SPACE, "trials": 8, "study": "s", **kw})


class Analytic:
    """A stand-in trainer with a known trade-off: more channels, more recall and more parameters;
    the best learning rate is 1e-2. Records every trial's overrides."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []

    def __call__(self, overrides: list[str]) -> TrialOutcome:
        values = dict(o.split("=", 1) for o in overrides)
        self.calls.append(values)
        channels, lr = int(values["model.params.channels"]), float(values["train.lr"])
        recall = channels / 64 - abs(math.log10(lr) + 2) / 10
        return TrialOutcome(recall, channels * 100, f"m{len(self.calls)}")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_search_parameters_parse_and_mutate_within_their_ranges() -> None:
    assert SearchParam.parse("train.lr=float:1e-4:1e-2:log") == SearchParam(
        key="train.lr", kind="float", low=1e-4, high=1e-2, log=True
    )
    assert SearchParam.parse("train.echo=choice:1,2,4").choices == [1, 2, 4]
    assert SearchParam.parse("augment.specaugment=choice:true,false").choices == [True, False]
    for bad in (
        "train.lr",
        "train.lr=uniform:1:2",
        "train.lr=float:2:1",
        "train.lr=float:0:1:log",
        "x=choice:1",
    ):
        with pytest.raises(ConfigError):
            SearchParam.parse(bad)
    rng = random.Random(0)
    channels = SearchParam(key="c", kind="int", low=8, high=64)
    moved = [channels.mutate(60, rng, 0.5) for _ in range(200)]
    assert all(isinstance(v, int) and 8 <= v <= 64 for v in moved) and len(set(moved)) > 10
    with pytest.raises(ConfigError, match="searched twice"):
        from wakesmith.config import validate

        validate(TuneConfig, {"space": [SPACE[0], SPACE[0]]}, "tuning settings")


def test_a_study_finds_the_front_writes_its_table_and_resumes(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path).ensure()
    trainer = Analytic()
    summary = run_study(_cfg(), home, trainer, Emitter())
    rows = _rows(summary.table)
    done = [r for r in rows if r["state"] == "COMPLETE"]
    assert len(done) == 8
    assert [r["model_id"] for r in done] == [
        f"m{i}" for i in range(1, len(trainer.calls) + 1) if f"m{i}" in {r["model_id"] for r in done}
    ]
    # The front is exactly the non-dominated completed trials (recall up, parameters down).
    points = {int(r["trial"]): (float(r["recall"]), int(r["parameters"])) for r in done}
    front = {
        n
        for n, (rec, par) in points.items()
        if not any(r2 >= rec and p2 <= par and (r2, p2) != (rec, par) for r2, p2 in points.values())
    }
    assert set(summary.pareto) == front
    assert summary.plot is not None and summary.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Every trial trained the recipe with its own values, within the ranges.
    for call in trainer.calls:
        assert 8 <= int(call["model.params.channels"]) <= 64 and call["train.echo"] in ("1", "2", "4")

    with pytest.raises(ConfigError, match="exists: pass --resume"):
        run_study(_cfg(), home, trainer, Emitter())
    more = run_study(_cfg(trials=11), home, trainer, Emitter(), resume=True)
    assert sum(r["state"] == "COMPLETE" for r in more.rows) == 11
    assert len(trainer.calls) >= 11
    with pytest.raises(ConfigError, match="No study 'other' to resume"):
        run_study(_cfg(study="other"), home, trainer, Emitter(), resume=True)


def test_exploit_and_explore_copies_front_trials_with_mutations(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path).ensure()
    trainer = Analytic()
    # mutation 0: an explored trial is an exact copy of a front trial's values.
    run_study(_cfg(trials=6, startup_trials=3, explore_p=1.0, mutation=0.0), home, trainer, Emitter())
    seen = [tuple(sorted(c.items())) for c in trainer.calls]
    assert all(seen[i] in seen[:i] for i in range(3, 6))
    home2 = Home.resolve(tmp_path / "b").ensure()
    wide = Analytic()
    run_study(_cfg(trials=6, startup_trials=3, explore_p=1.0, mutation=0.5), home2, wide, Emitter())
    later = [tuple(sorted(c.items())) for c in wide.calls[3:]]
    assert any(v not in [tuple(sorted(c.items())) for c in wide.calls[:3]] for v in later)


def test_rows_added_to_the_table_are_the_next_trials(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path).ensure()
    trainer = Analytic()
    summary = run_study(_cfg(trials=2), home, trainer, Emitter())
    with summary.table.open("a", newline="") as f:
        csv.writer(f).writerow(["", "", 33, 0.005, 2, "", "", "", ""])
    run_study(_cfg(trials=3), home, trainer, Emitter(), resume=True)
    assert trainer.calls[-1] == {"model.params.channels": "33", "train.lr": "0.005", "train.echo": "2"}
    rows = _rows(summary.table)
    assert [r["trial"] for r in rows] == ["0", "1", "2"]  # the hand-written row is now trial 2


def test_a_trial_the_recipe_refuses_fails_alone(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path).ensure()
    calls: list[list[str]] = []

    def refuses_first(overrides: list[str]) -> TrialOutcome:
        calls.append(overrides)
        if len(calls) == 1:
            raise ConfigError("Model 'sentry_tcn' rejected parameters")
        return TrialOutcome(0.5, 100, "ok")

    summary = run_study(_cfg(trials=1), home, refuses_first, Emitter())
    assert [(r["state"], r["error"]) for r in summary.rows] == [
        ("FAIL", "Model 'sentry_tcn' rejected parameters"),
        ("COMPLETE", ""),
    ]


@pytest.mark.slow
def test_tune_trains_real_trials_from_the_command_line(home_copy: Home) -> None:
    from wakesmith.cli.main import app

    args = [
        "tune",
        "--recipe",
        "tiny",
        "--param",
        "model.params.channels=int:8:16",
        "--param",
        "train.lr=float:1e-3:1e-2:log",
        "--set",
        "train.epochs=1",
        "--trials",
        "2",
        "--study",
        "smoke",
        "--home",
        str(home_copy.root),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Pareto front" in result.output
    rows = _rows(home_copy.root / "tune" / "smoke" / "trials.csv")
    assert [r["state"] for r in rows] == ["COMPLETE", "COMPLETE"]
    for row in rows:
        artifact = resolve_artifact(row["model_id"], home_copy)
        meta = artifact.metadata
        assert meta.model.params["channels"] == int(row["model.params.channels"])
        assert meta.parameters == int(row["parameters"])
        assert 0.0 <= float(row["recall"]) <= 1.0
    again = CliRunner().invoke(
        app, [*args[:-4], "--trials", "2", "--study", "smoke", "--home", str(home_copy.root)]
    )
    assert again.exit_code == 2 and "--resume" in again.output
