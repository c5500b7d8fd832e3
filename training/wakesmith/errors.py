"""Errors a user can act on.

Every error raised for bad input derives from :class:`WakesmithError` and carries a message that says
what was wrong *and what to do*. The CLI prints these without a traceback; other exceptions are bugs.
"""

from __future__ import annotations


class WakesmithError(Exception):
    """Base class for errors caused by input, configuration or environment (not by bugs)."""


class AudioError(WakesmithError):
    """Audio that cannot be read, is empty, too long, or not in (or convertible to) the contract."""


class ConfigError(WakesmithError):
    """A recipe or override that does not validate (unknown key, wrong type, bad value)."""


class DatasetError(WakesmithError):
    """A dataset operation that cannot be carried out (missing clip, empty split, bad import file)."""


class ArtifactError(WakesmithError):
    """A model artifact that is missing, incomplete or of an unsupported version."""


class ExportError(WakesmithError):
    """An export that cannot be produced (unsupported option, failed parity check, size limit)."""


class ToolMissingError(WakesmithError):
    """An external program or optional extra that is not installed (espeak-ng, tensorflow…)."""
