"""``wakesmith serve`` (the studio's backend + a worker process) and ``wakesmith worker`` (jobs only)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from wakesmith.errors import WakesmithError

if TYPE_CHECKING:
    from wakesmith.server.settings import ServerSettings

console = Console(stderr=True)
log = logging.getLogger("wakesmith.serve")
RESTART_DELAY_S = 2.0


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _logging(verbose: bool, json_logs: bool) -> None:
    handler = logging.StreamHandler()
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter(fmt))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)


def _supervise(argv: list[str], stop: threading.Event) -> None:
    """Keep one worker process running until ``stop``; a worker that ends is started again."""
    while not stop.is_set():
        proc = subprocess.Popen(argv)
        log.info("worker started (pid %d)", proc.pid)
        while proc.poll() is None and not stop.wait(0.5):
            pass
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            return
        log.warning("worker %d ended with %s; starting another", proc.pid, proc.returncode)
        stop.wait(RESTART_DELAY_S)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8787,
    home: Annotated[Path | None, typer.Option(help="Data home (default $WAKESMITH_HOME).")] = None,
    mode: Annotated[
        str, typer.Option(help="standalone (bearer token) or ingress (Home Assistant).")
    ] = "standalone",
    token: Annotated[str, typer.Option(help="Bearer token (default: made once, kept in the home).")] = "",
    share_folder: Annotated[
        Path | None, typer.Option(help="A folder the Judge reads (judge deploys).")
    ] = None,
    judge_share_folder: Annotated[Path | None, typer.Option(help="That folder as the Judge sees it.")] = None,
    captures_folder: Annotated[
        Path | None, typer.Option(help="The Judge's capture folder (retrain).")
    ] = None,
    device: Annotated[str, typer.Option(help="Device jobs run on (cpu, cuda).")] = "cpu",
    worker: Annotated[bool, typer.Option(help="Start a worker process beside the server.")] = True,
    config: Annotated[
        Path | None, typer.Option(help="Settings file (JSON or YAML); flags are ignored.")
    ] = None,
    json_logs: Annotated[bool, typer.Option("--json-logs", help="Log JSON lines.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Serve the trainer studio: its API, its web UI (when built) and a worker process for its jobs."""
    from wakesmith.config import load_yaml_mapping, validate
    from wakesmith.server.settings import ServerSettings

    try:
        if config is not None:
            settings: ServerSettings = validate(ServerSettings, load_yaml_mapping(config), str(config))
        else:
            data = {
                "host": host,
                "port": port,
                "home": home,
                "mode": mode,
                "token": token,
                "device": device,
                "share_folder": share_folder,
                "judge_share_folder": judge_share_folder,
                "captures_folder": captures_folder,
                "json_logs": json_logs,
                "spawn_worker": worker,
            }
            settings = validate(ServerSettings, data, "wakesmith serve")
        run_studio(settings, verbose=verbose)
    except WakesmithError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def run_studio(settings: ServerSettings, *, verbose: bool = False) -> None:
    """Log, build the app (its token, its UI), start the worker beside it and serve until stopped:
    what ``serve`` and the trainer add-on (``trainer-addon``) share. Raises WakesmithError before
    anything listens when the settings cannot be served."""
    import uvicorn

    from wakesmith.server.app import create_app
    from wakesmith.server.ui import UiNotBuiltError, mount_ui

    _logging(verbose, settings.json_logs)
    secret = settings.token  # ingress: a second door for programs with the token, when given
    if settings.mode == "standalone":
        secret, made = settings.resolved_token()
        if made:
            log.warning(
                "studio token (shown once; kept in %s/studio_token): %s",
                settings.resolved_home().root,
                secret,
            )
    app = create_app(settings, token=secret)
    try:
        mount_ui(app)
    except UiNotBuiltError as exc:
        log.warning("%s The API is served without it.", exc)
    else:
        if settings.mode == "standalone":
            shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
            log.info("studio: open http://%s:%d/#token=<the studio token>", shown, settings.port)
    stop = threading.Event()
    supervisor = None

    def _terminate(signum: int, _frame: object) -> None:
        # uvicorn re-raises the SIGTERM it caught once it has shut down; ending here runs the clean-up
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _terminate)
    if settings.spawn_worker:
        argv = [
            sys.executable,
            "-m",
            "wakesmith.cli.main",
            "worker",
            "--home",
            str(settings.resolved_home().root),
            "--device",
            settings.device,
            "--parent",
            str(os.getpid()),
        ] + (["--json-logs"] if settings.json_logs else [])
        supervisor = threading.Thread(
            target=_supervise, args=(argv, stop), name="worker-supervisor", daemon=True
        )
        supervisor.start()
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, proxy_headers=False)
    finally:
        stop.set()
        if supervisor is not None:
            supervisor.join(15)


def trainer_addon(
    options: Annotated[Path, typer.Option(help="The add-on's options (written by the Supervisor).")] = Path(
        "/data/options.json"
    ),
    data: Annotated[Path, typer.Option(help="Persistent folder: the generated token.")] = Path("/data"),
    port: Annotated[int, typer.Option(help="The ingress port (config.yaml's ingress_port).")] = 8099,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Start the studio as the trainer add-on does: options.json → settings (ingress + token), then serve."""
    from wakesmith.server.addon import prepare

    try:
        run_studio(prepare(options, data, port), verbose=verbose)
    except WakesmithError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def worker(
    home: Annotated[Path | None, typer.Option(help="Data home (default $WAKESMITH_HOME).")] = None,
    device: Annotated[str, typer.Option(help="The device whose jobs it claims.")] = "cpu",
    once: Annotated[bool, typer.Option(help="Stop when the queue is empty.")] = False,
    parent: Annotated[int | None, typer.Option(help="Stop when this process (serve) is gone.")] = None,
    json_logs: Annotated[bool, typer.Option("--json-logs", help="Log JSON lines.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run queued jobs (training, synthesis, retraining) one at a time, resuming any whose worker died."""
    from wakesmith.home import Home
    from wakesmith.jobs.worker import run_worker

    _logging(verbose, json_logs)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish at the next poll; a running job is requeued
    started = time.monotonic()
    ran = run_worker(Home.resolve(home), device=device, once=once, stop=stop, parent=parent)
    log.info("worker ran %d jobs in %.0f s", ran, time.monotonic() - started)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("trainer-addon")(trainer_addon)
