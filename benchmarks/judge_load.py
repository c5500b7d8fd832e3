"""Load on the Judge: many real-time Wyoming streams at once, plus /verify latency for a 2 s buffer.

    python benchmarks/judge_load.py                       # 50 streams for 60 s, untrained default judge
    python benchmarks/judge_load.py --model judge.onnx --streams 50 --seconds 60

The Judge runs as its own process (``wakesmith judge``), exactly as the add-on starts it; this script
is only its clients. Each stream sends 30 ms chunks in real time, in segments of ``--segment`` seconds
(``detect``, ``audio-start``, chunks, ``audio-stop``); every segment must be answered. Two modes:

- ``trigger`` (the cascade's job): every segment is a sentry trigger buffer (``detect`` context
  ``trigger``), sent at once as a satellite forwards its recorded ring buffer, verified at
  ``audio-stop``; the next one follows when the buffer's time has passed, so with ``--segment`` 2 s
  each satellite asks for a verdict every 2 s, far more often than a real one;
- ``continuous`` (plain Wyoming wake word): every chunk is scored as it arrives (a judge window every
  hop); the threshold is 1.0, so each segment ends with ``not-detected`` after ``audio-stop``.

An untrained model's scores are meaningless, but speed does not depend on weights. Reported:

- verdicts lost (no answer within 5 s, or the connection failed) and late (answer > 300 ms after
  ``audio-stop``), out of all segments;
- ``POST /verify`` latency p50 / p99 for a 2 s WAV, idle and under the stream load;
- the Judge's CPU use under load (from /proc) and the streams per core that implies.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import httpx
import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.wake import Detect

from wakesmith.audio.pcm import float_to_int16

SAMPLE_RATE = 16000
CHUNK_S = 0.03
LATE_S = 0.3
LOST_S = 5.0
VERIFY_SECONDS = 2.0
VERIFY_REQUESTS = 200
CONTINUOUS_SEGMENT_S = 5.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def speechlike(seconds: float, seed: int) -> np.ndarray:
    """Amplitude-modulated noise as 16-bit PCM bytes."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * np.arange(n) / SAMPLE_RATE)
    audio = 0.2 * envelope * rng.standard_normal(n)
    return float_to_int16(audio).astype("<i2")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def untrained_judge(folder: Path) -> Path:
    """The default judge recipe's network, untrained, exported to ONNX (needs the training install)."""
    from wakesmith.config import load_recipe
    from wakesmith.export.onnx import export_onnx
    from wakesmith.features import create_frontend
    from wakesmith.models import create_model
    from wakesmith.train.artifacts import describe

    recipe = load_recipe("judge")
    frontend = create_frontend(recipe.features)
    model = create_model(recipe.model.name, frontend.dim, **recipe.model.params).eval()
    meta = describe(model, recipe, "bench-judge", lineage="bench")
    return export_onnx(model, meta, folder / "judge.onnx")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


async def one_stream(
    port: int, pcm: np.ndarray, args: argparse.Namespace, out: dict[str, list[float]], name: str, phase: float
) -> None:
    """Stream ``args.seconds`` of audio (real time on average); record each segment's answer delay or loss."""
    chunk = int(CHUNK_S * SAMPLE_RATE)
    seconds = args.seconds
    per_segment = int(args.segment / CHUNK_S)
    trigger = args.mode == "trigger"
    context = {"trigger": {"satellite": name, "sentry_score": 0.9}} if trigger else None
    pos = 0
    try:
        async with AsyncTcpClient("127.0.0.1", port) as client:
            # Satellites do not trigger in lockstep: spread the streams' phases over one segment.
            await asyncio.sleep(phase * args.segment)
            start = time.monotonic()
            sent = 0
            while time.monotonic() - start < seconds:
                await client.write_event(Detect(context=context).event())
                await client.write_event(AudioStart(SAMPLE_RATE, 2, 1).event())
                for _ in range(per_segment):
                    data = pcm[pos : pos + chunk]
                    pos = (pos + chunk) % (len(pcm) - chunk)
                    await client.write_event(AudioChunk(SAMPLE_RATE, 2, 1, data.tobytes()).event())
                    sent += 1
                    delay = start + sent * CHUNK_S - time.monotonic()
                    if delay > 0 and not trigger:
                        await asyncio.sleep(delay)
                stop = time.monotonic()
                await client.write_event(AudioStop().event())
                try:
                    event = await asyncio.wait_for(client.read_event(), LOST_S)
                except TimeoutError:
                    event = None
                if event is None or event.type not in ("not-detected", "detection"):
                    out["lost"].append(1.0)
                    if event is None:
                        return
                    continue
                out["delay"].append(time.monotonic() - stop)
                if trigger:  # the next trigger comes when this buffer's time has passed
                    await asyncio.sleep(max(0.0, start + sent * CHUNK_S - time.monotonic()))
    except OSError:
        out["lost"].append(1.0)


