"""Record clips from an ESPHome satellite's own microphone over the native API (``aioesphomeapi``).

A take runs as Home Assistant runs a voice pipeline: the client subscribes to the device's voice
assistant with API audio; the device asks to start (``VoiceAssistantRequest``), is answered with port 0
(audio over the API connection) and streams 16 kHz 16-bit mono PCM (``VoiceAssistantAudio``) until it
stops or the client ends the run (``STT_VAD_END``, ``RUN_END``). A device that can start a conversation
(a media player: ``START_CONVERSATION``) is asked to, as Home Assistant's ``start_conversation`` does;
any other device starts its take itself (its button or its own wake word).

ESPHome serves one voice-assistant client at a time: while Home Assistant holds the satellite, its
takes go to Home Assistant. :func:`wakesmith.api.record_satellite_clips` is the facade.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from aioesphomeapi import (
    APIClient,
    APIConnectionError,
    EncryptionPlaintextAPIError,
    InvalidAuthAPIError,
    InvalidEncryptionKeyAPIError,
    RequiresEncryptionAPIError,
    VoiceAssistantAudioSettings,
    VoiceAssistantEventType,
    VoiceAssistantFeature,
)
from pydantic import BaseModel, ConfigDict, Field

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import WakesmithError

log = logging.getLogger(__name__)

DEFAULT_PORT = 6053
"""The port of ESPHome's ``api:`` component unless its YAML says otherwise."""
SAMPLE_BYTES = 2
"""The device streams 16-bit little-endian PCM."""
CONNECT_TIMEOUT_S = 10.0
ANNOUNCE_TIMEOUT_S = 30.0
"""How long a prompt may play before the device's own playback timeout moves it on."""
STREAM_GRACE_S = 2.0
"""Wall-clock slack past ``seconds`` for a device that streams a little slower than real time."""


class SatelliteError(WakesmithError):
    """An ESPHome device that cannot be reached, refuses the credentials or records nothing."""


class SatelliteTake(BaseModel):
    """Where the satellite is and what to record from it."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=253)
    """The device's address or ``<name>.local``."""
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    noise_psk: str | None = Field(default=None, max_length=100)
    """The ``api: encryption: key`` of the device's YAML (base64); None for a plaintext API."""
    password: str | None = Field(default=None, max_length=200)
    """The legacy ``api: password``; None when the device has none."""
    seconds: float = Field(default=3.0, gt=0, le=30)
    """Longest take: a take ends when the device stops streaming or this much audio has arrived."""
    takes: int = Field(default=1, ge=1, le=50)
    prompt_url: str = Field(default="", max_length=2000)
    """A sound the device plays before each take it is asked to start (a chime); empty: none."""
    start_timeout_s: float = Field(default=30.0, gt=0, le=600)
    """How long to wait for a take to start (for the button press on a device that starts its own)."""
    audio_timeout_s: float = Field(default=5.0, gt=0, le=60)
    """How long a started take may stream nothing before it is given up."""


@dataclass
class SatelliteRecording:
    """The device a recording came from and its takes (float32, 16 kHz mono, in [-1, 1))."""

    name: str
    friendly_name: str
    mac_address: str
    esphome_version: str
    takes: list[np.ndarray] = field(default_factory=list)


@dataclass
class _Take:
    """What the voice-assistant callbacks of one take collect."""

    started: asyncio.Event = field(default_factory=asyncio.Event)
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    first_audio: asyncio.Event = field(default_factory=asyncio.Event)
    chunks: list[bytes] = field(default_factory=list)
    samples: int = 0
    wanted: int = 0

    def add(self, data: bytes) -> None:
        if self.stopped.is_set() or not self.started.is_set():
            return  # audio of a run already ended (or never answered) is not this take's
        self.chunks.append(data)
        self.samples += len(data) // SAMPLE_BYTES
        self.first_audio.set()
        if self.samples >= self.wanted:
            self.stopped.set()

    def audio(self) -> np.ndarray:
        pcm = np.frombuffer(b"".join(self.chunks)[: self.wanted * SAMPLE_BYTES], dtype="<i2")
        return (pcm.astype(np.float32) / 32768.0).copy()


