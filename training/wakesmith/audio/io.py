"""Reading, decoding and writing audio at the edge of the system.

In memory, audio is a 1-D ``np.float32`` array in [-1, 1] at :data:`wakesmith.config.SAMPLE_RATE`
(16 kHz), mono. On disk and on the wire it is 16-bit PCM mono WAV. Anything else is converted here
(stereo is averaged to mono, other rates are resampled with soxr in high quality) or refused with an
:class:`~wakesmith.errors.AudioError` that says what was found and what to do.

PCM scaling is :mod:`wakesmith.audio.pcm`'s ``int16 / 32768`` (as soundfile and libsndfile read it),
so ``to_pcm16(from_pcm16(b)) == b`` holds exactly: a clip read back from the store hashes to the same
content hash it was stored under.
"""

from __future__ import annotations

import io
import logging
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import soundfile as sf
import soxr

from wakesmith.audio.pcm import float_to_int16, int16_to_float
from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError
from wakesmith.fsio import atomic_path

log = logging.getLogger(__name__)

DEFAULT_MAX_SECONDS = 600.0
"""Longest audio accepted by default: ten minutes (longer files are usually a mistake or a stream)."""

RESAMPLE_QUALITY = "HQ"
"""soxr quality preset: high quality is transparent for speech and fast enough for uploads."""

CONVERT_HINT = "convert it with e.g. `ffmpeg -i INPUT -ac 1 -ar 16000 -c:a pcm_s16le OUTPUT.wav`"
FORMATS_HINT = "WAV, FLAC, OGG/Vorbis, Opus or MP3"
FLOAT_BYTES = 4


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file's header says, without decoding it."""

    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    format: str
    subtype: str

    @property
    def is_contract(self) -> bool:
        """True when the file is already 16 kHz mono 16-bit PCM (no conversion needed)."""
        return self.sample_rate == SAMPLE_RATE and self.channels == 1 and self.subtype == "PCM_16"


def _open(source: Path | BinaryIO, what: str) -> sf.SoundFile:
    try:
        return sf.SoundFile(source)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(
            f"{what} is not readable audio ({exc}). Supported: {FORMATS_HINT}; if it is audio in another "
            f"format, {CONVERT_HINT}."
        ) from None


def _info(snd: sf.SoundFile) -> AudioInfo:
    rate, frames = int(snd.samplerate), int(snd.frames)
    return AudioInfo(rate, int(snd.channels), frames, frames / rate if rate else 0.0, snd.format, snd.subtype)


def _check_path(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"Audio file {str(path)!r} does not exist; check the path.")
    if not path.is_file():
        raise AudioError(f"{str(path)!r} is not a file; give the path of one audio file.")


def probe(path: Path | str) -> AudioInfo:
    """Read an audio file's header: rate, channels, frames, duration, subtype. Raises AudioError."""
    path = Path(path)
    _check_path(path)
    with _open(path, f"File {str(path)!r}") as snd:
        return _info(snd)


@dataclass(frozen=True)
class DecodeLimits:
    """Caps checked against a file's header before decoding (None: no cap), and again while reading."""

    max_seconds: float | None = DEFAULT_MAX_SECONDS
    min_rate: int | None = None
    max_rate: int | None = None
    max_channels: int | None = None
    max_decoded_bytes: int | None = None
    """float32 samples of all channels, as decoded before mixing and resampling."""


