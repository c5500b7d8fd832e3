"""Deploy to a real Judge from a real browser: the models page's Deploy form sends a judge model to a
Judge process (``wakesmith judge --config``, as the add-on runs it, on loopback), the page shows the
deploy's outcome and its row in the history, and the Judge's own HTTP API then serves the new file.

The judge is the session's ``judge_fixture`` (``tests/judge/model_fixture.py``), placed in the
studio's home as a trained model folder: read from ``WAKESMITH_JUDGE_FIXTURE`` (``tests/ha/prepare.py``
writes one, and ``nox -s web`` runs it first, as ``ha`` does), else trained once per session, which
needs the SVOX Pico voices of the evaluation's unseen-engine set (the ``voices`` extra; without it and
without a prepared fixture, the spec is skipped). The Judge starts on
the fixture's calibrated file and is sent the one with the hand-set threshold, so ``/ha/info`` tells
the two apart by path and threshold.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf
from e2e_support import SR, Studio, screenshot, visit
from playwright.sync_api import expect

from wakesmith.audio.io import read_audio
from wakesmith.home import Home
from wakesmith.synth import pico

sys.path.insert(0, str(Path(__file__).parents[1] / "judge"))
from judge_process import JudgeProcess
from model_fixture import JudgeFixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

JUDGE_TOKEN = "judge-token-for-the-e2e-deploy"
NAME = "hey_katya"
MODEL_ID = "hey_katya-judge-e2e"


@pytest.fixture(scope="module")
def judge_model(request: pytest.FixtureRequest) -> JudgeFixture:
    """The session's judge fixture, when it is prepared or this environment can train it."""
    if not os.environ.get("WAKESMITH_JUDGE_FIXTURE") and importlib.util.find_spec(pico.MODULE) is None:
        pytest.skip(
            "No judge to deploy: set WAKESMITH_JUDGE_FIXTURE to a folder tests/ha/prepare.py made (nox -s "
            "training leaves one in .nox/judge-fixture), or install the voices extra to train it."
        )
    fixture: JudgeFixture = request.getfixturevalue("judge_fixture")
    return fixture


@pytest.fixture(scope="module")
def judge(judge_model: JudgeFixture, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JudgeProcess]:
    """A Judge serving the fixture's calibrated file as ``hey_katya``."""
    folder = tmp_path_factory.mktemp("e2e_judge")
    served = folder / "served.onnx"
    shutil.copy(judge_model.calibrated, served)
    process = JudgeProcess(
        folder, {"models": [{"path": str(served), "name": NAME}], "http_token": JUDGE_TOKEN}
    )
    yield process
    process.stop()


def _add_model(home: Home, fixture: JudgeFixture) -> None:
    """The fixture's judge (hand-set threshold) as a trained model folder of the studio's home."""
    folder = home.models / MODEL_ID
    folder.mkdir(parents=True)
    shutil.copy(fixture.model.parent / "metadata.json", folder / "metadata.json")
    shutil.copy(fixture.model, folder / "model.onnx")


def _served(judge: JudgeProcess) -> dict[str, Any]:
    info = httpx.get(f"{judge.http}/ha/info", headers=judge.auth, timeout=10).json()
    model: dict[str, Any] = next(m for m in info["models"] if m["name"] == NAME)
    return model


def _accepts(judge: JudgeProcess, audio: np.ndarray) -> bool:
    buf = io.BytesIO()
    sf.write(buf, audio, SR, format="WAV", subtype="PCM_16")
    r = httpx.post(
        f"{judge.http}/verify", files={"audio": ("t.wav", buf.getvalue())}, headers=judge.auth, timeout=10
    )
    assert r.status_code == 200, r.text
    return bool(r.json()["prediction"])


def test_a_judge_model_deployed_from_the_page_is_served_by_the_judge(
    page: Any, studio: Studio, judge: JudgeProcess, judge_model: JudgeFixture
) -> None:
    _add_model(studio.home, judge_model)
    before = _served(judge)
    visit(page, studio, "/models")
    row = page.get_by_role("table", name="Models").get_by_role("row", name=MODEL_ID)
    expect(row.get_by_role("cell").first).to_have_text("judge")  # its role
    row.get_by_role("button", name=f"Deploy {MODEL_ID}").click()
    form = page.get_by_role("form", name=f"Deploy {MODEL_ID}")
    expect(form.get_by_label("Deploy to")).to_have_value("judge")
    form.get_by_label("Judge URL").fill(judge.http)
    form.get_by_label("Judge token").fill("not-the-token")
    form.get_by_label("Served model name").fill(NAME)
    result = page.get_by_role("status", name="Deploy result")

    form.get_by_role("button", name="Deploy now").click()  # the Judge refuses the wrong token
    expect(result).to_contain_text(re.compile(r"Deploy \S+: failed"))
    expect(result).to_contain_text(f"The Judge at {judge.http} refused (401)")
    assert _served(judge)["path"] == before["path"]

    form.get_by_label("Judge token").fill(JUDGE_TOKEN)
    form.get_by_role("button", name="Deploy now").click()
    expect(result).to_contain_text(re.compile(r"Deploy \S+: succeeded"))
    expect(result).to_contain_text("deployed")
    records = [d for d in studio.api.get("/api/deploys").json() if d["model_id"] == MODEL_ID]
    assert sorted(d["state"] for d in records) == ["failed", "succeeded"], records
    (done,) = [d for d in records if d["state"] == "succeeded"]
    expect(result).to_contain_text(f"Deploy {done['id']}: succeeded")
    history = page.get_by_role("table", name="Deploys").get_by_role("row", name=re.compile(done["id"]))
    expect(history).to_contain_text("succeeded")
    expect(history).to_contain_text(f"judge: {judge.http} ({NAME})")
    screenshot(page, "deploy-judge")

    installed = Path(done["results"][0]["installed"])  # in the studio's share_folder, the Judge's too
    assert installed.read_bytes() == judge_model.model.read_bytes()
    after = _served(judge)
    assert after["path"] == str(installed) != before["path"]
    assert after["threshold"] == pytest.approx(judge_model.threshold, abs=1e-4)  # the hand-set file
    assert _accepts(judge, read_audio(judge_model.positive))
    assert not _accepts(judge, read_audio(judge_model.negative))
