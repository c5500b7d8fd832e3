"""Typed settings of the virtual satellite; the CLI and the API fill them in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wakesmith.runtime.cascade import POST_ROLL_S, PRE_ROLL_S

DEFAULT_JUDGE_URI = "tcp://127.0.0.1:10400"
DEFAULT_SATELLITE = "virtual-satellite"
DEFAULT_TIMEOUT_S = 2.0
"""How long the gate waits for a verdict (connection included); the Judge answers in well under 0.3 s."""
BLOCK_S = 0.1
"""Audio is read and pushed through the sentry in blocks of this length (a microphone's buffer)."""

Policy = Literal["accept", "reject"]


class SatelliteConfig(BaseModel):
    """Everything :func:`wakesmith.satellite.run_satellite` needs. Give exactly one of ``wav`` / ``mic``."""

    model_config = ConfigDict(extra="forbid")

    model: Path
    """The exported sentry: its manifest ``.json``, its ``.tflite`` (manifest beside it) or their folder,
    as ``wakesmith export sentry --format esphome`` writes them."""
    preset: str | None = None
    """A shipped sensitivity preset (``<stem>.presets.json``); None: the manifest's own cutoff."""
    wav: Path | None = None
    """Listen to this file instead of a microphone."""
    mic: bool = False
    """Listen to the default microphone (needs the ``sounddevice`` package)."""
    mic_device: str | int | None = None
    """A ``sounddevice`` input device (name or index); None: the system default."""
    seconds: float | None = Field(default=None, gt=0)
    """Stop after this much audio (microphone); None: until the file ends or Ctrl-C."""
    realtime: bool = False
    """Pace a WAV like a microphone (one block per block length) instead of as fast as possible."""
    judge: str = DEFAULT_JUDGE_URI
    """The Judge's Wyoming address, ``tcp://host:port``."""
    judge_model: str | None = None
    """The Judge model to ask (``detect.names``); None: the Judge's first model."""
    satellite: str = Field(default=DEFAULT_SATELLITE, min_length=1)
    """This satellite's name in the Judge's telemetry and captures."""
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0)
    on_timeout: Policy = "reject"
    """Whether the satellite wakes when the Judge does not answer within ``timeout_s``."""
    on_error: Policy = "reject"
    """Whether it wakes when the Judge cannot answer (unreachable, closed mid-verdict, malformed reply)."""
    pre_roll_s: float = Field(default=PRE_ROLL_S, gt=0)
    post_roll_s: float = Field(default=POST_ROLL_S, ge=0)
    block_s: float = Field(default=BLOCK_S, gt=0, le=1.0)

    @field_validator("judge")
    @classmethod
    def _tcp_uri(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
            raise ValueError(f"the Judge address must look like tcp://host:10400, not {value!r}")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> SatelliteConfig:
        if (self.wav is None) == (not self.mic):
            raise ValueError("give exactly one audio source: a WAV file (wav) or the microphone (mic)")
        return self

    @property
    def judge_address(self) -> tuple[str, int]:
        parts = urlsplit(self.judge)
        assert parts.hostname is not None and parts.port is not None
        return parts.hostname, parts.port
