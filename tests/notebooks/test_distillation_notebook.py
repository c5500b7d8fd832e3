"""The distillation walkthrough runs top to bottom in a real Jupyter kernel, on a tiny dataset: a teacher
is trained, the sentry trained plain and distilled from the same seed, both evaluated."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from wakesmith.config import SynthConfig

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parents[2] / "training" / "notebooks" / "distillation.ipynb"
TINY = [
    "train.epochs=1",
    "train.samples_per_epoch=96",
    "train.batch_size=32",
    "train.num_workers=0",
    "eval.speech_hours=0.03",
    "eval.confusable_hours=0.03",
    "eval.calibration_hours=0.03",
    "eval.unseen_positives=4",
    "eval.unseen_speech_clips=4",
    "eval.unseen_speech_hours=0.02",
]


def _tagged(nb: nbformat.NotebookNode, tag: str) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if tag in c.get("metadata", {}).get("tags", [])]


def test_the_notebook_is_committed_clean_with_its_install_and_parameters() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert len(_tagged(nb, "install")) == 1 and len(_tagged(nb, "parameters")) == 1
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_distillation_notebook_executes_on_tiny_data(tmp_path: Path, tiny_synth_config: SynthConfig) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (install,) = _tagged(nb, "install")
    (params,) = _tagged(nb, "parameters")
    synth = tiny_synth_config.model_dump(mode="json", exclude_unset=True, exclude={"phrase"})
    nb.cells[params].source = (
        f'PHRASE = "hey katya"\nHOME = {str(tmp_path / "home")!r}\nSYNTH = {synth!r}\n'
        f'TEACHER = "judge"\nTEACHER_OVERRIDES = {TINY!r}\n'
        f"STUDENT_OVERRIDES = {['model.params.channels=16', 'model.params.blocks=2', *TINY]!r}\n"
        'DISTILLATION = ["distillation.temperature=2.0", "distillation.alpha=0.5"]\n'
    )
    del nb.cells[install]
    NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()

    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert re.search(r"teacher: hey_katya-judge-\S+ judge_resnet", outputs)
    sizes = re.findall(r"(plain|distilled): hey_katya-sentry-\S+, ([\d,]+) parameters", outputs)
    assert [name for name, _ in sizes] == ["plain", "distilled"]
    assert sizes[0][1] == sizes[1][1]  # the teacher does not ship
    for name in ("plain", "distilled"):
        assert re.search(rf"{name}\s+default: [\d.]+ FA/h on test speech", outputs)
