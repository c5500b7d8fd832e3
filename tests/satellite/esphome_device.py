"""A virtual ESPHome satellite: the native API's server side (plaintext or noise-encrypted), in asyncio.

Plaintext frames are ``0x00, varint(len), varint(type), protobuf``; with a ``noise_psk`` the device
speaks only the encrypted transport (:class:`Noise`). The messages are ``aioesphomeapi.api_pb2``'s and
their type ids those of aioesphomeapi's ``MESSAGE_TYPE_TO_PROTO``. It answers Hello, Authentication
(one password, or none), DeviceInfo and DeviceCapabilities (the voice-assistant feature flags it is
given), ListEntities (none), Ping and Disconnect, and runs voice-assistant takes as ESPHome's
``voice_assistant`` component does: a take starts when the client asks for a conversation
(``VoiceAssistantAnnounceRequest`` with ``start_conversation``) or, for a device that starts its own
(``self_start``), as soon as the client subscribes and again after each run. The device sends
``VoiceAssistantRequest(start)``, and on ``VoiceAssistantResponse`` streams its WAV in 512-sample
``VoiceAssistantAudio`` frames until the WAV ends (then ``VoiceAssistantRequest(start=False)``) or the
client ends the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from aioesphomeapi import VoiceAssistantEventType, VoiceAssistantFeature
from aioesphomeapi import api_pb2 as pb
from aioesphomeapi.core import MESSAGE_TYPE_TO_PROTO
from google.protobuf.message import Message

TYPE_OF = {proto: number for number, proto in MESSAGE_TYPE_TO_PROTO.items()}
FRAME_SAMPLES = 512
"""ESPHome's voice assistant sends 32 ms of 16 kHz audio per message."""
SATELLITE_FLAGS = (
    VoiceAssistantFeature.VOICE_ASSISTANT
    | VoiceAssistantFeature.SPEAKER
    | VoiceAssistantFeature.API_AUDIO
    | VoiceAssistantFeature.ANNOUNCE
    | VoiceAssistantFeature.START_CONVERSATION
)
"""A Voice PE-like satellite: it can be asked to start a conversation."""


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def frame(msg: Message) -> bytes:
    body = msg.SerializeToString()
    return b"\x00" + varint(len(body)) + varint(TYPE_OF[type(msg)]) + body


async def read_varint(reader: asyncio.StreamReader) -> int:
    value = shift = 0
    while True:
        byte = (await reader.readexactly(1))[0]
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value


def parse(kind: int, body: bytes) -> Message:
    msg = MESSAGE_TYPE_TO_PROTO[kind]()
    msg.ParseFromString(body)
    return msg


