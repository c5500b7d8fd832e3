"""Both add-ons' config.yaml obey Home Assistant's add-on rules, and their options are exactly what the
Python that starts them reads (``wakesmith judge-addon``, ``wakesmith trainer-addon``).

Rules from https://developers.home-assistant.io/docs/add-ons/configuration: required keys, a slug of
lowercase letters, digits and underscores, a known architecture list, ``"<port>/<tcp|udp>"`` port
keys, an option for every required schema key and a schema entry for every option, schema types from
the documented list (``str bool int float email url password port match() list() device``, with
``(min,max)`` ranges and a trailing ``?`` for optional).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from wakesmith.judge.addon import AddonOptions
from wakesmith.server.addon import INGRESS_PORT, TrainerOptions

ROOT = Path(__file__).resolve().parents[2]
ADDONS = ROOT / "addons"
ADDON = ADDONS / "wakesmith_judge"
TRAINER = ADDONS / "wakesmith_trainer"
OPTIONS_MODELS: dict[str, type[BaseModel]] = {
    "wakesmith_judge": AddonOptions,
    "wakesmith_trainer": TrainerOptions,
}
REQUIRED = {"name", "version", "slug", "description", "arch"}
ARCHES = {"armhf", "armv7", "aarch64", "amd64", "i386"}
STARTUP = {"initialize", "system", "services", "application", "once"}
SLUG = re.compile(r"^[a-z0-9_]+$")
PORT_KEY = re.compile(r"^\d{1,5}/(tcp|udp)$")
SIMPLE_TYPES = {"str", "bool", "int", "float", "email", "url", "password", "port", "device"}
RANGED = re.compile(r"^(int|float|str)\((-?[\d.]*),(-?[\d.]*)\)$")
LIST_TYPE = re.compile(r"^list\(([^|()]+(\|[^|()]+)*)\)$")
MATCH_TYPE = re.compile(r"^match\((.+)\)$")


def _load(name: str, addon: Path = ADDON) -> Any:
    return yaml.safe_load((addon / name).read_text())


def _check_type(spec: str, value: Any, where: str) -> None:
    """Raise AssertionError if ``value`` does not satisfy the add-on schema type ``spec``."""
    spec = spec.removesuffix("?")
    if spec in SIMPLE_TYPES:
        expected = {"bool": bool, "int": int, "float": (int, float), "port": int}.get(spec, str)
        assert isinstance(value, expected) and not (spec != "bool" and isinstance(value, bool)), where
        if spec == "port":
            assert 1 <= value <= 65535, where
        return
    if m := RANGED.match(spec):
        kind, low, high = m.groups()
        number = len(value) if kind == "str" else value
        assert (float(low) if low else -float("inf")) <= number <= (float(high) if high else float("inf")), (
            where
        )
        return
    if m := LIST_TYPE.match(spec):
        assert value in m.group(1).split("|"), f"{where}: {value!r} not in {m.group(1)}"
        return
    if m := MATCH_TYPE.match(spec):
        assert re.fullmatch(m.group(1), str(value)), where
        return
    raise AssertionError(f"{where}: {spec!r} is not an add-on schema type")


def _check_schema(schema: Any, options: Any, where: str) -> None:
    """Options and schema agree: same nesting, every required key present, no option without schema."""
    if isinstance(schema, dict):
        assert isinstance(options, dict), f"{where}: options must be a mapping"
        extra = set(options) - set(schema)
        assert not extra, f"{where}: options without schema: {extra}"
        for key, sub in schema.items():
            if key not in options:
                assert isinstance(sub, str) and sub.endswith("?"), f"{where}.{key}: required but missing"
                continue
            _check_schema(sub, options[key], f"{where}.{key}")
    elif isinstance(schema, list):
        assert len(schema) == 1 and isinstance(options, list), f"{where}: a list schema has one element"
        for i, item in enumerate(options):
            _check_schema(schema[0], item, f"{where}[{i}]")
    else:
        _check_type(str(schema), options, where)


@pytest.mark.parametrize("addon", [ADDON, TRAINER], ids=lambda p: p.name)
def test_config_has_the_required_keys_and_valid_values(addon: Path) -> None:
    config = _load("config.yaml", addon)
    assert not REQUIRED - set(config), REQUIRED - set(config)
    assert SLUG.match(config["slug"]) and config["slug"] == addon.name
    assert re.match(r"^\d+\.\d+\.\d+$", str(config["version"]))
    assert config["arch"] and set(config["arch"]) <= ARCHES
    assert config.get("startup", "application") in STARTUP
    assert all(PORT_KEY.match(k) for k in config["ports"]) and set(config["ports_description"]) == set(
        config["ports"]
    )
    assert "image" not in config  # built locally from this repository until a registry publishes one


def test_the_judge_announces_itself_on_its_ports() -> None:
    config = _load("config.yaml")
    assert set(config["discovery"]) == {"wyoming", "wakesmith"}
    assert {10400, 10401} <= {int(k.split("/")[0]) for k in config["ports"]}


def test_the_trainer_is_a_sidebar_panel_behind_ingress() -> None:
    config = _load("config.yaml", TRAINER)
    assert config["ingress"] is True and config["ingress_port"] == INGRESS_PORT
    assert config["ingress_stream"] is True  # uploads and recordings are not buffered by the proxy
    assert config["panel_icon"].startswith("mdi:") and config["panel_title"]
    assert f"{INGRESS_PORT}/tcp" in config["ports"]  # the token door, unpublished unless mapped
    assert {"share:rw", "homeassistant_config:rw"} <= set(config["map"])
    assert str(config["options"]["home"]).startswith("/share/")


@pytest.mark.parametrize("addon", [ADDON, TRAINER], ids=lambda p: p.name)
def test_options_agree_with_schema_and_the_addon_options_model(addon: Path) -> None:
    config = _load("config.yaml", addon)
    _check_schema(config["schema"], config["options"], "options")
    model = OPTIONS_MODELS[addon.name]
    model.model_validate(config["options"])  # what the add-on's start command reads

    def keys(schema: Any, model: type[BaseModel]) -> None:
        assert set(schema) == set(model.model_fields), model.__name__
        for name, sub in schema.items():
            annotation = model.model_fields[name].annotation
            if isinstance(sub, dict) and isinstance(annotation, type) and issubclass(annotation, BaseModel):
                keys(sub, annotation)

    keys(config["schema"], model)  # every option is read, every field is an option


@pytest.mark.parametrize(
    ("schema", "options"),
    [
        ({"a": "int"}, {}),
        ({"a": "int"}, {"a": 1, "b": 2}),
        ({"a": "list(x|y)"}, {"a": "z"}),
        ({"a": "float(0,1)"}, {"a": 2.0}),
        ({"a": "strnig"}, {"a": "x"}),
    ],
)
def test_the_checker_catches_bad_configs(schema: dict[str, Any], options: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        _check_schema(schema, options, "options")


@pytest.mark.parametrize(
    ("addon", "extras", "command"),
    [
        (ADDON, "wakesmith[judge]", "judge-addon"),
        (TRAINER, "wakesmith[train,voices,edge,server,embedding]", "trainer-addon"),
    ],
    ids=["wakesmith_judge", "wakesmith_trainer"],
)
def test_build_translations_dockerfile_and_repository(addon: Path, extras: str, command: str) -> None:
    config = _load("config.yaml", addon)
    build = _load("build.yaml", addon)
    assert set(build["build_from"]) == set(config["arch"])
    assert all("home-assistant" in image and "debian" in image for image in build["build_from"].values())
    translations = _load("translations/en.yaml", addon)
    assert set(translations["configuration"]) == set(config["schema"])
    assert set(translations["network"]) == set(config["ports"])
    dockerfile = (addon / "Dockerfile").read_text()
    assert "FROM ${BUILD_FROM}" in dockerfile and "apk" not in dockerfile
    assert "install.sh /opt/wakesmith" in dockerfile and "COPY training" not in dockerfile
    install = (addon / "install.sh").read_text()
    assert f'"{extras} @ ${{source}}"' in install
    run = (addon / "rootfs" / "run.sh").read_text()
    assert f"exec /opt/wakesmith/bin/wakesmith {command} " in run and "jq" not in run
    assert (addon / "DOCS.md").is_file()
    repo = yaml.safe_load((ROOT / "repository.yaml").read_text())
    assert {"name", "url", "maintainer"} <= set(repo)


def test_the_judge_image_holds_no_training_stack() -> None:
    install = (ADDON / "install.sh").read_text()
    assert "torch" not in install and "train" not in install.split("wakesmith[", 1)[1].split("]")[0]


def test_the_addon_requires_an_http_token() -> None:
    config = _load("config.yaml")
    assert config["options"]["http_token_required"] is True and config["options"]["http_token"] == ""
    assert config["schema"]["http_token"] == "password?"
