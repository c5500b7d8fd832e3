"""The studio's API under load: route latency with 1/5/20 clients, upload throughput, WebSocket event lag.

    python benchmarks/studio.py                  # 10 s per latency row (about 2.5 minutes in all)
    python benchmarks/studio.py --seconds 5      # shorter rows
    python benchmarks/studio.py --quick          # smoke run: a few seconds of load

The studio runs as its own process (``python -m wakesmith.cli.main serve --config <file>``, no worker)
over a temporary home; this script is only its clients (httpx, websockets), on the same machine, so
they share its CPUs (both processes' CPU use is reported). The settings file holds the home, port,
token and ``spawn_worker: false`` (``serve`` ignores flags when given ``--config``), and raises
``limits.requests_per_minute`` and ``limits.uploads_per_minute``: every client here is 127.0.0.1, one
key for the per-client rate limit, which at its defaults (600 and 120 a minute) would answer 429
within a second. The body limit stays at its default. A dataset is seeded through the API first
(``POST /api/datasets``, then ``POST /api/datasets/{id}/recordings`` with WAVs made by numpy and
soundfile). Reported:

- **API latency**: p50 / p95 / p99 and requests/s of ``GET /api/datasets``, ``GET /api/datasets/{id}``
  (the health summary) and ``GET /api/recordings?dataset=`` for 1, 5 and 20 concurrent keep-alive
  clients (one connection each, each sending its next request when the last is answered), for
  ``--seconds`` per row;
- **uploads**: clips/s and MB/s (of WAV sent) of ``POST /api/datasets/{id}/recordings`` with 3 s
  clips, each one different (the store keeps one copy of a sound), for 1 and 5 uploaders, as 16 kHz
  mono and as 48 kHz stereo (converted by the studio); then how fast an oversized body is refused:
  a declared ``Content-Length`` over the limit (refused before the body is read), and a chunked body
  without one (cut off as it arrives);
- **WebSocket event lag** on ``/api/status`` (``?token=``): from a request that publishes a
  ``dataset`` event (a dataset created, a recording uploaded) to the event's arrival, with 1 and 20
  subscribers (the slowest subscriber counts), over ``--events`` events spaced at random. Job events
  need a worker, which this studio has none of;
- the server process's RSS (``/proc/<pid>/status``) after startup, after seeding and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile as sf
import websockets

from wakesmith.server.settings import LimitSettings

SAMPLE_RATE = 16000
CLIENTS = (1, 5, 20)
UPLOADERS = (1, 5)
UPLOAD_CLIP_S = 3.0
SEED_CLIP_S = 1.5
SEED_LABELS = ("positive", "negative", "background")
RATE_LIMIT = 1_000_000
"""Requests (and bodies) per minute per client for the benchmark: all of ours are one client."""
STARTUP_S = 60.0
TIMEOUT_S = 60.0
WS_SUBSCRIBERS = (1, 20)
WS_WAIT_S = 10.0
WS_MAX_GAP_S = 0.25
"""A random pause before each event, up to one poll of the stream (POLL_S): events fall anywhere in it."""
CHUNK_BYTES = 256 * 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024
MB = 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (the peak so far) of ``pid``, in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def wav(seconds: float, seed: int, rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """Amplitude-modulated noise as a 16-bit WAV; a different ``seed`` is a different sound."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * np.arange(n) / rate)
    audio = 0.2 * envelope[:, None] * rng.standard_normal((n, channels))
    buf = io.BytesIO()
    sf.write(buf, audio, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


class Unique:
    """Distinct WAVs of one length and format, cheaply: a base sound with its first samples changed."""

    def __init__(self, seconds: float, rate: int, channels: int, seed: int) -> None:
        self.base = bytearray(wav(seconds, seed, rate, channels))
        self.data_at = self.base.index(b"data") + 8
        self.count = 0

    def next(self) -> bytes:
        self.count += 1
        out = bytearray(self.base)
        out[self.data_at : self.data_at + 8] = self.count.to_bytes(8, "little")
        return bytes(out)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |")


@dataclass
class Studio:
    url: str
    port: int
    token: str
    pid: int
    log: Path
    limits: LimitSettings = field(default_factory=LimitSettings)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, connections: int = 1) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url,
            headers=self.auth,
            timeout=TIMEOUT_S,
            verify=False,  # plain HTTP on loopback; loading the CA bundle costs ~0.1 s per client
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )


