"""Studio fixtures: the real app over a tmp data home (real SQLite, real audio), a trained tiny sentry."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from wakesmith.home import Home
from wakesmith.server.app import create_app
from wakesmith.server.settings import ServerSettings

sys.path.insert(0, str(Path(__file__).parents[1] / "jobs"))
sys.path.insert(0, str(Path(__file__).parent))
from studio_client import AUTH, TOKEN, MakeClient
from tiny_data import DATASET, FAST, make_dataset


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home.resolve(tmp_path / "home").ensure()


@pytest.fixture
def make_client(home: Home, tmp_path: Path) -> Iterator[MakeClient]:
    """``make_client(**settings)``: a client of a fresh app over ``home`` (token sent unless told)."""
    made: list[TestClient] = []

    def make(
        *, auth: bool = True, client: tuple[str, int] = ("testclient", 50000), **values: Any
    ) -> TestClient:
        settings = ServerSettings.model_validate(
            {"home": home.root, "share_folder": tmp_path / "share", **values}
        )
        c = TestClient(
            create_app(settings, token=TOKEN if settings.mode == "standalone" else None),
            headers=AUTH if auth else {},
            raise_server_exceptions=False,
            client=client,
        )
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A home with the code-made tiny dataset and one tiny sentry trained on it (shared: copy it)."""
    from wakesmith import api

    home = make_dataset(Home.resolve(tmp_path_factory.mktemp("trained") / "home").ensure())
    overrides = [f"dataset={DATASET}"] + [f"{k}={v}" for k, v in FAST.items()]
    api.train("tiny", overrides=overrides, home=home)
    return home


@pytest.fixture
def model_home(trained_home: Home, home: Home) -> Home:
    """A private copy of :func:`trained_home` at ``home`` (what ``client`` serves): ask for it before
    ``client``, whose app opens the home's databases."""
    shutil.rmtree(home.root)
    shutil.copytree(trained_home.root, home.root, ignore=shutil.ignore_patterns("runs"))
    return home
