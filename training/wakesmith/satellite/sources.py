"""Where the satellite's audio comes from: a WAV file (as fast as it decodes, or paced like a
microphone) or the microphone itself through ``sounddevice`` (optional: only imported for ``mic``)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from wakesmith.audio.io import probe, read_audio
from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, ToolMissingError

MIC_QUEUE_BLOCKS = 50
"""Microphone blocks held while the sentry catches up (a few seconds); older ones are dropped."""


async def wav_blocks(path: Path, block: int, *, realtime: bool = False) -> AsyncIterator[np.ndarray]:
    """A WAV (or other audio) file in blocks of ``block`` samples, 16 kHz mono float32.

    A file already in the audio contract is read block by block (any length); anything else is
    converted on load, as everywhere else in wakesmith.
    """
    info = probe(path)
    if info.frames == 0:
        raise AudioError(f"{path} holds no audio; give a recording to listen to.")
    if info.is_contract:
        blocks = (b for b in sf.blocks(str(path), blocksize=block, dtype="float32"))
    else:
        audio = read_audio(path, max_seconds=None)
        blocks = (audio[i : i + block] for i in range(0, len(audio), block))
    started, sent = time.monotonic(), 0
    for b in blocks:
        yield np.ascontiguousarray(b, dtype=np.float32)
        sent += len(b)
        if realtime:
            await asyncio.sleep(max(0.0, started + sent / SAMPLE_RATE - time.monotonic()))
        else:
            await asyncio.sleep(0)  # let verdicts arrive while the file is read


def _sounddevice() -> Any:
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: the package is there but PortAudio is not
        raise ToolMissingError(
            f"Listening to a microphone needs the sounddevice package and PortAudio ({exc}): "
            "pip install sounddevice (and apt-get install libportaudio2), or listen to a file with --wav."
        ) from None
    return sounddevice


async def mic_blocks(
    block: int, *, device: str | int | None = None, seconds: float | None = None
) -> AsyncIterator[np.ndarray]:
    """The microphone in blocks of ``block`` samples until ``seconds`` of audio or Ctrl-C."""
    sd = _sounddevice()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[np.ndarray] = asyncio.Queue(maxsize=MIC_QUEUE_BLOCKS)
    stop = asyncio.Event()

    def put(data: np.ndarray) -> None:
        if queue.full():
            queue.get_nowait()  # the sentry fell behind: drop the oldest block, as a device would
        queue.put_nowait(data)

    def callback(indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        loop.call_soon_threadsafe(put, indata[:, 0].copy())

    with contextlib.suppress(NotImplementedError, RuntimeError):  # only the main thread sees signals
        loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        stream = sd.InputStream(
            samplerate=SAMPLE_RATE,
            channels=1,
            dtype="float32",
            blocksize=block,
            device=device,
            callback=callback,
        )
    except (sd.PortAudioError, ValueError) as exc:  # no device, a busy one, a rate it cannot do
        raise AudioError(f"Cannot open the microphone ({exc}); choose another with --mic-device.") from None
    heard = 0
    with stream:
        while not stop.is_set() and (seconds is None or heard < seconds * SAMPLE_RATE):
            getter = asyncio.ensure_future(queue.get())
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in (getter, stopper):
                if task not in done:
                    task.cancel()
            if getter in done:
                data = getter.result()
                heard += len(data)
                yield data
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.remove_signal_handler(signal.SIGINT)