def _check_header(info: AudioInfo, what: str, limits: DecodeLimits) -> int | None:
    """Refuse what the header says is out of bounds; the most frames to read (None: no bound)."""
    if (limits.min_rate is not None and info.sample_rate < limits.min_rate) or (
        limits.max_rate is not None and info.sample_rate > limits.max_rate
    ):
        raise AudioError(
            f"{what} is {info.sample_rate} Hz; accepted rates are {limits.min_rate or 1}–"
            f"{limits.max_rate or 'any'} Hz: {CONVERT_HINT}."
        )
    if limits.max_channels is not None and info.channels > limits.max_channels:
        raise AudioError(f"{what} has {info.channels} channels; at most {limits.max_channels} are accepted.")
    bounds = []
    if limits.max_seconds is not None:
        if info.duration_s > limits.max_seconds:
            raise AudioError(
                f"{what} is {info.duration_s:.1f} s long; the limit is {limits.max_seconds:g} s. Cut it "
                f"into shorter files (e.g. `sox INPUT OUTPUT.wav trim 0 {limits.max_seconds:g} : newfile "
                ": restart`)."
            )
        bounds.append(int(limits.max_seconds * info.sample_rate))
    if limits.max_decoded_bytes is not None:
        frame_bytes = FLOAT_BYTES * max(1, info.channels)
        if info.frames * frame_bytes > limits.max_decoded_bytes:
            raise AudioError(
                f"{what} decodes to {info.frames * frame_bytes} bytes; the limit is "
                f"{limits.max_decoded_bytes}. Send a shorter clip, mono, 16 kHz."
            )
        bounds.append(limits.max_decoded_bytes // frame_bytes)
    return min(bounds) if bounds else None


def _decode(source: Path | BinaryIO, what: str, limits: DecodeLimits, convert: bool) -> np.ndarray:
    with _open(source, what) as snd:
        info = _info(snd)
        if info.frames <= 0:
            raise AudioError(f"{what} holds no audio (zero length); record or export it again.")
        most = _check_header(info, what, limits)
        if not convert and (info.sample_rate != SAMPLE_RATE or info.channels != 1):
            raise AudioError(
                f"{what} is {info.sample_rate} Hz with {info.channels} channel(s); expected {SAMPLE_RATE} Hz "
                f"mono. Pass convert=True to convert it on load, or {CONVERT_HINT}."
            )
        try:
            # A header can lie about its length: never read more than the caps allow (+1 to notice).
            data = snd.read(frames=-1 if most is None else most + 1, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioError(f"{what} is damaged and cannot be decoded ({exc}); {CONVERT_HINT}.") from None
    if most is not None and data.shape[0] > most:
        raise AudioError(f"{what} holds more audio than its header says, beyond the limits; {CONVERT_HINT}.")
    if data.shape[0] == 0:
        raise AudioError(f"{what} holds no decodable audio (truncated?); record or export it again.")
    if not np.all(np.isfinite(data)):
        raise AudioError(f"{what} contains NaN or infinite samples; export it again as 16-bit PCM.")
    audio = np.ascontiguousarray(data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0])
    if info.sample_rate != SAMPLE_RATE:
        audio = soxr.resample(audio, info.sample_rate, SAMPLE_RATE, quality=RESAMPLE_QUALITY)
    if audio.size == 0:
        raise AudioError(
            f"{what} is too short to hold one sample at {SAMPLE_RATE} Hz ({info.frames} frames at "
            f"{info.sample_rate} Hz); send at least a few milliseconds of audio."
        )
    # Float files may exceed full scale and resampling can overshoot a clipped input slightly: the
    # contract is [-1, 1], which is exactly what a 16-bit file could have held anyway.
    return np.clip(audio, -1.0, 1.0).astype(np.float32, copy=False)


def read_audio(
    path: Path | str, *, max_seconds: float | None = DEFAULT_MAX_SECONDS, convert: bool = True
) -> np.ndarray:
    """Read an audio file as float32 mono 16 kHz in [-1, 1].

    Stereo is averaged to mono and other rates are resampled when ``convert`` is true; otherwise
    such files are refused. Missing, unreadable, empty or too long (``max_seconds``; None for no
    limit) files raise :class:`AudioError` with what was wrong and what to do.
    """
    path = Path(path)
    _check_path(path)
    return _decode(path, f"File {str(path)!r}", DecodeLimits(max_seconds=max_seconds), convert)


def decode_audio(
    data: bytes,
    *,
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
    convert: bool = True,
    name: str = "upload",
    min_rate: int | None = None,
    max_rate: int | None = None,
    max_channels: int | None = None,
    max_decoded_bytes: int | None = None,
) -> np.ndarray:
    """Decode an uploaded audio file's bytes with the same rules as :func:`read_audio`.

    A server facing untrusted uploads also caps the sample rate, the channels and the decoded size
    (float32, all channels); the header is checked before anything is decoded.
    """
    what = f"The {name}" if name == "upload" else f"Upload {name!r}"
    if not data:
        raise AudioError(f"{what} is empty (0 bytes); choose an audio file ({FORMATS_HINT}).")
    limits = DecodeLimits(max_seconds, min_rate, max_rate, max_channels, max_decoded_bytes)
    return _decode(io.BytesIO(data), what, limits, convert)


def as_mono_float(audio: Any) -> np.ndarray:
    """Validate in-memory audio: a 1-D (or ``(n, 1)``) finite float array, or int16 PCM samples."""
    arr = np.asarray(audio)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise AudioError(
            f"Audio must be a 1-D mono array; got shape {arr.shape}. Average the channels first."
        )
    if arr.size == 0:
        raise AudioError("Audio is empty (0 samples); nothing to store.")
    if arr.dtype == np.int16:
        return int16_to_float(arr)
    if not np.issubdtype(arr.dtype, np.floating):
        raise AudioError(f"Audio must be float (in [-1, 1]) or int16 PCM; got dtype {arr.dtype}.")
    if not np.all(np.isfinite(arr)):
        raise AudioError("Audio contains NaN or infinite samples; fix the producer of this audio.")
    return arr.astype(np.float32, copy=False)


def to_pcm16(audio: np.ndarray) -> bytes:
    """Float audio → little-endian 16-bit PCM bytes; values beyond full scale are clipped, not wrapped."""
    return float_to_int16(as_mono_float(audio)).astype("<i2").tobytes()


def from_pcm16(data: bytes) -> np.ndarray:
    """Little-endian 16-bit PCM bytes → float32 audio in [-1, 1)."""
    if len(data) % 2:
        raise AudioError(f"16-bit PCM needs an even number of bytes; got {len(data)}. Was the stream cut?")
    return int16_to_float(np.frombuffer(data, dtype="<i2"))


def wav_bytes(pcm: bytes, *, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Wrap 16-bit mono PCM bytes in a WAV container."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm)
    return buf.getvalue()


def write_wav(path: Path | str, audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write 16-bit PCM mono WAV atomically (a reader sees the old file or the whole new one)."""
    data = wav_bytes(to_pcm16(audio), sample_rate=sample_rate)
    with atomic_path(Path(path)) as tmp:
        tmp.write_bytes(data)
    return Path(path)
