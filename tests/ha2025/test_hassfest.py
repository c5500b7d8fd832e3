"""Offline hassfest-style checks of ``custom_components/wakesmith`` and the blueprints.

hassfest itself lives in Home Assistant's repository, not in its wheel; these tests check what it
would (manifest keys and order, strings ↔ config-flow steps, errors and aborts, services.yaml ↔
strings ↔ icons ↔ registered actions, entity translation keys, quality_scale.yaml) with Home
Assistant's own schemas where the wheel has them (services.yaml, blueprints).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from awesomeversion import AwesomeVersion
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.helpers.service import _SERVICES_SCHEMA
from homeassistant.util.yaml import load_yaml

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = ROOT / "custom_components" / "wakesmith"
IOT_CLASSES = {"assumed_state", "cloud_polling", "cloud_push", "local_polling", "local_push", "calculated"}
RULE_STATUSES = {"done", "todo", "exempt"}
QUALITY_SCALE_RULES = frozenset(
    # Home Assistant's Integration Quality Scale checklist (Bronze, Silver, Gold, Platinum)
    [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
        "devices",
        "diagnostics",
        "discovery-update-info",
        "discovery",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
        "async-dependency",
        "inject-websession",
        "strict-typing",
    ]
)


def _json(name: str) -> dict[str, Any]:
    return dict(json.loads((COMPONENT / name).read_text()))


def _tree(name: str) -> ast.Module:
    return ast.parse((COMPONENT / name).read_text())


def _calls(tree: ast.AST, func: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "attr", None) == func or getattr(node.func, "id", None) == func)
    ]


def _kwarg(call: ast.Call, name: str) -> str | None:
    for kw in call.keywords:
        if kw.arg == name and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return None


def test_manifest() -> None:
    manifest = _json("manifest.json")
    assert manifest["domain"] == COMPONENT.name == "wakesmith"
    assert list(manifest)[:2] == ["domain", "name"] and list(manifest)[2:] == sorted(list(manifest)[2:])
    for key in ("name", "documentation", "issue_tracker", "codeowners", "requirements", "version"):
        assert key in manifest, key
    assert AwesomeVersion(manifest["version"]).valid
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{manifest["version"]}"' in pyproject, (
        "the integration's version follows the package's"
    )
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "local_push" and manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] == "service"
    assert manifest["after_dependencies"] == ["hassio"]
    assert manifest["requirements"] == [], "the integration talks HTTP with Home Assistant's aiohttp"


def test_translations_are_the_strings() -> None:
    assert _json("strings.json") == _json("translations/en.json")


def test_config_flow_steps_errors_and_aborts_have_strings() -> None:
    strings = _json("strings.json")
    tree = _tree("config_flow.py")
    classes = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    for cls, section in (("WakesmithConfigFlow", "config"), ("WakesmithOptionsFlow", "options")):
        node = classes[cls]
        shown = {_kwarg(c, "step_id") for c in _calls(node, "async_show_form")}
        assert shown and shown <= set(strings[section]["step"]), (cls, shown)
        methods = {
            f.name.removeprefix("async_step_") for f in node.body if isinstance(f, ast.AsyncFunctionDef)
        }
        assert shown <= methods
        aborts = {_kwarg(c, "reason") for c in _calls(node, "async_abort")}
        assert aborts <= set(strings[section].get("abort", {})), aborts
    # the flow's implicit aborts and the errors its forms set
    config = strings["config"]
    assert {"already_configured", "reauth_successful", "reconfigure_successful"} <= set(config["abort"])
    errors = set(re.findall(r'"base": "(\w+)"', (COMPONENT / "config_flow.py").read_text()))
    assert errors == set(config["error"]) == {"cannot_connect", "invalid_auth"}
    for step in ("user", "reconfigure"):
        fields = {"host", "port", "http_port", "token", "trainer_url", "trainer_token"}
        assert set(config["step"][step]["data"]) == fields == set(config["step"][step]["data_description"])
    assert {"user", "hassio", "hassio_confirm", "reconfigure", "reauth", "reauth_confirm"} <= {
        f.name.removeprefix("async_step_")
        for f in classes["WakesmithConfigFlow"].body
        if isinstance(f, ast.AsyncFunctionDef)
    }


def test_services_yaml_strings_icons_and_registrations_agree() -> None:
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    _SERVICES_SCHEMA(services)  # Home Assistant's own schema for services.yaml
    strings = _json("strings.json")["services"]
    icons = _json("icons.json")["services"]
    registered = {str(c.args[1].value) for c in _calls(_tree("services.py"), "async_register")}  # type: ignore[attr-defined]
    assert (
        set(services)
        == set(strings)
        == set(icons)
        == registered
        == {"report_false_alarm", "install_model", "retrain", "deploy"}
    )
    for name, spec in services.items():
        assert set(spec.get("fields", {})) == set(strings[name].get("fields", {})), name
        assert strings[name]["name"] and strings[name]["description"]


def test_translation_keys_in_code_have_strings_and_icons() -> None:
    strings = _json("strings.json")
    icons = _json("icons.json")["entity"]
    code = {p.name: p.read_text() for p in COMPONENT.glob("*.py")}
    exceptions = {
        key
        for text in code.values()
        for key in re.findall(r'translation_domain=DOMAIN,\s*translation_key="(\w+)"', text)
    }
    assert exceptions and exceptions <= set(strings["exceptions"]), exceptions - set(strings["exceptions"])
    entity_keys = {
        "sensor": set(re.findall(r'key="(\w+)"', code["sensor.py"])) | {"hard_negatives"},
        "event": {"verdict"},
        "button": {"report_false_alarm"},
        "select": {"preset"},
    }
    for platform, keys in entity_keys.items():
        assert set(strings["entity"][platform]) == keys == set(icons[platform]), platform
        for key in keys:
            assert f'"{key}"' in code[f"{platform}.py"], (platform, key)
    select_states = set(strings["entity"]["select"]["preset"]["state"])
    assert (
        select_states == set(strings["selector"]["preset"]["options"]) == {"sensitive", "default", "strict"}
    )


def test_quality_scale_is_complete_and_honest() -> None:
    rules = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text())["rules"]
    assert set(rules) == QUALITY_SCALE_RULES
    for rule, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in RULE_STATUSES, rule
        if status != "done":
            assert isinstance(value, dict) and value.get("comment"), f"{rule}: say why it is {status}"
    assert rules["config-flow"] == rules["runtime-data"] == rules["diagnostics"] == "done"


@pytest.mark.parametrize("path", sorted((ROOT / "blueprints" / "automation" / "wakesmith").glob("*.yaml")))
def test_blueprint_schema(path: Path) -> None:
    blueprint = Blueprint(
        load_yaml(path), path=str(path), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert blueprint.domain == "automation" and blueprint.name.startswith("wakesmith - ")
    for name, spec in blueprint.inputs.items():
        assert spec and spec.get("name") and spec.get("selector"), f"{path.name}: input {name}"


def test_the_product_points_nowhere_outside_the_repository() -> None:
    for folder in (COMPONENT, ROOT / "blueprints"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert "../shared" not in path.read_text(), path
