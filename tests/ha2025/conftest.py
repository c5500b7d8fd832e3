"""Home Assistant 2025.4 harness for ``custom_components/wakesmith``, against a real Judge process.

This folder runs in its own environment (``nox -s ha2025``: ``homeassistant==2025.4.*`` on Python
3.13 + ``pytest-homeassistant-custom-component``), which cannot hold wakesmith's stack. As in
``tests/ha``, two variables connect the two worlds:

- ``WAKESMITH_JUDGE_PYTHON``: the Python of an environment where ``wakesmith[judge]`` is installed;
- ``WAKESMITH_JUDGE_FIXTURE``: a folder made by ``tests/ha/prepare.py`` (model + clips).

The Judge (``ha_judge.Judge``) is started with a token and a capture folder on fixed loopback ports,
so a test can stop it and start it again where the integration expects it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # custom_components/ is imported from the repository
sys.path.insert(0, str(HERE))

import custom_components  # noqa: E402
from ha_judge import Judge, required  # noqa: E402

# pytest-homeassistant-custom-component imports its own ``custom_components`` package first: ours
# joins its path, so Home Assistant's loader finds ``wakesmith`` there.
OURS = str(HERE.parents[1] / "custom_components")
if OURS not in custom_components.__path__:
    custom_components.__path__.insert(0, OURS)


def pytest_configure(config: pytest.Config) -> None:
    # Home Assistant's fixtures (``hass``) are async generators: pytest-asyncio must run in auto mode.
    config.option.asyncio_mode = "auto"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load ``custom_components/wakesmith``."""


@pytest.fixture(scope="session")
def judge_fixture() -> dict[str, str]:
    folder = Path(required("WAKESMITH_JUDGE_FIXTURE"))
    manifest = folder / "fixture.json"
    if not manifest.is_file():
        pytest.fail(f"No judge fixture in {folder}: run `python tests/ha/prepare.py {folder}` first.")
    return dict(json.loads(manifest.read_text()))


@pytest.fixture(scope="module")
def judge(judge_fixture: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Judge]:
    """One Judge process per test module (restarted by the tests that stop it)."""
    j = Judge(tmp_path_factory.mktemp("judge"), judge_fixture)
    j.start()
    yield j
    j.stop()