def wav_bytes(pcm: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


async def verify_latencies(http: str, wav: bytes, n: int, pause_s: float = 0.0) -> list[float]:
    """Server-side latency_ms of ``n`` sequential /verify calls (plus round trips in the second list)."""
    latencies = []
    async with httpx.AsyncClient(timeout=LOST_S) as client:
        for _ in range(n):
            r = await client.post(f"{http}/verify", files={"audio": ("t.wav", wav, "audio/wav")})
            r.raise_for_status()
            latencies.append(float(r.json()["latency_ms"]))
            if pause_s:
                await asyncio.sleep(pause_s)
    return latencies


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def load(args: argparse.Namespace, port: int, http: str, pid: int) -> dict[str, float]:
    pcm = speechlike(30.0, 1)
    wav = wav_bytes(speechlike(VERIFY_SECONDS, 2))
    idle = await verify_latencies(http, wav, VERIFY_REQUESTS)
    out: dict[str, list[float]] = {"delay": [], "lost": []}
    cpu0, t0, client0 = cpu_seconds(pid), time.monotonic(), time.process_time()
    streams = [
        one_stream(port, np.roll(pcm, i * 1601), args, out, f"sat{i}", i / args.streams)
        for i in range(args.streams)
    ]
    # /verify under load: spaced calls while the streams run.
    verify_task = asyncio.gather(
        verify_latencies(http, wav, VERIFY_REQUESTS // 2, pause_s=args.seconds / VERIFY_REQUESTS)
    )
    await asyncio.gather(*streams)
    loaded = (await verify_task)[0]
    wall, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
    cores = cpu / wall
    segments = len(out["delay"]) + len(out["lost"])
    return {
        "mode": args.mode,
        "streams": args.streams,
        "seconds": round(wall, 1),
        "segments": segments,
        "lost": len(out["lost"]),
        "late": sum(d > LATE_S for d in out["delay"]),
        "answer_p50_ms": round(pct(out["delay"], 50) * 1000, 1),
        "answer_p99_ms": round(pct(out["delay"], 99) * 1000, 1),
        "verify_idle_p50_ms": round(pct(idle, 50), 1),
        "verify_idle_p99_ms": round(pct(idle, 99), 1),
        "verify_loaded_p50_ms": round(pct(loaded, 50), 1),
        "verify_loaded_p99_ms": round(pct(loaded, 99), 1),
        "judge_cpu_cores": round(cores, 2),
        "client_cpu_cores": round((time.process_time() - client0) / wall, 2),
        "streams_per_core": round(args.streams / cores, 1) if cores else float("inf"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", type=Path, help="A judge .onnx (default: an untrained default-size judge)."
    )
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--mode", choices=["trigger", "continuous"], default="trigger")
    parser.add_argument(
        "--segment", type=float, help="Seconds per segment (default: 2 trigger, 5 continuous)."
    )
    parser.add_argument("--threads", type=int, default=2, help="The Judge's inference threads.")
    args = parser.parse_args()
    if args.segment is None:
        args.segment = VERIFY_SECONDS if args.mode == "trigger" else CONTINUOUS_SEGMENT_S
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or untrained_judge(Path(tmp))
        port, http_port = free_port(), free_port()
        settings = Path(tmp) / "judge.json"
        settings.write_text(
            json.dumps(
                {
                    "models": [{"path": str(model), "name": "bench", "threshold": 1.0}],
                    "uri": f"tcp://127.0.0.1:{port}",
                    "http_host": "127.0.0.1",
                    "http_port": http_port,
                    "threads": args.threads,
                }
            )
        )
        cmd = [sys.executable, "-m", "wakesmith.cli.main", "judge", "--config", str(settings)]
        judge = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        try:
            http = f"http://127.0.0.1:{http_port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{http}/health").raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or judge.poll() is not None:
                        raise SystemExit("the Judge did not start") from None
                    time.sleep(0.2)
            result = asyncio.run(load(args, port, http, judge.pid))
        finally:
            judge.terminate()
            judge.wait(10)
    result["model"] = str(args.model) if args.model else "untrained default judge recipe"
    result["cpu_count"] = os.cpu_count() or 0
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
