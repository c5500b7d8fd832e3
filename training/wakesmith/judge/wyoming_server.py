"""The Wyoming wake-word service: ``describe`` → ``info``; ``detect``, ``audio-*`` → verdicts.

A stream is one of two kinds, chosen by its ``detect`` event:

- **continuous** (plain Wyoming, as Home Assistant uses it): each chunk goes through every selected
  model's window scorer and detector; each detection is answered with ``detection {name, timestamp}``
  as it happens, and ``audio-stop`` with ``not-detected`` when nothing fired;
- **trigger** (``detect`` context ``{"trigger": {"satellite", "sentry_score", "listening_s"}}``): the
  sentry's buffer is collected until ``audio-stop`` and verified at once: ``detection`` means accept,
  ``not-detected`` reject; both carry ``context.verdict``.

Bad input is answered with an ``error`` event and logged. A format the Judge cannot convert refuses
that stream only; a broken event framing ends that connection only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import asdict

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, async_write_event
from wyoming.info import Attribution, Describe, Info, WakeModel, WakeProgram
from wyoming.ping import Ping, Pong
from wyoming.wake import Detect, Detection, NotDetected

from wakesmith import __version__
from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import WakesmithError
from wakesmith.judge.core import JudgeCore, Trigger
from wakesmith.judge.engine import JudgeModel, ModelStream
from wakesmith.judge.protocol import AudioFormat, ProtocolError, StreamConverter, read_event

log = logging.getLogger(__name__)

ATTRIBUTION = Attribution(name="wakesmith", url="https://github.com/wakesmith/wakesmith")
MS_PER_S = 1000


def wyoming_info(core: JudgeCore) -> Info:
    """The ``info`` answer: one wake program listing every served model with its languages."""
    models = [
        WakeModel(
            name=m.name,
            description=m.phrase,
            phrase=m.phrase,
            attribution=ATTRIBUTION,
            installed=True,
            languages=m.languages,
            version=__version__,
        )
        for m in core.models.models.values()
    ]
    program = WakeProgram(
        name="wakesmith-judge",
        description="wakesmith Judge: custom wake words, verified",
        attribution=ATTRIBUTION,
        installed=True,
        version=__version__,
        models=models,
    )
    return Info(wake=[program])


class StreamLimitError(WakesmithError):
    """A stream broke a limit; that stream is refused, the connection goes on."""


class _Stream:
    """State of one audio stream (``audio-start`` … ``audio-stop``)."""

    def __init__(self, fmt: AudioFormat, models: list[JudgeModel], trigger: Trigger | None) -> None:
        self.converter = StreamConverter(fmt)
        self.models = models
        self.trigger = trigger
        self.detectors: list[ModelStream] = [] if trigger else [m.stream() for m in models]
        self.buffer: list[np.ndarray] = []
        self.samples = 0
        self.detected = False

    def push(self, audio: np.ndarray) -> list[tuple[str, int]]:
        """Continuous mode: (model name, detection time in ms) for each detection in this audio."""
        self.samples += len(audio)
        found = []
        for ds in self.detectors:
            found += [(ds.model.name, round(d.time_s * MS_PER_S)) for d in ds.push(audio)]
        return found


class JudgeConnection:
    """One Wyoming client connection."""

    def __init__(self, core: JudgeCore, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.core = core
        self.reader = reader
        self.writer = writer
        self.peer = str(writer.get_extra_info("peername"))
        self.names: list[str] | None = None
        self.trigger: Trigger | None = None
        self.stream: _Stream | None = None
        self.refused = False

    async def run(self) -> None:
        """Read and answer events until the client leaves or breaks the protocol."""
        limits = self.core.settings.limits
        self.core.metrics.streams.inc()
        try:
            while True:
                try:
                    event = await read_event(
                        self.reader, max_header=limits.max_header_bytes, max_payload=limits.max_payload_bytes
                    )
                except ProtocolError as exc:
                    await self._error(str(exc), "protocol")
                    break
                if event is None:
                    if self.stream is not None:
                        log.info("%s disconnected in the middle of a stream", self.peer)
                    break
                await self.handle(event)
        except (ConnectionError, asyncio.CancelledError):
            log.info("%s: connection lost", self.peer)
        finally:
            self.core.metrics.streams.dec()
            self.writer.close()

    async def handle(self, event: Event) -> None:
        """Answer one event."""
        try:
            if Describe.is_type(event.type):
                await self._write(wyoming_info(self.core).event())
            elif Detect.is_type(event.type):
                detect = Detect.from_event(event)
                self.core.models.select(detect.names)  # unknown names are refused now, not at audio-start
                self.names, self.trigger = detect.names, Trigger.from_context(detect.context)
            elif AudioStart.is_type(event.type):
                fmt = AudioFormat.from_data(event.data)
                self.stream = _Stream(fmt, self.core.models.select(self.names), self.trigger)
                self.refused = False
            elif AudioChunk.is_type(event.type):
                await self._chunk(event)
            elif AudioStop.is_type(event.type):
                await self._stop()
            elif Ping.is_type(event.type):
                await self._write(Pong(text=Ping.from_event(event).text).event())
            else:
                log.debug("%s: ignoring %s event", self.peer, event.type)
        except WakesmithError as exc:
            # Refuse this stream (its remaining chunks are dropped); the connection stays usable.
            self.stream, self.refused = None, True
            await self._error(str(exc), type(exc).__name__)

    async def _chunk(self, event: Event) -> None:
        stream = self.stream
        if stream is None:
            if not self.refused:  # a refused stream's audio is dropped quietly: its error was sent
                raise StreamLimitError("audio-chunk before audio-start: start each stream with audio-start.")
            return
        fmt = AudioFormat.from_data(event.data)
        audio = stream.converter.convert(event.payload or b"", fmt)
        if stream.trigger is not None:
            stream.samples += len(audio)
            limit = self.core.settings.limits.max_verify_seconds
            if stream.samples > limit * SAMPLE_RATE:
                raise StreamLimitError(f"A trigger buffer longer than {limit} s cannot be verified.")
            stream.buffer.append(audio)
            return
        self.core.metrics.audio_seconds.inc(len(audio) / SAMPLE_RATE)
        for name, ms in await self.core.run(stream.push, audio):
            stream.detected = True
            self.core.metrics.detections.labels(name).inc()
            timestamp = event.data.get("timestamp")
            await self._write(
                Detection(name=name, timestamp=timestamp if timestamp is not None else ms).event()
            )
            log.info("%s: detected %s at %d ms", self.peer, name, ms)

    async def _stop(self) -> None:
        stream, self.stream, self.refused = self.stream, None, False
        if stream is None:
            return
        if stream.trigger is None:
            if not stream.detected:
                await self._write(NotDetected().event())
            return
        audio = np.concatenate([*stream.buffer, stream.converter.flush()])
        if len(audio) == 0:
            await self._error(
                "The trigger buffer is empty: send its audio between audio-start and audio-stop."
            )
            return
        model = stream.models[0]
        verdict = await self.core.run(self.core.judge_trigger, audio, model.name, stream.trigger)
        context = {"verdict": asdict(verdict)}
        if verdict.prediction:
            ms = round(len(audio) / SAMPLE_RATE * MS_PER_S)
            await self._write(Detection(name=model.name, timestamp=ms, context=context).event())
        else:
            await self._write(NotDetected(context=context).event())

    async def _error(self, text: str, code: str = "bad_request") -> None:
        log.warning("%s: %s", self.peer, text)
        self.core.metrics.errors.labels(code).inc()
        with contextlib.suppress(ConnectionError):
            await self._write(Error(text=text, code=code).event())

    async def _write(self, event: Event) -> None:
        await async_write_event(event, self.writer)


async def start_wyoming(core: JudgeCore, host: str, port: int) -> asyncio.Server:
    """Listen for Wyoming clients on ``host:port`` (port 0: any free port)."""
    limit = core.settings.limits.max_header_bytes

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await JudgeConnection(core, reader, writer).run()

    return await asyncio.start_server(accept, host=host, port=port, limit=limit)
