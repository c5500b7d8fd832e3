"""The export format table: one entry per format, each with its suffix, options and export function.

Formats register where they are defined (``export/onnx.py`` …). An option a format does not support is
an :class:`ExportError`, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wakesmith.errors import ConfigError, ExportError
from wakesmith.registry import Registry

ExportFn = Callable[..., Path]
"""``fn(model, metadata, out_path, **options) -> Path`` of the written file."""


@dataclass(frozen=True)
class ExportFormat:
    """One row of the format table."""

    name: str
    suffix: str
    options: tuple[str, ...]
    description: str
    fn: ExportFn

    def export(self, model: Any, metadata: dict[str, Any], out_path: Path | str, **options: Any) -> Path:
        """Write ``model`` with ``metadata`` embedded to ``out_path``; unsupported options are refused."""
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
    name: str, *, suffix: str, options: tuple[str, ...] = (), description: str = ""
) -> Callable[[ExportFn], ExportFn]:
    """Decorator for an export function: adds a row named ``name`` to the format table."""

    def add(fn: ExportFn) -> ExportFn:
        summary = description or (fn.__doc__ or "").strip().split("\n", 1)[0]
        FORMATS.register(name)(ExportFormat(name, suffix, options, summary, fn))
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


def export_model(
    model: Any, metadata: dict[str, Any], out_path: Path | str, fmt: str = "onnx", **options: Any
) -> Path:
    """Export ``model`` in format ``fmt`` (see :func:`list_formats`)."""
    return get_format(fmt).export(model, metadata, out_path, **options)
