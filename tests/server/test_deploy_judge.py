"""Deploying to a real Judge process: a model it refuses leaves the old one serving (and the deploy
failed, recorded); a good one is served, and a rollback installs the old file again."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from studio_client import MakeClient

from wakesmith.audio.io import read_audio
from wakesmith.home import Home

sys.path.insert(0, str(Path(__file__).parents[1] / "judge"))
from judge_process import JudgeProcess
from model_fixture import JudgeFixture

pytestmark = pytest.mark.slow
JUDGE_TOKEN = "judge-token-for-the-studio-test"
NAME = "hey_katya"


@pytest.fixture(scope="module")
def judge(judge_fixture: JudgeFixture, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JudgeProcess]:
    folder = tmp_path_factory.mktemp("studio_judge")
    served = folder / "served.onnx"
    shutil.copy(judge_fixture.model, served)
    process = JudgeProcess(
        folder, {"models": [{"path": str(served), "name": NAME}], "http_token": JUDGE_TOKEN}
    )
    yield process
    process.stop()


def _artifact(home: Home, model_id: str, fixture: JudgeFixture, onnx: bytes) -> None:
    """A judge model folder in the studio's home: the fixture's metadata beside ``onnx``."""
    folder = home.models / model_id
    folder.mkdir(parents=True)
    shutil.copy(fixture.model.parent / "metadata.json", folder / "metadata.json")
    (folder / "model.onnx").write_bytes(onnx)


def _served(judge: JudgeProcess) -> str:
    info = httpx.get(f"{judge.http}/ha/info", headers=judge.auth, timeout=10).json()
    return str(next(m["path"] for m in info["models"] if m["name"] == NAME))


def _accepts(judge: JudgeProcess, audio: np.ndarray) -> bool:
    buf = io.BytesIO()
    sf.write(buf, audio, 16000, format="WAV", subtype="PCM_16")
    r = httpx.post(
        f"{judge.http}/verify", files={"audio": ("t.wav", buf.getvalue())}, headers=judge.auth, timeout=10
    )
    assert r.status_code == 200, r.text
    return bool(r.json()["prediction"])


def test_a_refused_model_keeps_the_old_one_and_a_good_one_rolls_back(
    judge: JudgeProcess, judge_fixture: JudgeFixture, home: Home, make_client: MakeClient, tmp_path: Path
) -> None:
    good = judge_fixture.model.read_bytes()
    _artifact(home, "judge-good", judge_fixture, good)
    _artifact(home, "judge-corrupt", judge_fixture, good[: len(good) // 3])
    client: TestClient = make_client(share_folder=tmp_path / "share")
    target = {"kind": "judge", "url": judge.http, "token": JUDGE_TOKEN, "name": NAME}
    before = _served(judge)
    positive = read_audio(judge_fixture.positive)

    refused = client.post("/api/deploy", json={"model_id": "judge-corrupt", "targets": [target]}).json()
    assert refused["state"] == "failed"
    assert "refused (422)" in refused["results"][0]["message"]
    assert "did not load" in refused["results"][0]["message"]
    assert _served(judge) == before  # the old model still serves
    assert _accepts(judge, positive)

    wrong_token = client.post(
        "/api/deploy", json={"model_id": "judge-good", "targets": [{**target, "token": "x"}]}
    )
    assert wrong_token.json()["state"] == "failed" and "401" in wrong_token.json()["results"][0]["message"]

    done = client.post("/api/deploy", json={"model_id": "judge-good", "targets": [target]}).json()
    assert done["state"] == "succeeded", done
    installed = tmp_path / "share" / "wakesmith" / "judge-good.onnx"
    assert _served(judge) == str(installed) and installed.read_bytes() == good
    assert _accepts(judge, positive)

    back = client.post(
        f"/api/deploys/{done['id']}/rollback", json={"tokens": {judge.http: JUDGE_TOKEN}}
    ).json()
    assert back["state"] == "succeeded", back
    assert _served(judge) == before
    states = [d["state"] for d in client.get("/api/deploys").json()]
    assert sorted(states) == ["failed", "failed", "rolled_back", "succeeded"]
