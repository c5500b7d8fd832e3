"""``wakesmith judge``: flags or a settings file → :class:`JudgeSettings` → :func:`run_judge`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from wakesmith.errors import WakesmithError
from wakesmith.judge.settings import DEFAULT_HTTP_PORT, DEFAULT_WYOMING_URI, load_settings, parse_settings

console = Console(stderr=True)


def judge(
    model: Annotated[
        list[Path] | None, typer.Option("--model", "-m", help="Judge model (.onnx); repeat for several.")
    ] = None,
    uri: Annotated[str, typer.Option(help="Wyoming address.")] = DEFAULT_WYOMING_URI,
    http_port: Annotated[
        int, typer.Option(help="HTTP port for /verify, /health, /metrics.")
    ] = DEFAULT_HTTP_PORT,
    preset: Annotated[str, typer.Option(help="Threshold preset: sensitive, default, strict.")] = "default",
    mqtt_host: Annotated[str, typer.Option(help="MQTT broker for telemetry (empty: off).")] = "",
    mqtt_port: Annotated[int, typer.Option(help="MQTT broker port.")] = 1883,
    capture_dir: Annotated[Path | None, typer.Option(help="Keep rejected triggers here.")] = None,
    threads: Annotated[int, typer.Option(help="Inference threads.")] = 2,
    config: Annotated[
        Path | None,
        typer.Option(help="Settings file (JSON/YAML, e.g. the add-on's options.json); flags ignored."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Serve judge models as a Wyoming wake-word service, with HTTP /verify and MQTT telemetry."""
    from wakesmith.judge.service import run_judge

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if config is not None:
            settings = load_settings(config)
        else:
            data: dict[str, Any] = {
                "models": [{"path": str(p), "preset": preset} for p in model or []],
                "uri": uri,
                "http_port": http_port,
                "threads": threads,
                "mqtt": {"host": mqtt_host, "port": mqtt_port},
                "capture": {"folder": str(capture_dir) if capture_dir else None},
            }
            if not data["models"]:
                raise typer.BadParameter("give at least one --model PATH.onnx (or --config)")
            settings = parse_settings(data, "wakesmith judge")
        run_judge(settings)
    except WakesmithError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def judge_addon(
    options: Annotated[Path, typer.Option(help="The add-on's options (written by the Supervisor).")] = Path(
        "/data/options.json"
    ),
    data: Annotated[
        Path, typer.Option(help="Persistent folder: the generated token, installed models' record.")
    ] = Path("/data"),
    supervisor: Annotated[str, typer.Option(help="Supervisor API (token from SUPERVISOR_TOKEN).")] = (
        "http://supervisor"
    ),
    hostname: Annotated[
        str | None, typer.Option(help="Name Home Assistant reaches the add-on by (default: this host's).")
    ] = None,
    port: Annotated[int, typer.Option(help="Wyoming port (the add-on's container port).")] = 10400,
    http_port: Annotated[int, typer.Option(help="HTTP port.")] = DEFAULT_HTTP_PORT,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Start the Judge as the Home Assistant add-on does: options.json → settings, then discovery."""
    from wakesmith.judge.addon import run_addon

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        run_addon(options, data, supervisor, hostname, (port, http_port))
    except WakesmithError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
