"""Where wakesmith keeps its data: ``$WAKESMITH_HOME`` (default ``~/.local/share/wakesmith``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_home() -> Path:
    env = os.environ.get("WAKESMITH_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "wakesmith"


@dataclass(frozen=True)
class Home:
    """The folders under one data home. Nothing is created until asked for."""

    root: Path

    @classmethod
    def resolve(cls, root: Path | str | None = None) -> Home:
        return cls(Path(root).expanduser() if root is not None else default_home())

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'dataset.sqlite'}"

    @property
    def clips(self) -> Path:
        return self.root / "clips"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def streams(self) -> Path:
        return self.root / "streams"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    def ensure(self) -> Home:
        for p in (self.root, self.clips, self.models, self.runs, self.cache, self.streams, self.staging):
            p.mkdir(parents=True, exist_ok=True)
        return self
