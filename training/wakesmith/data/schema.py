"""The dataset manifest: one ``Clip`` row per audio clip, plus the vocabulary of its fields.

A clip's audio lives in the content-addressed clip folder (``home.clips/ab/abcd….wav``, named by the
sha256 of its 16-bit PCM bytes), so the same sound stored in two datasets is one file. Augmentation
is never materialized here: a row is the clean clip and its provenance.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import DateTime, Dialect, Float, Index, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from wakesmith.errors import DatasetError
from wakesmith.registry import did_you_mean


class Label(StrEnum):
    """What a clip is, for training."""

    POSITIVE = "positive"
    """The wake phrase."""
    NEGATIVE = "negative"
    """Any other speech or sound."""
    HARD_NEGATIVE = "hard_negative"
    """A real false accept (e.g. a Judge rejection) or a near miss that the model must learn to reject."""
    BACKGROUND = "background"
    """Noise or room tone; mixed under other clips by augmentation and used as negatives."""


class Source(StrEnum):
    """Where a clip came from."""

    SYNTHETIC = "synthetic"
    UPLOAD = "upload"
    RECORDING = "recording"
    SCAN = "scan"
    SATELLITE = "satellite"
    MINED = "mined"
    """A false accept of a trained model on the train split's speech (:mod:`wakesmith.mine`)."""


class Split(StrEnum):
    TRAIN = "train"
    VAL = "val"
    TEST = "test"


DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _choice(enum: type[StrEnum], value: str, what: str) -> str:
    try:
        return str(enum(value))
    except ValueError:
        known = [str(m) for m in enum]
        raise DatasetError(
            f"Unknown {what} {value!r}.{did_you_mean(str(value), known)} Use one of: {', '.join(known)}."
        ) from None


def check_label(value: str) -> str:
    """The label as a plain string, or DatasetError naming the valid labels."""
    return _choice(Label, value, "label")


def check_source(value: str) -> str:
    return _choice(Source, value, "source")


def check_split(value: str | None) -> str | None:
    return None if value is None else _choice(Split, value, "split")


def check_dataset(name: str) -> str:
    """A dataset name: letters, digits, ``_ . -``, starting with a letter or digit, at most 100 characters."""
    if not isinstance(name, str) or not DATASET_NAME.match(name):
        raise DatasetError(
            f"Dataset name {name!r} is not valid: use letters, digits, '_', '.' or '-' (e.g. 'hey_katya')."
        )
    return name


def unknown_dataset(name: str, known: list[str]) -> DatasetError:
    """The error for a dataset with no clips, naming the datasets there are."""
    listing = ", ".join(known) if known else "none yet"
    return DatasetError(
        f"Dataset {name!r} has no clips.{did_you_mean(name, known)} Datasets: {listing}. Add clips with "
        "`wakesmith synth`, `wakesmith dataset scan` or `wakesmith dataset import`."
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes; SQLite stores no zone, so they are kept as naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Clip(Base):
    """One clip of one dataset. ``path`` is relative to ``home.clips``; ``meta`` is JSON text."""

    __tablename__ = "clips"
    __table_args__ = (
        UniqueConstraint("dataset", "content_hash", name="uq_clips_dataset_hash"),
        Index("ix_clips_dataset_split", "dataset", "split"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(100), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(200))
    duration_s: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(String(20))
    speaker: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20))
    split: Mapped[str | None] = mapped_column(String(8), nullable=True, default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    rms_dbfs: Mapped[float] = mapped_column(Float)
    peak_dbfs: Mapped[float] = mapped_column(Float)
    clipping_fraction: Mapped[float] = mapped_column(Float)
    snr_db: Mapped[float] = mapped_column(Float)
    deleted: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def meta_dict(self) -> dict[str, Any]:
        """``meta`` parsed (provenance: voice, synthesis parameters, licence…)."""
        value = json.loads(self.meta or "{}")
        return value if isinstance(value, dict) else {"value": value}

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-able values (``meta`` parsed, ``created_at`` as ISO 8601)."""
        row = {col.name: getattr(self, col.name) for col in Clip.__table__.columns}
        row["meta"] = self.meta_dict()
        row["created_at"] = self.created_at.isoformat() if self.created_at else None
        return row

    def __repr__(self) -> str:
        flag = " deleted" if self.deleted else ""
        return f"<Clip {self.id} {self.dataset}/{self.label} {self.duration_s:.2f}s split={self.split}{flag}>"


COLUMNS = tuple(col.name for col in Clip.__table__.columns)


class SplitPolicy(Base):
    """The split ratios and salt last used for a dataset, so later calls keep earlier assignments."""

    __tablename__ = "split_policies"

    dataset: Mapped[str] = mapped_column(String(100), primary_key=True)
    train: Mapped[float] = mapped_column(Float)
    val: Mapped[float] = mapped_column(Float)
    test: Mapped[float] = mapped_column(Float)
    salt: Mapped[str] = mapped_column(String(200), default="")


@dataclass
class NewClip:
    """A clip to add with :meth:`ClipStore.add_many`: ``audio`` (float32 16 kHz) or a ``path`` to read."""

    dataset: str
    label: str
    source: str
    audio: np.ndarray | None = None
    path: Path | str | None = None
    speaker: str = ""
    text: str = ""
    meta: dict[str, Any] | None = None
    notes: str = ""
    split: str | None = None
    """Normally None: :meth:`ClipStore.assign_splits` assigns splits."""
    deleted: bool = False
