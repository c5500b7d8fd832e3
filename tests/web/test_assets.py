"""The committed UI bundle and API schema (fast, no Node): the bundle is there, ``index.html`` names only
relative files that exist, and ``training/web/openapi.json`` is the current app's schema."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from urllib.parse import urlparse

from wakesmith.server.ui import INDEX, STATIC

WEB = Path(__file__).parents[2] / "training" / "web"
REBUILD = "cd training/web && npm ci && npm run build"
REGENERATE = "cd training/web && npm run openapi && npm run build"


BUILD_INPUTS = ("index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "src")
"""What the bundle is built from (vite.config.ts ``INPUTS``; its ``sourceHash`` hashes them the same way)."""


def _sources_sha256() -> str:
    paths: list[str] = []
    for name in BUILD_INPUTS:
        top = WEB / name
        found = sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]
        paths += [p.relative_to(WEB).as_posix() for p in found]
    digest = hashlib.sha256()
    for rel in sorted(p for p in paths if not p.endswith(".test.ts")):
        digest.update(rel.encode() + b"\n")
        digest.update((WEB / rel).read_bytes())
        digest.update(b"\n")
    return digest.hexdigest()


def _openapi_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("web_openapi", WEB / "scripts" / "openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _referenced(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_bundle_is_committed_with_relative_assets() -> None:
    assert INDEX.is_file(), f"No built UI at {INDEX}; run `{REBUILD}` and commit static/."
    refs = [r for r in _referenced(INDEX.read_text()) if not r.startswith(("data:", "#"))]
    assert any(r.endswith(".js") for r in refs), refs
    for ref in refs:
        parsed = urlparse(ref)
        assert not parsed.scheme and not parsed.netloc and not ref.startswith("/"), (
            f"index.html names {ref!r}: assets must be relative (the page lives below an ingress prefix); "
            "keep `base: './'` in vite.config.ts."
        )
        assert (STATIC / parsed.path).resolve().is_file(), (
            f"index.html names {ref!r}, not in {STATIC}; run `{REBUILD}`."
        )
    assert not (STATIC / "src").exists(), "static/ holds sources; build with `npm run build`."


def test_the_bundle_is_built_from_the_current_sources() -> None:
    info = json.loads((STATIC / "build-info.json").read_text())
    assert info["sources_sha256"] == _sources_sha256(), (
        f"The committed bundle in {STATIC} was built from other sources than training/web holds now: "
        f"run `{REBUILD}` and commit static/."
    )


def test_the_bundle_names_no_fixed_host() -> None:
    for js in (STATIC / "assets").glob("*.js"):
        text = js.read_text()
        assert "127.0.0.1" not in text and "localhost:" not in text, f"{js.name} names a fixed host"


def test_the_committed_openapi_schema_is_current() -> None:
    script = _openapi_script()
    committed = (WEB / "openapi.json").read_text()
    current = script.render(script.current_schema())
    assert json.loads(committed) == json.loads(current), (
        "training/web/openapi.json differs from the backend's schema: the API changed. Run "
        f"`{REGENERATE}` (it regenerates openapi.json and src/api/schema.d.ts and rebuilds the bundle) "
        "and commit the results."
    )
    assert committed == current, f"openapi.json is not in the script's formatting; run `{REGENERATE}`."
