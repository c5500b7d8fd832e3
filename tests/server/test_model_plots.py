"""``/api/models/{id}/plots/{name}``: the evaluation's PNGs from the model folder, and only those."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from studio_client import MakeClient

from wakesmith.artifact import Artifact
from wakesmith.evaluate.plots import CONFUSION_FILE, DET_FILE, SCORES_FILE
from wakesmith.home import Home
from wakesmith.runtime import fake_metadata

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EVALUATED = "hey-fake-sentry-20250101-120000"
UNEVALUATED = "hey-fake-judge-20250101-120000"


@pytest.fixture
def models(home: Home) -> dict[str, bytes]:
    """Two models in ``home``: one with the plots evaluation writes (name → its bytes), one without."""
    evaluated = Artifact(home.models / EVALUATED)
    evaluated.path.mkdir(parents=True)
    evaluated.save_metadata(fake_metadata("sentry", model_id=EVALUATED))
    plots = {}
    for name, file in (("det", DET_FILE), ("scores", SCORES_FILE), ("confusion", CONFUSION_FILE)):
        plots[name] = PNG_SIGNATURE + f"{name} plot".encode()
        (evaluated.path / file).write_bytes(plots[name])
    unevaluated = Artifact(home.models / UNEVALUATED)
    unevaluated.path.mkdir(parents=True)
    unevaluated.save_metadata(fake_metadata("judge", model_id=UNEVALUATED))
    return plots


def test_each_plot_is_served_as_a_png(models: dict[str, bytes], client: TestClient) -> None:
    for name, content in models.items():
        r = client.get(f"/api/models/{EVALUATED}/plots/{name}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/png"
        assert r.content == content
    assert client.get(f"/api/models/{EVALUATED}").json()["plots"] == ["det", "scores", "confusion"]
    assert client.get(f"/api/models/{UNEVALUATED}").json()["plots"] == []


def test_unknown_names_and_missing_plots_are_404_saying_why(
    models: dict[str, bytes], home: Home, client: TestClient
) -> None:
    unknown = client.get(f"/api/models/{EVALUATED}/plots/metadata")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "No plot 'metadata': the plots are det, scores, confusion."
    missing = client.get(f"/api/models/{UNEVALUATED}/plots/det")
    assert missing.status_code == 404
    assert f"run `wakesmith evaluate {UNEVALUATED}` first" in missing.json()["detail"]
    stray = home.models / "stray"  # a folder without metadata.json is no model, plots or not
    stray.mkdir()
    (stray / DET_FILE).write_bytes(PNG_SIGNATURE)
    for not_a_model in ("nope", "stray"):
        r = client.get(f"/api/models/{not_a_model}/plots/det")
        assert r.status_code == 404
        assert f"No model '{not_a_model}'" in r.json()["detail"]


def test_plots_need_the_token(models: dict[str, bytes], make_client: MakeClient) -> None:
    r = make_client(auth=False).get(f"/api/models/{EVALUATED}/plots/det")
    assert r.status_code == 401
    assert "Authorization: Bearer" in r.json()["detail"]


@pytest.mark.parametrize("ref", ["%2E", "%2E%2E", "..%2F..", "%2Fetc"])
def test_a_model_id_is_a_name_never_a_path(models: dict[str, bytes], client: TestClient, ref: str) -> None:
    """``.`` would otherwise name the server's working directory (and download would zip it)."""
    for route in ("", "/download", "/plots/det"):
        r = client.get(f"/api/models/{ref}{route}")
        assert r.status_code == 404, (route, r.status_code)
        assert "zip" not in r.headers.get("content-type", "")
    target = {"kind": "custom_wake_words", "folder": "/tmp/never-written"}
    r = client.post("/api/deploy", json={"model_id": "/etc", "targets": [target]})
    assert r.status_code == 404 and "No model '/etc'" in r.json()["detail"]
