"""The trainer add-on's start (``wakesmith trainer-addon``, as its /run.sh runs it): options → the
studio's settings, ingress for the sidebar and the token for everyone else, the token generated once."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from wakesmith.errors import ConfigError
from wakesmith.server.addon import TrainerOptions, prepare

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
from loopback import free_port

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "addons" / "wakesmith_trainer" / "config.yaml").read_text())
STARTUP_S = 60.0


def _options(tmp_path: Path, **extra: Any) -> Path:
    options = {**CONFIG["options"], "home": str(tmp_path / "share" / "studio"), **extra}
    path = tmp_path / "options.json"
    path.write_text(json.dumps(options))
    return path


def test_options_become_ingress_settings_with_a_kept_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = prepare(_options(tmp_path), data)
    assert settings.mode == "ingress" and settings.port == 8099 and settings.host == "0.0.0.0"
    assert settings.proxy_addresses == ["172.30.32.2"] and settings.spawn_worker
    assert settings.home == tmp_path / "share" / "studio"
    assert settings.captures_folder == Path(CONFIG["options"]["captures_folder"])
    token_file = data / "studio_token"
    assert settings.token == token_file.read_text().strip() and len(settings.token) >= 32
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert prepare(_options(tmp_path), data).token == settings.token  # a restart keeps it
    assert prepare(_options(tmp_path, token="mine-0123456789"), data).token == "mine-0123456789"


def test_a_wrong_option_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"option device"):
        prepare(_options(tmp_path, device="tpu"), tmp_path)
    with pytest.raises(ConfigError, match=r"option gpu"):
        prepare(_options(tmp_path, gpu=True), tmp_path)
    assert set(TrainerOptions.model_fields) == set(CONFIG["schema"])


@pytest.fixture
def addon(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "addon.log"
    cmd = [sys.executable, "-m", "wakesmith.cli.main", "trainer-addon"]
    cmd += ["--options", str(_options(tmp_path)), "--data", str(tmp_path / "data"), "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_S
    try:
        while True:
            try:
                httpx.get(f"{url}/api/health", timeout=2)
                break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield url, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_the_addon_serves_the_token_and_refuses_the_rest(addon: tuple[str, Path]) -> None:
    url, folder = addon
    token = (folder / "data" / "studio_token").read_text().strip()
    refused = httpx.get(f"{url}/api/datasets", timeout=10)
    assert refused.status_code == 403 and "sidebar" in refused.json()["detail"]
    forged = httpx.get(f"{url}/api/datasets", headers={"X-Remote-User-Name": "admin"}, timeout=10)
    assert forged.status_code == 403
    auth = {"Authorization": f"Bearer {token}"}
    made = httpx.post(f"{url}/api/datasets", json={"name": "hey_katya", "phrase": "hey katya"}, headers=auth)
    assert made.status_code == 201, made.text
    assert [d["id"] for d in httpx.get(f"{url}/api/datasets", headers=auth).json()] == ["hey_katya"]
    assert (folder / "share" / "studio").is_dir()  # the studio's data is on /share