async def record_from_satellite(
    take: SatelliteTake,
    *,
    on_connected: Callable[[SatelliteRecording], None] | None = None,
    on_waiting: Callable[[int], None] | None = None,
    on_take: Callable[[int, np.ndarray], None] | None = None,
) -> SatelliteRecording:
    """Connect to the satellite, check it streams microphone audio over the API, and record
    ``take.takes`` takes of at most ``take.seconds`` each. Every failure is a :class:`SatelliteError`
    saying what to do; the connection is closed whatever happens.

    The callbacks report progress as it happens: ``on_connected`` once the device is checked (a failure
    before it is a connection or device problem), ``on_waiting(n)`` when take ``n`` waits for the device
    to start, ``on_take(n, audio)`` when it has been recorded (an exception there ends the recording)."""
    where = f"{take.host}:{take.port}"
    client = APIClient(
        take.host, take.port, take.password, noise_psk=take.noise_psk or None, client_info="wakesmith"
    )
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await client.connect(login=True)
            info = await client.device_info()
            capabilities = await client.device_capabilities_compat(info)  # API 1.15 moved the flags
    except (APIConnectionError, OSError, TimeoutError) as exc:
        raise _connect_error(where, exc) from None
    try:
        flags = capabilities.voice_assistant.feature_flags
        _check_features(info.name or where, flags)
        recording = SatelliteRecording(info.name, info.friendly_name, info.mac_address, info.esphome_version)
        if on_connected is not None:
            on_connected(recording)
        listener = _Listener(client)
        unsubscribe = client.subscribe_voice_assistant(
            handle_start=listener.on_start, handle_stop=listener.on_stop, handle_audio=listener.on_audio
        )
        try:
            ask = bool(flags & VoiceAssistantFeature.START_CONVERSATION)
            for number in range(1, take.takes + 1):
                if on_waiting is not None:
                    on_waiting(number)
                recording.takes.append(await _record_take(client, listener, take, ask=ask, number=number))
                if on_take is not None:
                    on_take(number, recording.takes[-1])
        finally:
            with contextlib.suppress(APIConnectionError):
                unsubscribe()
        return recording
    except APIConnectionError as exc:
        raise _connect_error(where, exc) from None
    finally:
        with contextlib.suppress(APIConnectionError, OSError):
            await client.disconnect()


class _Listener:
    """The voice-assistant callbacks of the one subscription, feeding the take being recorded."""

    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.take: _Take | None = None

    async def on_start(
        self, conversation_id: str, flags: int, settings: VoiceAssistantAudioSettings, wake_word: str | None
    ) -> int | None:
        take = self.take
        if take is None or take.started.is_set():
            return None  # a run nobody is recording (between takes): refused, the device goes idle
        take.started.set()
        self.client.send_voice_assistant_event(VoiceAssistantEventType.VOICE_ASSISTANT_RUN_START, {})
        self.client.send_voice_assistant_event(VoiceAssistantEventType.VOICE_ASSISTANT_STT_START, {})
        return 0  # port 0: stream over the API connection

    async def on_stop(self, abort: bool) -> None:
        if self.take is not None and self.take.started.is_set():
            self.take.stopped.set()

    async def on_audio(self, data: bytes, data2: bytes | None) -> None:
        if self.take is not None:
            self.take.add(data)  # data2, a second microphone channel, is not part of the clip