class Plaintext:
    """``0x00, varint(len), varint(type), protobuf``."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def handshake(self, name: str, mac: str) -> bool:
        return True

    async def read(self) -> Message | None:
        if (await self.reader.readexactly(1)) != b"\x00":
            self.writer.write(b"\x00\x00\x00")  # a noise client hears plaintext and gives up
            return None
        length = await read_varint(self.reader)
        kind = await read_varint(self.reader)
        return parse(kind, await self.reader.readexactly(length))

    def write(self, msg: Message) -> None:
        self.writer.write(frame(msg))


class Noise:
    """The encrypted transport, responder side: frames ``0x01, u16 len, payload``; the client's hello
    (an empty frame) and ``0x00 + NNpsk0 message`` are answered with the server hello (protocol 0x01,
    name, MAC) and ``0x00 + reply``, or ``0x01 Handshake MAC failure`` for another key; then each
    payload is ``encrypt(u16 type, u16 len, protobuf)``."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, psk: str) -> None:
        from aioesphomeapi._frame_helper.noise_encryption import (
            ESPHOME_NOISE_BACKEND,
            NOISE_PROTOCOL_NAME,
            decode_noise_psk,
        )
        from noise.connection import NoiseConnection

        self.reader, self.writer = reader, writer
        self.proto = NoiseConnection.from_name(NOISE_PROTOCOL_NAME, backend=ESPHOME_NOISE_BACKEND)
        self.proto.set_as_responder()
        self.proto.set_psks(decode_noise_psk(psk))
        self.proto.set_prologue(b"NoiseAPIInit\x00\x00")
        self.proto.start_handshake()

    async def _frame(self) -> bytes | None:
        header = await self.reader.readexactly(3)
        if header[0] != 0x01:
            return None
        return await self.reader.readexactly((header[1] << 8) | header[2])

    def _send(self, payload: bytes) -> None:
        self.writer.write(bytes((0x01, len(payload) >> 8, len(payload) & 0xFF)) + payload)

    async def handshake(self, name: str = "", mac: str = "") -> bool:
        from cryptography.exceptions import InvalidTag

        hello = await self._frame()  # the client hello
        first = None if hello is None else await self._frame()
        if first is None or first[:1] != b"\x00":
            self.writer.write(b"\x01\x00\x00")  # a plaintext client hears a noise frame and gives up
            return False
        self._send(b"\x01" + name.encode() + b"\x00" + mac.encode() + b"\x00")
        try:
            self.proto.read_message(first[1:])
        except InvalidTag:
            self._send(b"\x01Handshake MAC failure")
            return False
        self._send(b"\x00" + bytes(self.proto.write_message()))
        return True

    async def read(self) -> Message | None:
        payload = await self._frame()
        if payload is None:
            return None
        plain = bytes(self.proto.decrypt(payload))
        kind, length = (plain[0] << 8) | plain[1], (plain[2] << 8) | plain[3]
        return parse(kind, plain[4 : 4 + length])

    def write(self, msg: Message) -> None:
        body = msg.SerializeToString()
        kind = TYPE_OF[type(msg)]
        header = bytes((kind >> 8, kind & 0xFF, len(body) >> 8, len(body) & 0xFF))
        self._send(bytes(self.proto.encrypt(header + body)))


