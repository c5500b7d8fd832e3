"""Deploying a trained model: to a Judge (``POST /ha/models/{name}/install``) or to an ESPHome
``custom_wake_words`` folder, every deploy recorded with its result and undone on failure.

- **judge**: the model's ``.onnx`` is copied (atomically) into the share folder the Judge reads, then
  the Judge is asked to install it; the Judge loads and scores the file before swapping and keeps its
  old model on a refusal. The path it served before is kept, so a rollback installs that again.
- **custom_wake_words**: the sentry's ESPHome export becomes ``<wake_word>.json`` + ``<wake_word>.tflite``
  (each written atomically, the model file first: the manifest names it); the pair there before is kept
  under ``.wakesmith-previous/<deploy>/`` and put back if anything fails, or on rollback.

A deploy to several targets is all or nothing: when one fails, the ones done are undone.
"""

from __future__ import annotations

import json
import logging
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from wakesmith.artifact import Artifact
from wakesmith.config import slugify
from wakesmith.errors import WakesmithError
from wakesmith.fsio import atomic_write_bytes
from wakesmith.server.records import DeployRecord, Records
from wakesmith.server.settings import ServerSettings

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 60.0
PREVIOUS = ".wakesmith-previous"
SHARE_SUBFOLDER = "wakesmith"


class DeployError(WakesmithError):
    """A deploy that cannot start (wrong model role, no export, no share folder…)."""