async def _record_take(
    client: APIClient, listener: _Listener, cfg: SatelliteTake, *, ask: bool, number: int
) -> np.ndarray:
    take = listener.take = _Take(wanted=round(cfg.seconds * SAMPLE_RATE))
    announce: asyncio.Task[object] | None = None
    try:
        if ask:
            announce = asyncio.create_task(
                client.send_voice_assistant_announcement_await_response(
                    cfg.prompt_url, ANNOUNCE_TIMEOUT_S, start_conversation=True
                )
            )
        await _wait(take.started, cfg.start_timeout_s, _no_start(number, cfg.start_timeout_s, ask))
        await _wait(
            take.first_audio,
            cfg.audio_timeout_s,
            f"Take {number} started but the satellite streamed no audio for {cfg.audio_timeout_s:g} s: "
            "check its microphone (the voice_assistant: microphone in its YAML) and its log, then "
            "record again.",
            unless=take.stopped,
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(cfg.seconds + STREAM_GRACE_S):
                await take.stopped.wait()
    finally:
        take.stopped.set()
        listener.take = None
        if take.started.is_set():  # end the run as Home Assistant does: speech over, pipeline done
            with contextlib.suppress(APIConnectionError):
                client.send_voice_assistant_event(VoiceAssistantEventType.VOICE_ASSISTANT_STT_VAD_END, {})
                client.send_voice_assistant_event(VoiceAssistantEventType.VOICE_ASSISTANT_RUN_END, {})
        if announce is not None:
            announce.cancel()
            with contextlib.suppress(asyncio.CancelledError, APIConnectionError, TimeoutError):
                await announce
    if take.samples == 0:
        raise SatelliteError(
            f"Take {number} ended before the satellite sent any audio: check its microphone and log, "
            "then record again."
        )
    log.info("take %d: %.2f s from the satellite", number, min(take.samples, take.wanted) / SAMPLE_RATE)
    return take.audio()


async def _wait(
    event: asyncio.Event, seconds: float, message: str, *, unless: asyncio.Event | None = None
) -> None:
    """Wait for ``event`` (or ``unless``); SatelliteError(``message``) after ``seconds``."""
    waits = [asyncio.ensure_future(e.wait()) for e in (event, unless) if e is not None]
    try:
        done, _ = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
    if not done:
        raise SatelliteError(message)


def _no_start(number: int, seconds: float, asked: bool) -> str:
    how = (
        "it was asked to start a conversation and did not"
        if asked
        else "start it on the device (its button, or its own wake word)"
    )
    return (
        f"Take {number} did not start within {seconds:g} s ({how}). ESPHome streams to one voice-"
        "assistant client at a time: if Home Assistant is connected to this satellite, disable the "
        "device in Home Assistant's ESPHome integration while recording, then enable it again."
    )


def _check_features(name: str, flags: int) -> None:
    if not flags & VoiceAssistantFeature.VOICE_ASSISTANT:
        raise SatelliteError(
            f"{name} has no voice assistant, so it cannot stream its microphone: add a "
            "voice_assistant: component (with its microphone) to its ESPHome YAML and flash it."
        )
    if not flags & VoiceAssistantFeature.API_AUDIO:
        raise SatelliteError(
            f"{name} streams its microphone over UDP only, not over the API connection: update its "
            "ESPHome firmware and flash it again."
        )


def _connect_error(where: str, exc: BaseException) -> SatelliteError:
    if isinstance(exc, InvalidAuthAPIError):
        return SatelliteError(
            f"The ESPHome device at {where} refused the API password: give the password of the api: "
            "block in its YAML, or none if it has none."
        )
    if isinstance(exc, RequiresEncryptionAPIError):
        return SatelliteError(
            f"The ESPHome device at {where} encrypts its API: give its noise_psk (the api: encryption: "
            "key in its YAML)."
        )
    if isinstance(exc, InvalidEncryptionKeyAPIError):
        return SatelliteError(
            f"The ESPHome device at {where} refused the encryption key: copy the api: encryption: key "
            "from its YAML."
        )
    if isinstance(exc, EncryptionPlaintextAPIError):
        return SatelliteError(
            f"The ESPHome device at {where} does not encrypt its API: leave noise_psk empty."
        )
    return SatelliteError(
        f"Could not reach an ESPHome device at {where} ({exc or type(exc).__name__}): check the address, "
        f"that the device is on and on this network, and that its api: component listens on port "
        f"{where.rpartition(':')[2]} (6053 unless its YAML says otherwise)."
    )
