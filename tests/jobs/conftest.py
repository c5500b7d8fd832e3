"""Job runner fixtures: a data home with the code-made tiny dataset."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from wakesmith.home import Home

sys.path.insert(0, str(Path(__file__).parent))
from tiny_data import make_dataset


@pytest.fixture
def tiny_data_home(tmp_path: Path) -> Home:
    return make_dataset(Home.resolve(tmp_path / "home").ensure())
