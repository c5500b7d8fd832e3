"""The export format table: one entry per format, each with its suffix, options and export function.

Formats register where they are defined (``export/onnx.py`` …). An option a format does not support is
an :class:`ExportError`, never silently ignored. Everything a caller needs to know about a format is in
its row: which roles it takes, whether it needs representative features (``features`` in its options)
or calibration audio (``calibration``), whether it writes several files (``bundle``: they go in a folder
of their own) and which artifact file it replaces when written without an output path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wakesmith.errors import ConfigError, ExportError
from wakesmith.metadata import ModelMetadata
from wakesmith.registry import Registry

ExportFn = Callable[..., Path]
"""``fn(model, metadata: ModelMetadata, out_path, **options) -> Path`` of the written file."""
ROLES = ("sentry", "judge")


@dataclass(frozen=True)
class ExportFormat:
    """One row of the format table."""

    name: str
    suffix: str
    options: tuple[str, ...]
    description: str
    fn: ExportFn
    roles: tuple[str, ...] = ROLES
    """Model roles the format exports (the edge formats take the sentry only)."""
    bundle: bool = False
    """Writes several files next to the one it returns (they get a folder of their own)."""
    artifact_file: str | None = None
    """The artifact's own file this format writes when no output path is given (``model.onnx``)."""

    def accepts(self, option: str) -> bool:
        return option in self.options

    def check_role(self, metadata: ModelMetadata) -> None:
        if metadata.role not in self.roles:
            raise ExportError(
                f"The {self.name} export is for {' and '.join(self.roles)} models; "
                f"{metadata.model_id} is a {metadata.role}."
            )

    def export(self, model: Any, metadata: ModelMetadata, out_path: Path | str, **options: Any) -> Path:
        """Write ``model`` with ``metadata`` embedded to ``out_path``; unsupported options are refused."""
        self.check_role(metadata)
        unsupported = sorted(set(options) - set(self.options))
        if unsupported:
            accepted = ", ".join(self.options) or "none"
            raise ExportError(
                f"The {self.name} export does not support {', '.join(map(repr, unsupported))}. "
                f"Its options: {accepted}."
            )
        return self.fn(model, metadata, Path(out_path), **options)


FORMATS: Registry[ExportFormat] = Registry("export format")


def register_format(
    name: str,
    *,
    suffix: str,
    options: tuple[str, ...] = (),
    description: str = "",
    roles: tuple[str, ...] = ROLES,
    bundle: bool = False,
    artifact_file: str | None = None,
) -> Callable[[ExportFn], ExportFn]:
    """Decorator for an export function: adds a row named ``name`` to the format table."""

    def add(fn: ExportFn) -> ExportFn:
        summary = description or (fn.__doc__ or "").strip().split("\n", 1)[0]
        row = ExportFormat(name, suffix, options, summary, fn, roles, bundle, artifact_file)
        FORMATS.register(name)(row)
        return fn

    return add


def get_format(name: str) -> ExportFormat:
    """The table row for ``name``; an unknown name raises :class:`ExportError` with a suggestion."""
    try:
        return FORMATS.get(name)
    except ConfigError as exc:
        raise ExportError(str(exc)) from None


def list_formats() -> list[str]:
    """Names of every export format, sorted."""
    return FORMATS.names()


def format_table() -> list[ExportFormat]:
    """Every row of the table, sorted by name (what ``wakesmith export --list`` prints)."""
    return [FORMATS.get(name) for name in FORMATS.names()]


def export_model(
    model: Any, metadata: ModelMetadata, out_path: Path | str, fmt: str = "onnx", **options: Any
) -> Path:
    """Export ``model`` in format ``fmt`` (see :func:`list_formats`)."""
    return get_format(fmt).export(model, metadata, out_path, **options)