def start_studio(tmp: Path) -> tuple[subprocess.Popen[bytes], Studio]:
    port, token = free_port(), secrets.token_urlsafe(16)
    limits = LimitSettings(requests_per_minute=RATE_LIMIT, uploads_per_minute=RATE_LIMIT)
    settings = {
        "home": str(tmp / "home"),
        "port": port,
        "token": token,
        "spawn_worker": False,
        "limits": {"requests_per_minute": RATE_LIMIT, "uploads_per_minute": RATE_LIMIT},
    }
    config = tmp / "studio.json"
    config.write_text(json.dumps(settings))
    log = tmp / "serve.log"
    cmd = [sys.executable, "-m", "wakesmith.cli.main", "serve", "--config", str(config)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    studio = Studio(f"http://127.0.0.1:{port}", port, token, proc.pid, log, limits)
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            if httpx.get(f"{studio.url}/api/health", timeout=2).status_code == 200:
                return proc, studio
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"the studio did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


async def upload(client: httpx.AsyncClient, dataset: str, data: bytes, label: str, speaker: str = "") -> Any:
    r = await client.post(
        f"/api/datasets/{dataset}/recordings",
        files={"audio": ("take.wav", data, "audio/wav")},
        data={"label": label, "speaker": speaker},
    )
    r.raise_for_status()
    return r.json()


async def seed(studio: Studio, dataset: str, clips: int) -> float:
    t0 = time.perf_counter()
    async with studio.client() as client:
        r = await client.post("/api/datasets", json={"name": dataset, "phrase": "hey bench"})
        r.raise_for_status()
        for i in range(clips):
            label = SEED_LABELS[i % len(SEED_LABELS)]
            await upload(client, dataset, wav(SEED_CLIP_S, 1000 + i), label, speaker=f"s{i % 4}")
    return time.perf_counter() - t0


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0
    server_cores: float = 0.0
    client_cores: float = 0.0


async def run_load(
    studio: Studio, workers: int, seconds: float, step: Callable[[httpx.AsyncClient, int], Any]
) -> Load:
    """``workers`` clients (one keep-alive connection each) calling ``step`` back to back for ``seconds``."""
    out = Load()
    clients = [studio.client() for _ in range(workers)]

    async def one(client: httpx.AsyncClient, n: int) -> None:
        while time.monotonic() < deadline:
            t = time.perf_counter()
            try:
                ok = await step(client, n)
            except httpx.HTTPError:
                ok = False
            if ok:
                out.latencies.append(time.perf_counter() - t)
            else:
                out.errors += 1

    try:
        cpu0, client0, t0 = cpu_seconds(studio.pid), time.process_time(), time.monotonic()
        deadline = t0 + seconds
        await asyncio.gather(*(one(c, n) for n, c in enumerate(clients)))
        out.wall = time.monotonic() - t0
        out.server_cores = (cpu_seconds(studio.pid) - cpu0) / out.wall
        out.client_cores = (time.process_time() - client0) / out.wall
    finally:
        for c in clients:
            await c.aclose()
    return out


async def api_latency(studio: Studio, dataset: str, seconds: float) -> list[list[Any]]:
    routes = [
        ("GET /api/datasets", "/api/datasets", None),
        ("GET /api/datasets/{id}", f"/api/datasets/{dataset}", None),
        ("GET /api/recordings?dataset=", "/api/recordings", {"dataset": dataset}),
    ]
    rows = []
    for name, path, params in routes:
        for workers in CLIENTS:

            async def get(client: httpx.AsyncClient, _n: int, path: str = path, params: Any = params) -> bool:
                return (await client.get(path, params=params)).status_code == 200

            load = await run_load(studio, workers, seconds, get)
            n = len(load.latencies)
            rows.append(
                [
                    name,
                    workers,
                    n,
                    f"{n / load.wall:.0f}",
                    ms(pct(load.latencies, 50)),
                    ms(pct(load.latencies, 95)),
                    ms(pct(load.latencies, 99)),
                    load.errors,
                    f"{load.server_cores:.2f}",
                    f"{load.client_cores:.2f}",
                ]
            )
    return rows


async def uploads(studio: Studio, seconds: float) -> list[list[Any]]:
    formats = [("16 kHz mono", SAMPLE_RATE, 1, UPLOADERS), ("48 kHz stereo", 48000, 2, UPLOADERS[:1])]
    rows = []
    async with studio.client() as client:
        r = await client.post("/api/datasets", json={"name": "bench_upload", "phrase": "hey bench"})
        r.raise_for_status()
    for f, (name, rate, channels, counts) in enumerate(formats):
        sounds = Unique(UPLOAD_CLIP_S, rate, channels, seed=10 + f)
        size = len(sounds.base)
        for workers in counts:

            async def post(client: httpx.AsyncClient, _n: int, sounds: Unique = sounds) -> bool:
                r = await client.post(
                    "/api/datasets/bench_upload/recordings",
                    files={"audio": ("take.wav", sounds.next(), "audio/wav")},
                    data={"label": "negative"},
                )
                return r.status_code == 201

            load = await run_load(studio, workers, seconds, post)
            n = len(load.latencies)
            rows.append(
                [
                    f"{UPLOAD_CLIP_S:g} s WAV, {name} ({size / 1024:.0f} KiB)",
                    workers,
                    n,
                    f"{n / load.wall:.1f}",
                    f"{n * size / MB / load.wall:.2f}",
                    ms(pct(load.latencies, 50)),
                    ms(pct(load.latencies, 95)),
                    load.errors,
                    f"{load.server_cores:.2f}",
                ]
            )
    return rows


def _request_head(studio: Studio, extra: str) -> bytes:
    return (
        "POST /api/datasets/bench_upload/recordings HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{studio.port}\r\n"
        f"Authorization: Bearer {studio.token}\r\n"
        "Content-Type: multipart/form-data; boundary=benchbench\r\n"
        f"{extra}\r\n"
    ).encode()


async def refuse_declared(studio: Studio) -> tuple[float, str]:
    """A ``Content-Length`` one byte over the limit, no body sent: seconds to the answer, and its status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", studio.port)
    try:
        t = time.perf_counter()
        writer.write(_request_head(studio, f"Content-Length: {studio.limits.max_body_bytes + 1}\r\n"))
        await writer.drain()
        status = (await asyncio.wait_for(reader.readline(), TIMEOUT_S)).decode().split()
        return time.perf_counter() - t, status[1] if len(status) > 1 else "closed"
    finally:
        writer.close()


async def refuse_chunked(studio: Studio) -> tuple[float, str, int]:
    """A chunked body with no ``Content-Length``, sent until answered: seconds, status, bytes sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", studio.port)
    part = (
        b'--benchbench\r\nContent-Disposition: form-data; name="audio"; filename="big.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\n"
    )
    chunk = b"%x\r\n" % CHUNK_BYTES + b"\0" * CHUNK_BYTES + b"\r\n"
    sent = 0
    try:
        t = time.perf_counter()
        writer.write(_request_head(studio, "Transfer-Encoding: chunked\r\n"))
        writer.write(b"%x\r\n" % len(part) + part + b"\r\n")  # one file part, its bytes never ending
        answer = asyncio.ensure_future(reader.readline())
        try:
            while not answer.done() and sent < 2 * studio.limits.max_body_bytes:
                writer.write(chunk)
                await writer.drain()
                sent += CHUNK_BYTES
        except OSError:  # the studio closed the connection after its answer
            pass
        status = (await asyncio.wait_for(answer, TIMEOUT_S)).decode().split()
        return time.perf_counter() - t, status[1] if len(status) > 1 else "closed", sent
    finally:
        writer.close()


async def oversized(studio: Studio, repeats: int) -> list[list[Any]]:
    limit = studio.limits.max_body_bytes
    declared = [await refuse_declared(studio) for _ in range(repeats)]
    chunked = [await refuse_chunked(studio) for _ in range(max(1, repeats // 5))]
    times = [d[0] for d in declared]
    ctimes = [c[0] for c in chunked]
    return [
        [
            f"Content-Length {limit + 1} (limit {limit / MIB:g} MiB)",
            len(declared),
            "/".join(sorted({d[1] for d in declared})),
            ms(pct(times, 50)),
            ms(max(times)),
            "0 (headers only)",
        ],
        [
            "chunked, no Content-Length",
            len(chunked),
            "/".join(sorted({c[1] for c in chunked})),
            ms(pct(ctimes, 50)),
            ms(max(ctimes)),
            f"{np.mean([c[2] for c in chunked]) / MIB:.1f} MiB",
        ],
    ]


async def subscriber(studio: Studio, inbox: asyncio.Queue[tuple[float, dict[str, Any]]]) -> None:
    url = f"ws://127.0.0.1:{studio.port}/api/status?token={studio.token}"
    async with websockets.connect(url, max_size=None) as ws:
        ready = False
        async for raw in ws:
            message = json.loads(raw)
            if not ready:  # the first message (telemetry) says the stream has subscribed to the hub
                ready = True
                await inbox.put((time.perf_counter(), {"topic": "ready"}))
            if message.get("topic") == "dataset":
                await inbox.put((time.perf_counter(), message))


async def wait_for(
    inbox: asyncio.Queue[tuple[float, dict[str, Any]]], match: Callable[[dict[str, Any]], bool]
) -> float:
    while True:
        t, message = await asyncio.wait_for(inbox.get(), WS_WAIT_S)
        if match(message):
            return t


def data_is(key: str, value: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["event"]["data"].get(key) == value


async def cause_event(
    client: httpx.AsyncClient, kind: str, name: str, sounds: Unique
) -> tuple[float, float, str, Any]:
    """One request that publishes a dataset event: its start and end, and the key that finds the event."""
    t0 = time.perf_counter()
    if kind == "dataset created":
        r = await client.post("/api/datasets", json={"name": name, "phrase": ""})
        t1 = time.perf_counter()
        r.raise_for_status()
        return t0, t1, "dataset", name
    r = await client.post(
        "/api/datasets/bench_ws/recordings",
        files={"audio": ("take.wav", sounds.next(), "audio/wav")},
        data={"label": "positive"},
    )
    t1 = time.perf_counter()
    r.raise_for_status()
    return t0, t1, "clip_id", r.json()["id"]


async def ws_lag(studio: Studio, events: int, seed: int) -> list[list[Any]]:
    rng = np.random.default_rng(seed)
    rows = []
    async with studio.client() as client:
        r = await client.post("/api/datasets", json={"name": "bench_ws", "phrase": "hey bench"})
        r.raise_for_status()
        sounds = Unique(UPLOAD_CLIP_S, SAMPLE_RATE, 1, seed=20)
        for subscribers in WS_SUBSCRIBERS:
            inboxes: list[asyncio.Queue[tuple[float, dict[str, Any]]]] = [
                asyncio.Queue() for _ in range(subscribers)
            ]
            tasks = [asyncio.ensure_future(subscriber(studio, q)) for q in inboxes]
            try:
                for q in inboxes:
                    await wait_for(q, lambda m: m["topic"] == "ready")
                for kind in ("dataset created", "recording uploaded"):
                    from_request, from_response = [], []
                    cpu0, t_start = cpu_seconds(studio.pid), time.monotonic()
                    for i in range(events):
                        await asyncio.sleep(float(rng.uniform(0, WS_MAX_GAP_S)))
                        t0, t1, key, value = await cause_event(client, kind, f"ws{subscribers}_{i}", sounds)
                        last = max([await wait_for(q, data_is(key, value)) for q in inboxes])
                        from_request.append(last - t0)
                        from_response.append(last - t1)
                    cores = (cpu_seconds(studio.pid) - cpu0) / (time.monotonic() - t_start)
                    rows.append(
                        [
                            kind,
                            subscribers,
                            events,
                            ms(pct(from_request, 50)),
                            ms(pct(from_request, 95)),
                            ms(max(from_request)),
                            ms(pct(from_response, 50)),
                            ms(pct(from_response, 95)),
                            f"{cores:.2f}",
                        ]
                    )
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
    return rows


async def idle_subscribers_cost(studio: Studio, subscribers: int, seconds: float) -> float:
    """Server cores used by ``subscribers`` open, quiet status streams."""
    inboxes: list[asyncio.Queue[tuple[float, dict[str, Any]]]] = [asyncio.Queue() for _ in range(subscribers)]
    tasks = [asyncio.ensure_future(subscriber(studio, q)) for q in inboxes]
    try:
        for q in inboxes:
            await wait_for(q, lambda m: m["topic"] == "ready")
        cpu0, t0 = cpu_seconds(studio.pid), time.monotonic()
        await asyncio.sleep(seconds)
        return (cpu_seconds(studio.pid) - cpu0) / (time.monotonic() - t0)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def bench(args: argparse.Namespace, studio: Studio) -> None:
    memory = [("after startup", memory_mib(studio.pid))]
    took = await seed(studio, "bench", args.clips)
    memory.append((f"after seeding {args.clips} clips", memory_mib(studio.pid)))
    print(
        f"seeded dataset `bench`: {args.clips} clips of {SEED_CLIP_S:g} s through the API in {took:.1f} s\n"
    )

    print(f"## API latency ({args.seconds:g} s per row; keep-alive clients, one connection each)\n")
    table(
        [
            "route",
            "clients",
            "requests",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "server cores",
            "client cores",
        ],
        await api_latency(studio, "bench", args.seconds),
    )
    memory.append(("after the latency rows", memory_mib(studio.pid)))

    upload_s = max(args.seconds / 2, 0.25)
    print(f"\n## Uploads ({upload_s:g} s per row; POST /api/datasets/{{id}}/recordings, label negative)\n")
    table(
        ["clip", "uploaders", "clips", "clips/s", "MB/s", "p50 ms", "p95 ms", "errors", "server cores"],
        await uploads(studio, upload_s),
    )
    print()
    table(
        ["oversized body", "tries", "answer", "p50 ms", "max ms", "sent before the answer"],
        await oversized(studio, args.refusals),
    )

    print(f"\n## WebSocket event lag (/api/status; {args.events} events per row, the slowest subscriber)\n")
    table(
        [
            "event",
            "subscribers",
            "events",
            "p50 ms",
            "p95 ms",
            "max ms",
            "after response p50 ms",
            "after response p95 ms",
            "server cores",
        ],
        await ws_lag(studio, args.events, seed=7),
    )
    idle_s = min(args.seconds, 5.0)
    idle = await idle_subscribers_cost(studio, max(WS_SUBSCRIBERS), idle_s)
    print(f"\n{max(WS_SUBSCRIBERS)} idle subscribers cost the server {idle:.2f} cores (over {idle_s:g} s)")

    memory.append(("at the end", memory_mib(studio.pid)))
    print("\n## Server memory (/proc/<pid>/status)\n")
    table(
        ["when", "RSS MiB", "peak RSS MiB"],
        [[when, f"{m['VmRSS']:.0f}", f"{m['VmHWM']:.0f}"] for when, m in memory],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Seconds per latency row.")
    parser.add_argument("--clips", type=int, default=40, help="Clips seeded before the latency rows.")
    parser.add_argument("--events", type=int, default=20, help="WebSocket events per row.")
    parser.add_argument("--refusals", type=int, default=20, help="Oversized requests sent.")
    parser.add_argument("--quick", action="store_true", help="A smoke run: a few seconds of load.")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.clips, args.events, args.refusals = 0.25, 4, 2, 2
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        proc, studio = start_studio(Path(tmp))
        try:
            print("# wakesmith studio benchmark\n")
            print(
                f"studio: pid {studio.pid}, {studio.url}, no worker; {os.cpu_count()} CPUs, "
                f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
            )
            print(
                f"settings file: limits.requests_per_minute = limits.uploads_per_minute = {RATE_LIMIT} "
                "(raised for this benchmark: every client here is 127.0.0.1, one rate-limit key; the "
                f"defaults {LimitSettings().requests_per_minute} and {LimitSettings().uploads_per_minute} "
                "would answer 429); other limits at their defaults"
            )
            asyncio.run(bench(args, studio))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print(f"\n({time.perf_counter() - started:.0f} s; load {' '.join(f'{x:.2f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
