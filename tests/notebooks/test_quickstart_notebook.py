"""The Colab quickstart notebook runs top to bottom in a real Jupyter kernel, on a tiny dataset.

The test drops the install cell (the test environment is the install), replaces the cell tagged
``parameters`` with a tiny dataset and recipe, executes every other cell as written with nbclient,
and checks what a user downloads: the ESPHome model and manifest.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from wakesmith.config import SynthConfig

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parents[2] / "training" / "notebooks" / "quickstart.ipynb"
TINY_TRAIN = [
    "train.epochs=2",
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


def test_the_notebook_has_one_install_and_one_parameters_cell() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert len(_tagged(nb, "install")) == 1 and len(_tagged(nb, "parameters")) == 1
    (install,) = _tagged(nb, "install")
    assert (
        '"wakesmith[train,voices,edge] @ git+https://github.com/wakesmith/wakesmith"'
        in nb.cells[install].source
    )
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # committed without outputs


def test_quickstart_notebook_executes_on_tiny_data(tmp_path: Path, tiny_synth_config: SynthConfig) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (install,) = _tagged(nb, "install")
    (params,) = _tagged(nb, "parameters")
    # The tests' tiny espeak-ng dataset, as the SynthConfig fields it sets.
    synth = tiny_synth_config.model_dump(mode="json", exclude_unset=True, exclude={"phrase"})
    nb.cells[params].source = (
        f'PHRASE = "hey katya"\nHOME = {str(tmp_path / "home")!r}\n'
        f"SYNTH = {synth!r}\nTRAIN_OVERRIDES = {TINY_TRAIN!r}\n"
    )
    del nb.cells[install]
    NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()

    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "clips in 'hey_katya' (0 failed)" in outputs
    assert "default: threshold" in outputs and "FA/h on test speech" in outputs
    images = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})
    ]
    assert images, "the DET curve is displayed"
    (bundle,) = (tmp_path / "home").glob("hey_katya-sentry-*.zip")
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("hey_katya.json"))
    assert {"hey_katya.json", manifest["model"]} <= names
    assert manifest["wake_word"].lower() == "hey katya" and manifest["micro"]["probability_cutoff"] > 0
