"""A retrained model against the current one, on their held-out reports (the retrain blueprint's "better")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from wakesmith.artifact import Artifact
from wakesmith.evaluate.report import REPORT_FILE, EvalReport
from wakesmith.jobs.specs import COMPARE_FA_PER_HOUR, compare_to_current


def _copy_with_frr(src: Path, dst: Path, frr: float) -> Path:
    shutil.copytree(src, dst)
    report = json.loads((dst / REPORT_FILE).read_text())
    report["frr"] = [frr] * len(report["frr"])
    (dst / REPORT_FILE).write_text(json.dumps(report))
    return dst


def test_better_only_when_the_held_out_recall_is_higher(calibrated_sentry: Artifact, tmp_path: Path) -> None:
    new = calibrated_sentry.path
    recall = EvalReport.load(new).recall_at(COMPARE_FA_PER_HOUR)
    assert 0.0 < recall <= 1.0

    first = compare_to_current(new, None)
    assert first["better"] is True and first["current"] is None and first["new"] == round(recall, 4)

    perfect = _copy_with_frr(new, tmp_path / "perfect", 0.0)
    against = compare_to_current(new, perfect)
    assert against["current"] == 1.0 and against["better"] is (recall > 1.0)
    assert against["current_model"] == "perfect" and against["metric"] == "recall at 0.5 FA/h"

    deaf = _copy_with_frr(new, tmp_path / "deaf", 1.0)
    assert compare_to_current(new, deaf) == {
        **against,
        "current": 0.0,
        "current_model": "deaf",
        "better": True,
    }

    same = tmp_path / "same"
    shutil.copytree(new, same)
    assert compare_to_current(new, same)["better"] is False  # a tie goes to the model already serving
    assert compare_to_current(new, new)["current"] is None  # the current model itself: nothing to beat

    unevaluated = tmp_path / "unevaluated"
    shutil.copytree(new, unevaluated)
    (unevaluated / REPORT_FILE).unlink()
    assert compare_to_current(new, unevaluated)["better"] is True