@dataclass
class VirtualSatellite:
    """What the device is and does; ``pcm`` is the int16 audio its microphone "hears" each take."""

    pcm: np.ndarray
    name: str = "kitchen-satellite"
    friendly_name: str = "Kitchen satellite"
    password: str = ""
    noise_psk: str = ""
    """An ``api: encryption: key``: the device then speaks only the noise transport."""
    flags: int = SATELLITE_FLAGS
    self_start: bool = False
    """Start a take on subscription and after each run (a button pressed) instead of being asked."""
    mute: bool = False
    """Start takes but stream nothing (a dead microphone)."""
    mute_after: int | None = None
    """Stream this many takes, then go mute (a microphone that dies mid-session)."""
    frame_gap_s: float = 0.0
    """Pause between audio frames (a slow link: a stream is still sending when the client ends its run)."""
    api_version: tuple[int, int] = (1, 15)
    """From 1.15 the feature flags come in DeviceCapabilities, before it in DeviceInfo."""
    events: list[int] = field(default_factory=list)
    """The voice-assistant event types the client sent, in order."""
    announcements: list[pb.VoiceAssistantAnnounceRequest] = field(default_factory=list)
    takes_started: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        streaming: asyncio.Task[None] | None = None
        run = asyncio.Event()  # set while the current take's audio may flow

        wire = Noise(reader, writer, self.noise_psk) if self.noise_psk else Plaintext(reader, writer)
        send = wire.write

        def start_take() -> None:
            self.takes_started += 1
            send(pb.VoiceAssistantRequest(start=True, conversation_id="", flags=0))

        async def stream(own: asyncio.Event) -> None:
            if not self.mute and (self.mute_after is None or self.takes_started <= self.mute_after):
                for i in range(0, len(self.pcm), FRAME_SAMPLES):
                    if not own.is_set():
                        return
                    send(pb.VoiceAssistantAudio(data=self.pcm[i : i + FRAME_SAMPLES].astype("<i2").tobytes()))
                    await writer.drain()
                    await asyncio.sleep(self.frame_gap_s)
                if not own.is_set():
                    return
                own.clear()
                send(pb.VoiceAssistantRequest(start=False))  # the device's end of the take

        def end_run() -> None:
            """The client ended the run: this take's stream stops for good, even one paused in drain()
            (a stale stream that resumed into the next run would end that run before it streamed)."""
            nonlocal streaming
            run.clear()
            if streaming is not None:
                streaming.cancel()
                streaming = None

        try:
            mac = "AA:BB:CC:00:11:22"
            if not await wire.handshake(self.name, mac):
                await writer.drain()
                return
            while (msg := await wire.read()) is not None:
                if isinstance(msg, pb.HelloRequest):
                    major, minor = self.api_version
                    send(
                        pb.HelloResponse(
                            api_version_major=major,
                            api_version_minor=minor,
                            server_info="virtual esphome",
                            name=self.name,
                        )
                    )
                elif isinstance(msg, pb.AuthenticationRequest):
                    if msg.password != self.password:
                        send(pb.AuthenticationResponse(invalid_password=True))
                        await writer.drain()
                        return
                elif isinstance(msg, pb.DeviceInfoRequest):
                    send(
                        pb.DeviceInfoResponse(
                            name=self.name,
                            friendly_name=self.friendly_name,
                            mac_address=mac,
                            esphome_version="2025.5.0",
                            model="virtual",
                            uses_password=bool(self.password),
                            voice_assistant_feature_flags=self.flags if self.api_version < (1, 15) else 0,
                        )
                    )
                elif isinstance(msg, pb.DeviceCapabilitiesRequest):  # API 1.15: the flags live here
                    voice = pb.VoiceAssistantCapabilities(feature_flags=self.flags)
                    send(pb.DeviceCapabilitiesResponse(voice_assistant=voice))
                elif isinstance(msg, pb.ListEntitiesRequest):
                    send(pb.ListEntitiesDoneResponse())
                elif isinstance(msg, pb.PingRequest):
                    send(pb.PingResponse())
                elif isinstance(msg, pb.DisconnectRequest):
                    send(pb.DisconnectResponse())
                    await writer.drain()
                    return
                elif isinstance(msg, pb.SubscribeVoiceAssistantRequest):
                    if (
                        msg.subscribe
                        and self.self_start
                        and self.flags & VoiceAssistantFeature.VOICE_ASSISTANT
                    ):
                        start_take()
                elif isinstance(msg, pb.VoiceAssistantAnnounceRequest):
                    self.announcements.append(msg)
                    send(pb.VoiceAssistantAnnounceFinished(success=True))
                    if msg.start_conversation:
                        start_take()
                elif isinstance(msg, pb.VoiceAssistantResponse):
                    if not msg.error:
                        end_run()
                        run = asyncio.Event()  # each run its own: a stream belongs to one take
                        run.set()
                        streaming = asyncio.create_task(stream(run))
                elif isinstance(msg, pb.VoiceAssistantEventResponse):
                    self.events.append(msg.event_type)
                    if msg.event_type in (
                        VoiceAssistantEventType.VOICE_ASSISTANT_STT_VAD_END,
                        VoiceAssistantEventType.VOICE_ASSISTANT_RUN_END,
                    ):
                        end_run()
                    if msg.event_type == VoiceAssistantEventType.VOICE_ASSISTANT_RUN_END and self.self_start:
                        start_take()  # the button, pressed again for the next take
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            if streaming is not None:
                streaming.cancel()
            writer.close()


@contextlib.contextmanager
def running(device: VirtualSatellite) -> Iterator[int]:
    """Serve ``device`` on a loopback port from a thread of its own; yields the port."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(device.serve, "127.0.0.1", 0)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(5)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        # On the server's own loop: closing it from this thread raced a connection closing there
        # (asyncio's Server is not thread-safe; "'NoneType' object is not iterable" in _wakeup).
        async def stop() -> None:
            server.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
