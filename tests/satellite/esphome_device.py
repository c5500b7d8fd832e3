"""A virtual ESPHome satellite: the native API's server side over plaintext frames, in asyncio.

Frames are ``0x00, varint(len), varint(type), protobuf``; the messages are ``aioesphomeapi.api_pb2``'s
and their type ids those of aioesphomeapi's ``MESSAGE_TYPE_TO_PROTO``. It answers Hello,
Authentication (one password, or none), DeviceInfo (the voice-assistant feature flags it is given),
ListEntities (none), Ping and Disconnect, and runs voice-assistant takes as ESPHome's
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


@dataclass
class VirtualSatellite:
    """What the device is and does; ``pcm`` is the int16 audio its microphone "hears" each take."""

    pcm: np.ndarray
    name: str = "kitchen-satellite"
    friendly_name: str = "Kitchen satellite"
    password: str = ""
    flags: int = SATELLITE_FLAGS
    self_start: bool = False
    """Start a take on subscription and after each run (a button pressed) instead of being asked."""
    mute: bool = False
    """Start takes but stream nothing (a dead microphone)."""
    api_version: tuple[int, int] = (1, 12)
    events: list[int] = field(default_factory=list)
    """The voice-assistant event types the client sent, in order."""
    announcements: list[pb.VoiceAssistantAnnounceRequest] = field(default_factory=list)
    takes_started: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        streaming: asyncio.Task[None] | None = None
        run = asyncio.Event()  # set while a take's audio may flow

        def send(msg: Message) -> None:
            writer.write(frame(msg))

        def start_take() -> None:
            self.takes_started += 1
            send(pb.VoiceAssistantRequest(start=True, conversation_id="", flags=0))

        async def stream() -> None:
            if not self.mute:
                for i in range(0, len(self.pcm), FRAME_SAMPLES):
                    if not run.is_set():
                        return
                    send(pb.VoiceAssistantAudio(data=self.pcm[i : i + FRAME_SAMPLES].astype("<i2").tobytes()))
                    await writer.drain()
                    await asyncio.sleep(0)
                run.clear()
                send(pb.VoiceAssistantRequest(start=False))  # the device's end of the take

        try:
            while True:
                if (await reader.readexactly(1)) != b"\x00":
                    return
                length = await read_varint(reader)
                kind = await read_varint(reader)
                msg = MESSAGE_TYPE_TO_PROTO[kind]()
                msg.ParseFromString(await reader.readexactly(length))
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
                            mac_address="AA:BB:CC:00:11:22",
                            esphome_version="2025.5.0",
                            model="virtual",
                            uses_password=bool(self.password),
                            voice_assistant_feature_flags=self.flags,
                        )
                    )
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
                        run.set()
                        streaming = asyncio.create_task(stream())
                elif isinstance(msg, pb.VoiceAssistantEventResponse):
                    self.events.append(msg.event_type)
                    if msg.event_type in (
                        VoiceAssistantEventType.VOICE_ASSISTANT_STT_VAD_END,
                        VoiceAssistantEventType.VOICE_ASSISTANT_RUN_END,
                    ):
                        run.clear()
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
        server.close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
