"""The Wyoming wake-word service: ``describe`` → ``info``; ``detect``, ``audio-*`` → verdicts.

A stream is one of two kinds, chosen by its ``detect`` event:

- **continuous** (plain Wyoming, as Home Assistant uses it): each chunk goes through every selected
  model's window scorer and detector; each detection is answered with ``detection {name, timestamp}``
  as it happens, and ``audio-stop`` with ``not-detected`` when nothing fired;
- **trigger** (``detect`` context ``{"trigger": {"satellite", "sentry_score", "listening_s"}}``): the
  sentry's buffer is collected until ``audio-stop`` and verified at once: ``detection`` means accept,
  ``not-detected`` reject; both carry ``context.verdict``.

Bad input is answered with an ``error`` event, logged (client-chosen strings escaped and cut) and
counted in ``wakesmith_judge_errors``; so is any exception a handler did not foresee. A format the
Judge cannot convert refuses that stream only; a broken event framing, an idle connection
(``limits.idle_timeout_s``) or an event that trickles in (``limits.header_timeout_s``) ends that
connection only. Connections beyond ``limits.max_connections`` get an error event and are closed.

Continuous-mode detections are counted per client: the ``satellite`` named in the ``detect`` context
(``{"satellite": "kitchen"}``), else the peer's address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
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
from wakesmith.judge.names import for_log
from wakesmith.judge.protocol import AudioFormat, ProtocolError, StreamConverter, read_event

log = logging.getLogger(__name__)

ATTRIBUTION = Attribution(name="wakesmith", url="https://github.com/wakesmith/wakesmith")
MS_PER_S = 1000
MIN_IDLE_TO_EVICT_S = 1.0
"""A connection quiet for less than this is not closed to make room (it may be between two events)."""


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

    def push(self, audio: np.ndarray) -> list[tuple[str, int, float]]:
        """Continuous mode: (model name, detection time in ms, score) for each detection in this audio."""
        self.samples += len(audio)
        found = []
        for ds in self.detectors:
            found += [(ds.model.name, round(d.time_s * MS_PER_S), d.score) for d in ds.push(audio)]
        return found


class JudgeConnection:
    """One Wyoming client connection."""

    def __init__(self, core: JudgeCore, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.core = core
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.peer = for_log(peer)
        self.client = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        """Whom continuous detections are counted for: the peer's address, or the detect's satellite."""
        self.names: list[str] | None = None
        self.trigger: Trigger | None = None
        self.stream: _Stream | None = None
        self.refused = False
        self.detect_refused = False
        """The last detect was refused: its stream is refused too (not run against every model)."""
        self.last_event = time.monotonic()
        """When the last whole event arrived (a trickling or silent peer does not move it)."""
        self._evicted = False

    @property
    def idle_s(self) -> float:
        """Seconds since the last whole event; 0 while a stream is open (it is doing its job)."""
        return 0.0 if self.stream is not None else time.monotonic() - self.last_event

    def evict(self) -> None:
        """Close this connection to make room for a new one (it was the idlest at the cap)."""
        self._evicted = True
        self.writer.close()

    async def run(self) -> None:
        """Read and answer events until the client leaves or breaks the protocol."""
        limits = self.core.settings.limits
        self.core.metrics.streams.inc()
        try:
            while True:
                try:
                    event = await read_event(
                        self.reader,
                        max_header=limits.max_header_bytes,
                        max_payload=limits.max_payload_bytes,
                        idle_timeout=limits.idle_timeout_s,
                        event_timeout=limits.header_timeout_s,
                    )
                except ProtocolError as exc:
                    await self._error(str(exc), "protocol")
                    break
                except (ConnectionError, asyncio.CancelledError):
                    raise
                except Exception as exc:
                    await self._error(f"Unreadable event ({type(exc).__name__}).", "protocol")
                    break
                if event is None:
                    if self.stream is not None:
                        log.info("%s disconnected in the middle of a stream", self.peer)
                    break
                self.last_event = time.monotonic()
                await self.handle(event)
        except (ConnectionError, asyncio.CancelledError):
            if not self._evicted:
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
                self._detect(Detect.from_event(event))
            elif AudioStart.is_type(event.type):
                if self.detect_refused:  # the stream of a refused detect: its audio is dropped quietly
                    self.stream, self.refused = None, True
                    return
                fmt = AudioFormat.from_data(event.data)
                models = self.core.models.select(self.names, max_names=self.core.settings.limits.max_names)
                self.stream = _Stream(fmt, models, self.trigger)
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
            self.detect_refused = Detect.is_type(event.type)
            await self._error(str(exc), type(exc).__name__)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:
            self.stream, self.refused = None, True
            self.detect_refused = Detect.is_type(event.type)
            log.debug("%s: %s handling %s", self.peer, type(exc).__name__, for_log(event.type), exc_info=True)
            await self._error(
                f"The Judge could not handle this {for_log(event.type, 40)} event "
                f"({type(exc).__name__}); check its data.",
                "internal",
            )

    def _detect(self, detect: Detect) -> None:
        limits = self.core.settings.limits
        self.detect_refused = False
        # Unknown or too many names, and a bad trigger context, are refused now, not at audio-start.
        self.names, self.trigger = None, None
        self.core.models.select(detect.names, max_names=limits.max_names)
        trigger = Trigger.from_context(detect.context, max_name_chars=limits.max_name_chars)
        if trigger is not None:
            self.core.admit(trigger)
        elif isinstance(detect.context, dict) and isinstance(detect.context.get("satellite"), str):
            self.client = Trigger.create(
                detect.context["satellite"], max_name_chars=limits.max_name_chars
            ).satellite
        self.names, self.trigger = detect.names, trigger

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
        for name, ms, score in await self.core.run(stream.push, audio):
            stream.detected = True
            await self.core.run(self.core.count_detection, self.client, name, score)
            timestamp = event.data.get("timestamp")
            await self._write(
                Detection(name=name, timestamp=timestamp if timestamp is not None else ms).event()
            )
            log.info("%s: detected %s at %d ms", self.peer, name, ms)

    async def _stop(self) -> None:
        stream, self.stream, self.refused, self.detect_refused = self.stream, None, False, False
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
        log.warning("%s: %s", self.peer, for_log(text, 300))
        self.core.metrics.errors.labels(code).inc()
        with contextlib.suppress(ConnectionError):
            await self._write(Error(text=text, code=code).event())

    async def _write(self, event: Event) -> None:
        try:
            await asyncio.wait_for(
                async_write_event(event, self.writer), self.core.settings.limits.header_timeout_s
            )
        except TimeoutError:
            raise ConnectionError("the peer does not read its answers") from None


async def start_wyoming(core: JudgeCore, host: str, port: int) -> asyncio.Server:
    """Listen for Wyoming clients on ``host:port`` (port 0: any free port)."""
    limits = core.settings.limits
    connections: set[JudgeConnection] = set()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(connections) >= limits.max_connections and not _make_room(connections, core):
            await _refuse_connection(core, writer, limits.max_connections)
            return
        connection = JudgeConnection(core, reader, writer)
        connections.add(connection)
        try:
            await connection.run()
        finally:
            connections.discard(connection)

    return await asyncio.start_server(accept, host=host, port=port, limit=limits.max_header_bytes)


def _make_room(connections: set[JudgeConnection], core: JudgeCore) -> bool:
    """At the cap, close the connection idle the longest (never one in a stream); False if none is idle.

    So connections that only sit (or trickle bytes) cannot keep satellites out until their idle timeout.
    """
    idlest = max(connections, key=lambda c: c.idle_s, default=None)
    if idlest is None or idlest.idle_s < MIN_IDLE_TO_EVICT_S:
        return False
    core.metrics.errors.labels("connections_evicted").inc()
    log.info("%s: closed after %.1f s idle to make room for a new connection", idlest.peer, idlest.idle_s)
    idlest.evict()
    return True


async def _refuse_connection(core: JudgeCore, writer: asyncio.StreamWriter, limit: int) -> None:
    core.metrics.errors.labels("connections").inc()
    log.warning(
        "%s: refused, %d connections are open already", for_log(writer.get_extra_info("peername")), limit
    )
    with contextlib.suppress(ConnectionError, TimeoutError):
        text = f"This Judge serves {limit} connections at once; try again shortly."
        await asyncio.wait_for(async_write_event(Error(text=text, code="busy").event(), writer), 1.0)
    writer.close()
