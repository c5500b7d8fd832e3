"""The Judge add-on's image install, performed without Docker: ``install.sh`` in a fresh venv from a clean
checkout, then the service started from that venv exactly as ``/run.sh`` starts it.

What the Supervisor does and this cannot: pull the Debian base image and run the Dockerfile's
``apt-get`` line (no Docker daemon here). What it does instead, as the image would: clone the
repository (the committed HEAD, as a release tag would be), run the add-on's own ``install.sh`` with a
``git+file://`` source in place of the ``git+https://`` one in ``build.yaml`` (same pip requirement,
other transport), check the environment holds the Judge without the training stack, write an
``options.json`` from ``config.yaml``'s defaults, start ``/opt/wakesmith/bin/wakesmith judge-addon``'s
equivalent against a fake Supervisor, and ask it for a verdict through the ``wyoming`` client.

Uncommitted changes are not tested here: the checkout is the committed HEAD.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addons" / "wakesmith_judge"
sys.path.insert(0, str(ROOT / "tests" / "judge"))

from fake_supervisor import FakeSupervisor  # noqa: E402
from judge_process import AddonJudge, addon_options  # noqa: E402
from model_fixture import JudgeFixture  # noqa: E402

INSTALL_TIMEOUT_S = 900
TRAINING_STACK = ("torch", "tensorflow", "lightning", "librosa")


def _version() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^version = "([^"]+)"', text, re.M)
    assert match
    return match.group(1)


@pytest.mark.parametrize("addon", ["wakesmith_judge", "wakesmith_trainer"])
def test_the_versions_and_the_pinned_ref_agree(addon: str) -> None:
    """config.yaml's version, the package's version and the tag build.yaml installs are one."""
    folder = ROOT / "addons" / addon
    config = yaml.safe_load((folder / "config.yaml").read_text())
    build = yaml.safe_load((folder / "build.yaml").read_text())
    version = _version()
    assert str(config["version"]) == version
    assert build["args"]["WAKESMITH_SOURCE"] == f"git+https://github.com/wakesmith/wakesmith@v{version}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The venv the image would hold in /opt/wakesmith."""
    if shutil.which("git") is None:
        pytest.fail("git is not installed: run scripts/system-deps.sh")
    work = tmp_path_factory.mktemp("addon_install")
    src = work / "src"
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(ROOT), str(src)], check=True)
    commit = subprocess.run(
        ["git", "-C", str(src), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    venv = work / "opt-wakesmith"
    # python3 on PATH is the interpreter of this test run (3.11, as Debian bookworm's python3).
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        [
            "sh",
            str(src / "addons" / "wakesmith_judge" / "install.sh"),
            str(venv),
            f"git+file://localhost{src}@{commit}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    yield venv


@pytest.mark.slow
def test_the_image_holds_the_judge_without_the_training_stack(installed: Path) -> None:
    probe = f"import importlib.util as u; print([m for m in {TRAINING_STACK!r} if u.find_spec(m)])"
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", probe], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == "[]", f"the add-on image would carry {out}"
    assert (installed / "bin" / "wakesmith").is_file()


@pytest.mark.slow
def test_the_image_runs_the_speech_embedding_front_end(installed: Path) -> None:
    """A judge_embedding model can be served: the front end's ONNX files are in the image (without the
    openwakeword package's own dependencies, which wakesmith does not need)."""
    probe = (
        "import numpy as np; from wakesmith.config import FeatureConfig; "
        "from wakesmith.features import create_frontend; "
        "cfg = FeatureConfig(name='speech_embedding', window_ms=790.0, hop_ms=80.0, n_mels=32); "
        "print(create_frontend(cfg)(np.zeros(24000, np.float32)).shape)"
    )
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", probe], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == "(9, 96)"


@pytest.mark.slow
def test_the_installed_service_starts_from_config_yaml_defaults_and_serves(
    installed: Path, judge_fixture: JudgeFixture, tmp_path: Path
) -> None:
    config = yaml.safe_load((ADDON / "config.yaml").read_text())
    model = tmp_path / "share" / "judge.onnx"
    model.parent.mkdir()
    shutil.copy(judge_fixture.model, model)
    defaults = config["options"]
    options = addon_options(model, **{k: v for k, v in defaults.items() if k != "models"})
    options["models"] = [{**defaults["models"][0], "path": str(model), "name": "hey_katya"}]
    options["capture"] = {**defaults["capture"], "folder": str(tmp_path / "share" / "captures")}
    supervisor = FakeSupervisor()
    judge = AddonJudge(
        tmp_path / "addon", options, supervisor, command=[str(installed / "bin" / "wakesmith"), "judge-addon"]
    )
    try:
        assert set(d["service"] for d in _wait_discoveries(supervisor)) == {"wyoming", "wakesmith"}

        async def describe() -> Info:
            async with AsyncTcpClient("127.0.0.1", judge.port) as client:
                await client.write_event(Describe().event())
                while True:
                    event = await client.read_event()
                    assert event is not None
                    if Info.is_type(event.type):
                        return Info.from_event(event)

        info = asyncio.run(asyncio.wait_for(describe(), 30))
        assert [m.name for m in info.wake[0].models] == ["hey_katya"]
        with open(judge_fixture.positive, "rb") as fh:
            r = httpx.post(
                f"{judge.http}/verify", files={"audio": ("p.wav", fh.read())}, headers=judge.auth, timeout=30
            )
        assert r.status_code == 200 and r.json()["prediction"] is True, r.text
    finally:
        judge.stop()
        supervisor.close()


def _wait_discoveries(supervisor: FakeSupervisor) -> list[dict[str, object]]:
    supervisor.discovered("wyoming")
    supervisor.discovered("wakesmith")
    return supervisor.discoveries
