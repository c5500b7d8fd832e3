"""``wakesmith satellite``: flags → :class:`SatelliteConfig` → :func:`wakesmith.api.satellite`.

Prints each verdict as it arrives and a summary at the end; the satellite module logs them too.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from wakesmith.errors import WakesmithError

console = Console(highlight=False)

COLOURS = {"accept": "green", "reject": "yellow", "timeout": "magenta", "error": "red"}


def _print_verdict(v: Any) -> None:
    judge = "" if v.judge_score is None else f"  judge {v.judge_score:.3f}"
    colour = COLOURS.get(str(v.kind), "white")
    wakes = "wake" if v.wakes else "stay asleep"
    detail = f"  ({v.detail})" if v.detail else ""
    console.print(
        f"{v.time_s:8.2f} s  sentry {v.sentry_score:.3f}  [{colour}]{v.kind}[/{colour}]{judge}  "
        f"{v.round_trip_ms:6.1f} ms  → {wakes}{detail}",
        soft_wrap=True,
    )


def satellite(
    model: Annotated[
        Path, typer.Argument(help="The exported sentry: manifest .json, .tflite or their folder.")
    ],
    wav: Annotated[Path | None, typer.Option(help="Listen to this audio file.")] = None,
    mic: Annotated[bool, typer.Option("--mic", help="Listen to the microphone (needs sounddevice).")] = False,
    judge: Annotated[str, typer.Option(help="The Judge's Wyoming address.")] = "tcp://127.0.0.1:10400",
    name: Annotated[
        str, typer.Option("--satellite", help="This satellite's name in the Judge's sensors.")
    ] = "virtual-satellite",
    preset: Annotated[
        str | None,
        typer.Option(help="A shipped preset (sensitive, default, strict); default: the manifest's."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a verdict.")] = 2.0,
    on_timeout: Annotated[
        str, typer.Option(help="Wake when the Judge is silent: accept or reject.")
    ] = "reject",
    on_error: Annotated[
        str, typer.Option(help="Wake when the Judge cannot answer: accept or reject.")
    ] = "reject",
    judge_model: Annotated[
        str | None, typer.Option(help="The Judge model to ask (default: its first).")
    ] = None,
    realtime: Annotated[bool, typer.Option(help="Pace the file like a microphone.")] = False,
    seconds: Annotated[float | None, typer.Option(help="Stop after this much audio (microphone).")] = None,
    mic_device: Annotated[str | None, typer.Option(help="sounddevice input (name or index).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """A virtual satellite: the INT8 sentry over a file or the microphone, each trigger verified by the
    Judge exactly as the ESPHome gate asks it."""
    from wakesmith import api
    from wakesmith.config import validate
    from wakesmith.satellite import SatelliteConfig

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    data: dict[str, Any] = {
        "model": model,
        "preset": preset,
        "wav": wav,
        "mic": mic,
        "mic_device": int(mic_device) if mic_device and mic_device.isdigit() else mic_device,
        "seconds": seconds,
        "realtime": realtime,
        "judge": judge,
        "judge_model": judge_model,
        "satellite": name,
        "timeout_s": timeout,
        "on_timeout": on_timeout,
        "on_error": on_error,
    }
    try:
        cfg = validate(SatelliteConfig, data, "wakesmith satellite")
        report = api.satellite(cfg, on_verdict=_print_verdict)
    except WakesmithError as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    m = report.model
    cutoff = f"cutoff {m.cutoff:.3f} ({m.preset or m.manifest.name})"
    counts = ", ".join(f"{report.count(k)} {k}" for k in ("accept", "reject", "timeout", "error"))
    triggers = f"{len(report.verdicts)} trigger{'s' * (len(report.verdicts) != 1)}"
    console.print(
        f"{report.audio_s:.1f} s of audio, {cutoff}: {triggers} ({counts}); woke {report.wakes}×",
        soft_wrap=True,
    )
