"""The add-on's config.yaml obeys Home Assistant's add-on rules, and its options are Judge settings.

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

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addons" / "wakesmith_judge"
REQUIRED = {"name", "version", "slug", "description", "arch"}
ARCHES = {"armhf", "armv7", "aarch64", "amd64", "i386"}
STARTUP = {"initialize", "system", "services", "application", "once"}
SLUG = re.compile(r"^[a-z0-9_]+$")
PORT_KEY = re.compile(r"^\d{1,5}/(tcp|udp)$")
SIMPLE_TYPES = {"str", "bool", "int", "float", "email", "url", "password", "port", "device"}
RANGED = re.compile(r"^(int|float|str)\((-?[\d.]*),(-?[\d.]*)\)$")
LIST_TYPE = re.compile(r"^list\(([^|()]+(\|[^|()]+)*)\)$")
MATCH_TYPE = re.compile(r"^match\((.+)\)$")


def _load(name: str) -> Any:
    return yaml.safe_load((ADDON / name).read_text())


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


def test_config_has_the_required_keys_and_valid_values() -> None:
    config = _load("config.yaml")
    assert not REQUIRED - set(config), REQUIRED - set(config)
    assert SLUG.match(config["slug"]) and config["slug"] == ADDON.name
    assert re.match(r"^\d+\.\d+\.\d+$", str(config["version"]))
    assert config["arch"] and set(config["arch"]) <= ARCHES
    assert config.get("startup", "application") in STARTUP
    assert "wyoming" in config["discovery"]
    assert all(PORT_KEY.match(k) for k in config["ports"]) and set(config["ports_description"]) == set(
        config["ports"]
    )
    assert {10400, 10401} <= {int(k.split("/")[0]) for k in config["ports"]}


def test_options_agree_with_schema_and_the_addon_options_model() -> None:
    config = _load("config.yaml")
    _check_schema(config["schema"], config["options"], "options")
    options = AddonOptions.model_validate(config["options"])  # what wakesmith judge-addon reads
    assert options.models[0].preset == "default"

    def keys(schema: Any, model: type[BaseModel]) -> None:
        assert set(schema) == set(model.model_fields), model.__name__
        for name, sub in schema.items():
            annotation = model.model_fields[name].annotation
            if isinstance(sub, dict) and isinstance(annotation, type) and issubclass(annotation, BaseModel):
                keys(sub, annotation)

    keys(config["schema"], AddonOptions)  # every option is read, every field is an option


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


def test_build_translations_dockerfile_and_repository() -> None:
    config = _load("config.yaml")
    build = _load("build.yaml")
    assert "image" not in config  # built locally from this repository until a registry publishes one
    assert set(config["discovery"]) == {"wyoming", "wakesmith"}
    assert set(build["build_from"]) == set(config["arch"])
    assert all("home-assistant" in image and "debian" in image for image in build["build_from"].values())
    translations = _load("translations/en.yaml")
    assert set(translations["configuration"]) == set(config["schema"])
    assert set(translations["network"]) == set(config["ports"])
    dockerfile = (ADDON / "Dockerfile").read_text()
    assert "FROM ${BUILD_FROM}" in dockerfile and "apk" not in dockerfile
    assert "install.sh /opt/wakesmith" in dockerfile and "COPY training" not in dockerfile
    install = (ADDON / "install.sh").read_text()
    assert "wakesmith[judge]" in install and "torch" not in install
    run = (ADDON / "rootfs" / "run.sh").read_text()
    assert "/opt/wakesmith/bin/wakesmith judge-addon" in run and "jq" not in run
    assert (ADDON / "DOCS.md").is_file()
    repo = yaml.safe_load((ROOT / "repository.yaml").read_text())
    assert {"name", "url", "maintainer"} <= set(repo)


def test_the_addon_requires_an_http_token() -> None:
    config = _load("config.yaml")
    assert config["options"]["http_token_required"] is True and config["options"]["http_token"] == ""
    assert config["schema"]["http_token"] == "password?"
