"""Reading Wyoming events defensively, and converting each stream's audio to 16 kHz mono float.

``wyoming.event.async_read_event`` trusts its peer (any ``payload_length`` is read into memory, a
malformed header silently ends the connection). The Judge faces satellites and scripts on the LAN, so
it reads with bounds and turns every violation into a :class:`ProtocolError` the server can answer.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import soxr
from wyoming.event import Event

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, WakesmithError

MIN_RATE = 8000
MAX_RATE = 48000
WIDTH_DTYPES: dict[int, np.dtype[Any]] = {1: np.dtype("u1"), 2: np.dtype("<i2"), 4: np.dtype("<i4")}
"""Sample widths the Judge converts (bytes → numpy type); 8-bit PCM is unsigned by convention."""
MAX_CHANNELS = 2
_UNSIGNED_8BIT_ZERO = 128.0


class ProtocolError(WakesmithError):
    """A Wyoming peer broke the protocol (bad header, oversize data): the connection cannot go on."""


async def read_event(
    reader: asyncio.StreamReader,
    *,
    max_header: int,
    max_payload: int,
    idle_timeout: float | None = None,
    event_timeout: float | None = None,
) -> Event | None:
    """The next event, or None when the peer closed the connection (also mid-event).

    ``idle_timeout``: how long to wait for an event to start; ``event_timeout``: how long the rest of
    it (header line, data, payload) may take once its first byte came. Either running out is a
    :class:`ProtocolError`, so a silent or a trickling peer cannot hold a connection forever.
    """
    try:
        first = await asyncio.wait_for(reader.read(1), idle_timeout)
    except TimeoutError:
        raise ProtocolError(f"No event for {idle_timeout:g} s; closing this idle connection.") from None
    if not first:
        return None
    try:
        return await asyncio.wait_for(_read_rest(reader, first, max_header, max_payload), event_timeout)
    except TimeoutError:
        raise ProtocolError(
            f"An event took longer than {event_timeout:g} s to arrive; send each event at once."
        ) from None


async def _read_rest(
    reader: asyncio.StreamReader, first: bytes, max_header: int, max_payload: int
) -> Event | None:
    try:
        line = first + (b"" if first == b"\n" else await reader.readuntil(b"\n"))
    except asyncio.IncompleteReadError as exc:
        if (first + exc.partial).strip():
            raise ProtocolError("The connection closed in the middle of an event header.") from None
        return None
    except asyncio.LimitOverrunError:
        raise ProtocolError(f"An event header is longer than {max_header} bytes.") from None
    header = _json_object(line, "event header")
    kind = header.get("type")
    if not isinstance(kind, str) or not kind:
        raise ProtocolError(f"The event header has no 'type': {line[:200]!r}.")
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise ProtocolError(f"The 'data' of a {kind[:40]!r} event must be an object.")
    try:
        data_length = _length(header, "data_length", max_header)
        if data_length:
            data = {**data, **_json_object(await reader.readexactly(data_length), f"{kind[:40]!r} data")}
        payload_length = _length(header, "payload_length", max_payload)
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError:
        return None
    return Event(type=kind, data=data, payload=payload)


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ProtocolError(f"The {what} is nested too deeply to be an event.") from None
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(f"Malformed {what} (not JSON): {raw[:200]!r}.") from None
    if not isinstance(value, dict):
        raise ProtocolError(f"The {what} must be a JSON object, got {raw[:200]!r}.")
    return value


def _length(header: dict[str, Any], key: str, limit: int) -> int:
    value = header.get(key) or 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProtocolError(f"{key} must be a non-negative integer, got {value!r}.")
    if value > limit:
        raise ProtocolError(f"{key} {value} is over this server's limit of {limit} bytes.")
    return value


@dataclass(frozen=True)
class AudioFormat:
    """A stream's declared PCM format."""

    rate: int
    width: int
    channels: int

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AudioFormat:
        """Validate ``audio-start`` / ``audio-chunk`` data; refuse what cannot be converted (AudioError)."""
        try:
            fmt = cls(int(data["rate"]), int(data["width"]), int(data["channels"]))
        except (KeyError, TypeError, ValueError, OverflowError):
            shown = {k: data.get(k) for k in ("rate", "width", "channels")}
            raise AudioError(f"Audio events need integer rate, width and channels; got {shown!r}.") from None
        if not MIN_RATE <= fmt.rate <= MAX_RATE:
            raise AudioError(f"Sample rate {fmt.rate} Hz is not supported; send {MIN_RATE}–{MAX_RATE} Hz.")
        if fmt.width not in WIDTH_DTYPES:
            raise AudioError(f"Sample width {fmt.width} bytes is not supported; send 16-bit PCM (width 2).")
        if not 1 <= fmt.channels <= MAX_CHANNELS:
            raise AudioError(f"{fmt.channels} channels are not supported; send mono (or stereo).")
        return fmt

    @property
    def frame_bytes(self) -> int:
        return self.width * self.channels


class StreamConverter:
    """PCM of one declared format → float32 16 kHz mono, with resampler state across chunks."""

    def __init__(self, fmt: AudioFormat) -> None:
        self.fmt = fmt
        self._resampler = (
            None
            if fmt.rate == SAMPLE_RATE
            else soxr.ResampleStream(fmt.rate, SAMPLE_RATE, 1, dtype="float32")
        )

    def convert(self, pcm: bytes, fmt: AudioFormat | None = None) -> np.ndarray:
        """Convert one chunk; a chunk in another format than the stream's, or cut mid-frame, is refused."""
        if fmt is not None and fmt != self.fmt:
            raise AudioError(f"An audio chunk is {fmt}, but its stream started as {self.fmt}.")
        if len(pcm) % self.fmt.frame_bytes:
            raise AudioError(
                f"An audio chunk of {len(pcm)} bytes is not whole frames of {self.fmt.frame_bytes} bytes."
            )
        dtype = WIDTH_DTYPES[self.fmt.width]
        samples = np.frombuffer(pcm, dtype=dtype).astype(np.float32)
        if self.fmt.width == 1:
            samples -= _UNSIGNED_8BIT_ZERO
        samples /= float(2 ** (8 * self.fmt.width - 1))
        mono = samples.reshape(-1, self.fmt.channels).mean(axis=1, dtype=np.float32)
        if self._resampler is None:
            return mono
        return np.asarray(self._resampler.resample_chunk(mono), dtype=np.float32)

    def flush(self) -> np.ndarray:
        """The resampler's last samples at the end of a stream."""
        if self._resampler is None:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self._resampler.resample_chunk(np.zeros(0, np.float32), last=True), np.float32)
