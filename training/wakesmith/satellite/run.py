"""The virtual satellite: audio → INT8 sentry → ring buffer → the gate asks the Judge → verdicts.

The audio loop never waits for the Judge: each trigger's buffer (cut once its post-roll has arrived)
goes on a bounded queue that one forwarder drains, one Judge exchange at a time, as the ESPHome gate
does. A Judge that is slow, gone or broken costs that trigger a ``timeout`` / ``error`` verdict;
the satellite keeps listening.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np

from wakesmith.config import SAMPLE_RATE, DetectorConfig
from wakesmith.runtime.detector import Detection
from wakesmith.satellite.config import SatelliteConfig
from wakesmith.satellite.gate import TriggerInfo, VerdictKind, ask_judge
from wakesmith.satellite.ring import RingBuffer
from wakesmith.satellite.sentry import SentryStream, ShippedModel
from wakesmith.satellite.sources import mic_blocks, wav_blocks

log = logging.getLogger(__name__)

QUEUE_TRIGGERS = 8
"""Trigger buffers waiting for the Judge before the audio loop waits too (bounded memory)."""


@dataclass(frozen=True)
class TriggerVerdict:
    """One sentry trigger and what became of it."""

    index: int
    sample: int
    """Stream sample at which the sentry fired (as :func:`~wakesmith.runtime.cascade.trigger_samples`)."""
    sentry_score: float
    kind: VerdictKind
    wakes: bool
    """Whether the satellite wakes: accept, or a timeout / error under an ``accept`` policy."""
    judge_score: float | None
    round_trip_ms: float
    """Buffer sent → verdict (connection included)."""
    buffer_samples: int
    detail: str = ""

    @property
    def time_s(self) -> float:
        return self.sample / SAMPLE_RATE


@dataclass
class SatelliteReport:
    """What a run heard and decided."""

    model: ShippedModel
    judge: str
    audio_s: float = 0.0
    sentry_cpu_s: float = 0.0
    """CPU seconds in the sentry (front end + INT8 interpreter) over the whole stream."""
    verdicts: list[TriggerVerdict] = field(default_factory=list)

    def count(self, kind: VerdictKind | str) -> int:
        return sum(v.kind == kind for v in self.verdicts)

    @property
    def wakes(self) -> int:
        return sum(v.wakes for v in self.verdicts)


@dataclass(frozen=True)
class _Pending:
    index: int
    sample: int
    detection: Detection
    buffer: np.ndarray


VerdictSink = Callable[[TriggerVerdict], None]


class Satellite:
    """One satellite run: the sentry, the ring buffer and the gate."""

    def __init__(
        self,
        cfg: SatelliteConfig,
        shipped: ShippedModel,
        rule: DetectorConfig,
        on_verdict: VerdictSink | None,
    ) -> None:
        self.cfg = cfg
        self.sentry = SentryStream(shipped, rule)
        self.block = max(1, round(cfg.block_s * SAMPLE_RATE))
        self.ring = RingBuffer.for_rolls(cfg.pre_roll_s, cfg.post_roll_s, self.block)
        self.report = SatelliteReport(model=shipped, judge=cfg.judge)
        self.on_verdict = on_verdict
        self._post = round(cfg.post_roll_s * SAMPLE_RATE)

    def _cut(self, index: int, sample: int, detection: Detection) -> _Pending:
        buffer = self.ring.cut(sample, self.cfg.pre_roll_s, self.cfg.post_roll_s)
        return _Pending(index, sample, detection, buffer)

    async def run(self, blocks: AsyncIterator[np.ndarray]) -> SatelliteReport:
        queue: asyncio.Queue[_Pending | None] = asyncio.Queue(maxsize=QUEUE_TRIGGERS)
        forwarder = asyncio.create_task(self._forward_all(queue))
        waiting: list[tuple[int, Detection]] = []
        fired = 0
        try:
            async for block in self._sized(blocks):
                self.ring.write(block)
                started = time.process_time()
                waiting += self.sentry.push(block)
                self.report.sentry_cpu_s += time.process_time() - started
                while waiting and waiting[0][0] + self._post <= self.ring.total:
                    sample, det = waiting.pop(0)
                    await queue.put(self._cut(fired, sample, det))
                    fired += 1
            for sample, det in waiting:  # the stream ended inside a post-roll: a shorter buffer
                await queue.put(self._cut(fired, sample, det))
                fired += 1
        finally:
            await queue.put(None)
            await forwarder
            self.report.audio_s = self.ring.total / SAMPLE_RATE
        return self.report

    async def _sized(self, blocks: AsyncIterator[np.ndarray]) -> AsyncIterator[np.ndarray]:
        """Blocks no longer than the ring's margin (a microphone may deliver any size)."""
        async for b in blocks:
            for i in range(0, len(b), self.block):
                yield b[i : i + self.block]

    async def _forward_all(self, queue: asyncio.Queue[_Pending | None]) -> None:
        while (item := await queue.get()) is not None:
            verdict = await self._forward(item)
            self.report.verdicts.append(verdict)
            log.info(
                "trigger %d at %.2f s (sentry %.3f): %s%s in %.1f ms%s",
                verdict.index,
                verdict.time_s,
                verdict.sentry_score,
                verdict.kind,
                "" if verdict.judge_score is None else f" ({verdict.judge_score:.3f})",
                verdict.round_trip_ms,
                f": {verdict.detail}" if verdict.detail else "",
            )
            if self.on_verdict is not None:
                self.on_verdict(verdict)

    async def _forward(self, item: _Pending) -> TriggerVerdict:
        cfg = self.cfg
        host, port = cfg.judge_address
        info = TriggerInfo(
            satellite=cfg.satellite,
            wake_word=self.report.model.wake_word,
            sentry_score=item.detection.score,
            listening_s=item.sample / SAMPLE_RATE,
        )
        names = [cfg.judge_model] if cfg.judge_model else None
        reply = await ask_judge(host, port, item.buffer, info, names=names, timeout_s=cfg.timeout_s)
        wakes = {
            VerdictKind.ACCEPT: True,
            VerdictKind.REJECT: False,
            VerdictKind.TIMEOUT: cfg.on_timeout == "accept",
            VerdictKind.ERROR: cfg.on_error == "accept",
        }[reply.kind]
        return TriggerVerdict(
            index=item.index,
            sample=item.sample,
            sentry_score=item.detection.score,
            kind=reply.kind,
            wakes=wakes,
            judge_score=reply.score,
            round_trip_ms=reply.round_trip_ms,
            buffer_samples=len(item.buffer),
            detail=reply.detail,
        )


def run_satellite(
    cfg: SatelliteConfig,
    shipped: ShippedModel,
    rule: DetectorConfig,
    *,
    on_verdict: VerdictSink | None = None,
) -> SatelliteReport:
    """Listen to ``cfg``'s source until it ends (or ``seconds`` / Ctrl-C for a microphone).

    ``rule`` is the device's detection rule at the shipped cutoff (the API passes ESPHome's).
    """
    satellite = Satellite(cfg, shipped, rule, on_verdict)
    block = satellite.block

    async def main() -> SatelliteReport:
        if cfg.wav is not None:
            source = wav_blocks(cfg.wav, block, realtime=cfg.realtime)
        else:
            source = mic_blocks(block, device=cfg.mic_device, seconds=cfg.seconds)
        log.info(
            "satellite %s listening to %s with %s (cutoff %.3f), Judge %s",
            cfg.satellite,
            cfg.wav or "the microphone",
            shipped.manifest.name,
            shipped.cutoff,
            cfg.judge,
        )
        return await satellite.run(source)

    return asyncio.run(main())