class _Target(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JudgeTarget(_Target):
    kind: Literal["judge"]
    url: str = Field(pattern=r"^https?://", max_length=500)
    """The Judge's HTTP address (``http://host:10401``)."""
    token: str = Field(default="", max_length=500)
    """The Judge's ``http_token`` (never stored)."""
    name: str = Field(min_length=1, max_length=200)
    """The served model name to replace (as ``/ha/info`` lists it)."""


class FolderTarget(_Target):
    kind: Literal["custom_wake_words"]
    folder: Path
    """An ESPHome ``custom_wake_words`` folder (created if missing)."""


Target = Annotated[JudgeTarget | FolderTarget, Field(discriminator="kind")]


def _public(target: JudgeTarget | FolderTarget) -> dict[str, Any]:
    return target.model_dump(mode="json", exclude={"token"})


# ------------------------------------------------------------------------------------- the Judge


def _judge_call(target: JudgeTarget, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One JSON request to the Judge; a refusal raises DeployError with the Judge's own ``detail``."""
    headers = {"Content-Type": "application/json"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(target.url.rstrip("/") + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("detail", "")
        except ValueError:
            detail = ""
        raise DeployError(f"The Judge at {target.url} refused ({exc.code}): {detail or exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeployError(
            f"Cannot reach the Judge at {target.url} ({exc}); check its URL and that it runs."
        ) from None


def _served_path(target: JudgeTarget) -> str:
    info = _judge_call(target, "GET", "/ha/info")
    for model in info.get("models", []):
        if model.get("name") == target.name:
            return str(model.get("path", ""))
    names = [m.get("name") for m in info.get("models", [])]
    raise DeployError(f"The Judge at {target.url} serves no model named {target.name!r}; it serves {names}.")


def _share_paths(settings: ServerSettings, artifact: Artifact) -> tuple[Path, Path]:
    """Where the model goes (as this server sees it) and the same file as the Judge sees it."""
    if settings.share_folder is None:
        raise DeployError(
            "Judge deploys need a folder the Judge can read: set share_folder in the server settings "
            "(`wakesmith serve --share-folder /share`)."
        )
    name = Path(SHARE_SUBFOLDER) / f"{artifact.model_id}.onnx"
    return settings.share_folder / name, (settings.judge_share_folder or settings.share_folder) / name


def _deploy_judge(target: JudgeTarget, artifact: Artifact, settings: ServerSettings) -> dict[str, Any]:
    if artifact.metadata.role != "judge":
        raise DeployError(f"{artifact.model_id} is a {artifact.metadata.role}; a Judge serves judge models.")
    previous = _served_path(target)
    local, remote = _share_paths(settings, artifact)
    atomic_write_bytes(local, artifact.onnx_path.read_bytes())
    _judge_call(target, "POST", f"/ha/models/{target.name}/install", {"path": str(remote)})
    return {"previous": previous, "installed": str(remote)}


def _undo_judge(target: JudgeTarget, done: dict[str, Any]) -> None:
    if done.get("previous"):
        _judge_call(target, "POST", f"/ha/models/{target.name}/install", {"path": done["previous"]})


# ------------------------------------------------------------------------------ custom_wake_words


def _esphome_files(artifact: Artifact) -> tuple[dict[str, Any], Path]:
    manifests = sorted((artifact.path / "esphome").glob("*.json"))
    if not manifests:
        raise DeployError(
            f"{artifact.model_id} has no ESPHome export; export it first (`wakesmith export "
            f"{artifact.model_id} esphome`, or train with exports: ['esphome'])."
        )
    spec = json.loads(manifests[0].read_text())
    return spec, manifests[0].with_name(str(spec["model"]))


def _pair(folder: Path, word: str) -> tuple[Path, Path]:
    return folder / f"{word}.json", folder / f"{word}.tflite"


def _restore_pair(folder: Path, word: str, backup: Path | None) -> None:
    """Put the kept pair back; with no pair kept, remove what the deploy wrote."""
    for target in _pair(folder, word):
        kept = backup / target.name if backup is not None else None
        if kept is not None and kept.is_file():
            atomic_write_bytes(target, kept.read_bytes())
        else:
            target.unlink(missing_ok=True)


def _deploy_folder(target: FolderTarget, artifact: Artifact, deploy_id: str) -> dict[str, Any]:
    if artifact.metadata.role != "sentry":
        raise DeployError(f"{artifact.model_id} is a {artifact.metadata.role}; ESPHome runs sentry models.")
    spec, model_file = _esphome_files(artifact)
    word = slugify(artifact.metadata.phrase)
    folder = target.folder
    folder.mkdir(parents=True, exist_ok=True)
    manifest, tflite = _pair(folder, word)
    backup: Path | None = None
    if manifest.exists() or tflite.exists():
        backup = folder / PREVIOUS / deploy_id
        backup.mkdir(parents=True, exist_ok=True)
        for f in (manifest, tflite):
            if f.exists():
                shutil.copy2(f, backup / f.name)
    try:
        atomic_write_bytes(tflite, model_file.read_bytes())
        atomic_write_bytes(manifest, (json.dumps({**spec, "model": tflite.name}, indent=2) + "\n").encode())
    except BaseException:
        _restore_pair(folder, word, backup)
        raise
    return {
        "wake_word": word,
        "files": [str(manifest), str(tflite)],
        "previous": str(backup) if backup else None,
    }


def _undo_folder(target: FolderTarget, done: dict[str, Any]) -> None:
    _restore_pair(target.folder, done["wake_word"], Path(done["previous"]) if done.get("previous") else None)


# -------------------------------------------------------------------------------------- deploying


def _undo(target: JudgeTarget | FolderTarget, done: dict[str, Any]) -> None:
    if isinstance(target, JudgeTarget):
        _undo_judge(target, done)
    else:
        _undo_folder(target, done)


def deploy(
    artifact: Artifact,
    targets: list[JudgeTarget | FolderTarget],
    *,
    settings: ServerSettings,
    records: Records,
    user: str = "",
) -> DeployRecord:
    """Deploy to every target in order; on a failure undo the targets done. Recorded either way."""
    if not targets:
        raise DeployError("Name at least one target: a judge {url, name} or a custom_wake_words folder.")
    record = records.start_deploy(artifact.model_id, [_public(t) for t in targets], user)
    results: list[dict[str, Any]] = []
    for target in targets:
        try:
            done = (
                _deploy_judge(target, artifact, settings)
                if isinstance(target, JudgeTarget)
                else _deploy_folder(target, artifact, record.id)
            )
        except (WakesmithError, OSError) as exc:
            log.warning("deploy %s to %s failed: %s", record.id, target.kind, exc)
            results.append({"target": _public(target), "ok": False, "message": str(exc)})
            _undo_all(targets, results)
            return records.finish_deploy(record.id, "failed", results)
        results.append({"target": _public(target), "ok": True, "message": "deployed", **done})
    return records.finish_deploy(record.id, "succeeded", results)


def _undo_all(targets: list[JudgeTarget | FolderTarget], results: list[dict[str, Any]]) -> None:
    for target, result in zip(targets, results, strict=False):
        if not result["ok"]:
            continue
        try:
            _undo(target, result)
            result["message"] = "deployed, then undone: another target failed"
        except (WakesmithError, OSError) as exc:
            result["message"] = f"deployed; undoing it failed too: {exc}"
        result["ok"] = False


def rollback(
    deploy_id: str,
    tokens: dict[str, str],
    *,
    records: Records,
    user: str = "",
) -> DeployRecord:
    """Undo a succeeded deploy on every target (a Judge gets its previous file installed again).

    ``tokens``: Judge URL → token (tokens are never stored). Recorded as a deploy of its own.
    """
    old = records.deploy(deploy_id)
    if old.state != "succeeded":
        raise DeployError(f"Deploy {deploy_id} is {old.state}; only a succeeded deploy can be rolled back.")
    record = records.start_deploy(old.model_id, old.targets, user, rollback_of=deploy_id)
    results: list[dict[str, Any]] = []
    state = "succeeded"
    for result in old.results:
        raw = dict(result["target"])
        if raw["kind"] == "judge":
            raw["token"] = tokens.get(raw["url"], "")
        target: JudgeTarget | FolderTarget = (
            JudgeTarget.model_validate(raw) if raw["kind"] == "judge" else FolderTarget.model_validate(raw)
        )
        try:
            _undo(target, result)
            results.append({"target": _public(target), "ok": True, "message": "previous model restored"})
        except (WakesmithError, OSError) as exc:
            state = "failed"
            results.append({"target": _public(target), "ok": False, "message": str(exc)})
    if state == "succeeded":
        records.mark_deploy(deploy_id, "rolled_back")
    return records.finish_deploy(record.id, state, results)
