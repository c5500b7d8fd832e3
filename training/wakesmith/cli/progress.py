"""Draws the event stream as rich progress bars (the CLI's only view of a running job)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from wakesmith.events import Event


class RichProgress:
    """An event sink: one bar per stage, warnings and saved artifacts printed above the bars."""

    def __init__(self, console: Console | None = None, *, verbose: bool = False) -> None:
        self.console = console or Console(stderr=True)
        self.verbose = verbose
        self.progress = Progress(
            TextColumn("[bold]{task.fields[stage]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self.console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self._last_decile: dict[str, int] = {}

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def __call__(self, event: Event) -> None:
        if not self.console.is_terminal:
            self._plain(event)
            return
        if event.name == "stage_started":
            self.tasks[event.stage] = self.progress.add_task(
                event.message, total=event.total, stage=event.stage
            )
        elif event.name == "stage_progress" and event.stage in self.tasks:
            self.progress.update(
                self.tasks[event.stage], completed=event.done, total=event.total, description=event.message
            )
        elif event.name == "stage_finished" and event.stage in self.tasks:
            task = self.tasks.pop(event.stage)
            total = self.progress.tasks[task].total
            self.progress.update(task, completed=total or 1, total=total or 1, description=event.message)
        elif event.name == "warning":
            self.progress.console.print(f"[yellow]warning[/yellow] {event.stage}: {event.message}")
        elif event.name == "artifact_saved":
            self.progress.console.print(f"[green]saved[/green] {event.message}")
        elif event.name == "metric" and self.verbose:
            values = ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in event.data.items()
            )
            self.progress.console.print(f"{event.stage}: {values}")

    def _plain(self, event: Event) -> None:
        """Line-by-line output for logs and CI (no live bars): every stage, every 10 % of progress."""
        if event.name == "stage_progress":
            if not event.total:
                return
            decile = 10 * event.done // event.total
            if decile <= self._last_decile.get(event.stage, -1):
                return
            self._last_decile[event.stage] = decile
            line = f"{event.stage}: {event.done}/{event.total} {event.message}"
        elif event.name == "stage_started":
            self._last_decile.pop(event.stage, None)
            line = f"{event.stage}: started {event.message}"
        elif event.name == "stage_finished":
            line = f"{event.stage}: done {event.message}"
        elif event.name == "warning":
            line = f"warning {event.stage}: {event.message}"
        elif event.name == "artifact_saved":
            line = f"saved {event.message}"
        elif self.verbose:
            line = f"{event.stage}: " + ", ".join(f"{k}={v}" for k, v in event.data.items())
        else:
            return
        self.console.print(line, highlight=False, soft_wrap=True)
