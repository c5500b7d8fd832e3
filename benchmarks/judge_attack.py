"""The Judge under attack: each of issue 10's attacks for a while, beside 20 legitimate trigger streams.

    WAKESMITH_JUDGE_FIXTURE=.nox/judge-fixture python benchmarks/judge_attack.py --seconds 10
    python benchmarks/judge_attack.py --model judge.onnx --clip positive.wav      # 60 s per attack

The Judge runs as its own process (``wakesmith judge --config``, as the add-on starts it) with a token,
capture (quota 0.2 MB) and, when mosquitto is installed, a private broker. Each legitimate stream sends
a 2 s trigger buffer every 2 s. Printed per attack: the legitimate verdicts' p50 / p99 (connect →
verdict) and how many failed, the server's peak RSS and open descriptors, and the capture folder's
disk use (allocated blocks).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile as sf
from wyoming.event import async_read_event

from wakesmith.audio.io import read_audio, to_pcm16, wav_bytes

TOKEN = "bench-token"
MIB = 1024 * 1024
TRIGGER_S = 2.0
LOST_S = 10.0
FMT = {"rate": 16000, "width": 2, "channels": 1}
Attack = Callable[["Target"], Awaitable[None]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Target:
    """The running Judge: ports, pid, capture folder."""

    def __init__(self, port: int, http_port: int, pid: int, capture: Path) -> None:
        self.port, self.http_port, self.pid, self.capture = port, http_port, pid, capture
        self.http = f"http://127.0.0.1:{http_port}"
        self.auth = {"Authorization": f"Bearer {TOKEN}"}

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def disk_mb(self) -> float:
        return sum(p.stat().st_blocks * 512 for p in self.capture.rglob("*") if p.is_file()) / MIB


def header(kind: str, data: Any = None, payload: bytes = b"") -> bytes:
    head: dict[str, Any] = {"type": kind, "data": data if data is not None else {}}
    if payload:
        head["payload_length"] = len(payload)
    return json.dumps(head).encode() + b"\n" + payload


def trigger_bytes(pcm: bytes, satellite: str, score: str = "0.9", names: list[str] | None = None) -> bytes:
    detect = {"names": names, "context": {"trigger": {"satellite": satellite, "sentry_score": 0}}}
    raw = header("detect", detect).replace(b'"sentry_score": 0', b'"sentry_score": ' + score.encode())
    return raw + header("audio-start", FMT) + header("audio-chunk", FMT, pcm) + header("audio-stop")


async def exchange(port: int, data: bytes, timeout: float = LOST_S) -> str:
    """Send raw bytes; the type of the first verdict / error ('' when none came)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return ""
    try:
        writer.write(data)
        await writer.drain()
        while True:
            event = await asyncio.wait_for(async_read_event(reader), timeout)
            if event is None:
                return ""
            if event.type in ("detection", "not-detected", "error"):
                return event.type
    except (OSError, TimeoutError):
        return ""
    finally:
        writer.close()


def wav(audio: np.ndarray, rate: int = 16000) -> bytes:
    return wav_bytes(to_pcm16(audio), sample_rate=rate)


# --- the attacks (each loops until cancelled) --------------------------------------------------------


def _chunked_once(t: Target) -> None:
    head = (
        f"POST /verify HTTP/1.1\r\nHost: j\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n"
        "Content-Length: 100\r\n\r\n"
    ).encode()
    part = b'--b\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\n\r\n'
    with socket.create_connection(("127.0.0.1", t.http_port), timeout=5) as s:
        s.sendall(head)
        try:
            for i in range(300):
                body = part + b"\0" * (MIB - len(part)) if i == 0 else b"\0" * MIB
                s.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n")
        except OSError:
            pass


async def chunked(t: Target) -> None:
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                _chunked_once(t)

    threading.Thread(target=loop, daemon=True).start()  # a daemon: asyncio.run never waits for it
    try:
        await asyncio.Event().wait()
    finally:
        stop.set()


async def names(t: Target) -> None:
    pcm = b"\0\0" * 32000
    while True:
        await exchange(t.port, trigger_bytes(pcm, "n", names=["judge"] * 1500))


async def flac(t: Target) -> None:
    buf = io.BytesIO()
    sf.write(buf, np.zeros((655_350 * 2, 8), dtype=np.int16), 655_350, format="FLAC")
    data = buf.getvalue()
    async with httpx.AsyncClient(timeout=30) as client:
        while True:
            await client.post(f"{t.http}/verify", files={"audio": ("b.flac", data)}, headers=t.auth)


async def rate(t: Target) -> None:
    data = wav(np.zeros(16_000, np.float32), rate=2_000_000_000)
    async with httpx.AsyncClient(timeout=30) as client:
        while True:
            await client.post(f"{t.http}/verify", files={"audio": ("r.wav", data)}, headers=t.auth)


async def bad_events(t: Target) -> None:
    nested = b'{"type": "detect", "data": {"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}\n"
    inf = b'{"type": "audio-start", "data": {"rate": Infinity, "width": 2, "channels": 1}}\n'
    while True:
        for data in (nested, inf, header("detect", {"names": 5})):
            await exchange(t.port, data)


async def idle(t: Target) -> None:
    held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    while True:
        for port in (t.port, t.http_port):
            for _ in range(50):
                with contextlib.suppress(OSError):
                    held.append(await asyncio.open_connection("127.0.0.1", port))
            with_header = b'{"type": "de' if port == t.port else b"GET /health HTTP/1.1\r\nHo"
            held[-1][1].write(with_header)  # then a byte a second would follow: the header deadline
        await asyncio.sleep(1.0)
        for _, writer in held[:-100]:
            writer.close()
        held = held[-100:]


async def log_names(t: Target) -> None:
    pcm = b"\0\0" * 1600
    while True:
        await exchange(t.port, trigger_bytes(pcm, "x\nFORGED line"))
        await exchange(t.port, trigger_bytes(pcm, "k" * 60_000))


async def tiny(t: Target) -> None:
    i = 0
    while True:
        i += 1
        await exchange(t.port, trigger_bytes(b"\x10\x00", f"tiny{i % 3}"))


async def satellites(t: Target) -> None:
    i = 0
    while True:
        i += 1
        await exchange(t.port, trigger_bytes(b"\x10\x00" * 160, f"fake-{i}"))


async def nan(t: Target) -> None:
    while True:
        for value in ("NaN", "Infinity", "1e999"):
            await exchange(t.port, trigger_bytes(b"\x10\x00" * 160, "s", score=value))


async def collide(t: Target) -> None:
    while True:
        for name in ("кухня", "客厅", "kitchen/1", "kitchen_1"):
            await exchange(t.port, trigger_bytes(b"\x10\x00" * 160, name))


ATTACKS: dict[str, tuple[str, Attack | None]] = {
    "none": ("baseline: legitimate streams only", None),
    "1": ("chunked body, lying Content-Length", chunked),
    "2": ("detect names x1500", names),
    "3": ("FLAC 655 kHz x 8 channels", flac),
    "4": ("WAV claiming 2 GHz", rate),
    "5": ("nested 50k / Infinity / names: 5", bad_events),
    "6": ("100 idle + trickling, both ports", idle),
    "7": ("newline and 60 KB names", log_names),
    "8": ("one-sample triggers (quota)", tiny),
    "9": ("invented satellites", satellites),
    "10": ("NaN / Infinity context", nan),
    "11": ("кухня, 客厅, kitchen/1, kitchen_1", collide),
}


# --- legitimate streams and the run ------------------------------------------------------------------


async def legit_stream(t: Target, pcm: bytes, n: int, out: list[float], failed: list[int]) -> None:
    data = trigger_bytes(pcm, f"legit{n}")
    await asyncio.sleep(n * TRIGGER_S / 20)
    while True:
        start = time.monotonic()
        answer = await exchange(t.port, data)
        took = time.monotonic() - start
        if answer in ("detection", "not-detected"):
            out.append(took)
        else:
            failed.append(1)
        await asyncio.sleep(max(0.0, TRIGGER_S - took))


async def run_attack(
    t: Target, attack: Attack | None, pcm: bytes, args: argparse.Namespace
) -> dict[str, Any]:
    latencies: list[float] = []
    failed: list[int] = []
    tasks = [asyncio.create_task(legit_stream(t, pcm, n, latencies, failed)) for n in range(args.legit)]
    if attack is not None:
        tasks.append(asyncio.create_task(attack(t)))
    rss, fds = 0.0, 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        rss, fds = max(rss, t.rss_mb()), max(fds, t.fds())
        await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=LOST_S)  # a task stuck in a connect must not stall the next row
    ms = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    return {
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "ok": len(latencies),
        "failed": len(failed),
        "rss": rss,
        "fds": fds,
        "disk": t.disk_mb(),
    }


async def run_all(
    t: Target, keys: list[str], pcm: bytes, args: argparse.Namespace
) -> list[tuple[str, str, dict[str, Any]]]:
    """Every row in one event loop, one after another."""
    rows = []
    for key in keys:
        label, attack = ATTACKS[key]
        rows.append((key, label, await run_attack(t, attack, pcm, args)))
        print(f"row {key} done", file=sys.stderr, flush=True)
    return rows


def start_broker(folder: Path) -> tuple[subprocess.Popen[bytes] | None, int]:
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(exe).exists():
        return None, 0
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    return subprocess.Popen([exe, "-c", str(conf)], stderr=subprocess.DEVNULL), port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="A judge .onnx (default: the judge test fixture's).")
    parser.add_argument("--clip", type=Path, help="The legitimate trigger clip (default: the fixture's).")
    parser.add_argument("--seconds", type=float, default=60.0, help="Seconds per attack.")
    parser.add_argument("--legit", type=int, default=20, help="Legitimate trigger streams.")
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="Comma-separated rows to run.")
    args = parser.parse_args()
    fixture = os.environ.get("WAKESMITH_JUDGE_FIXTURE")
    if args.model is None or args.clip is None:
        if not fixture:
            raise SystemExit("give --model and --clip, or set WAKESMITH_JUDGE_FIXTURE")
        manifest = json.loads((Path(fixture) / "fixture.json").read_text())
        args.model = args.model or Path(manifest["model"])
        args.clip = args.clip or Path(manifest["positive"])
    audio = read_audio(args.clip)
    pcm = to_pcm16(np.resize(audio, int(TRIGGER_S * 16000)))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        broker, mqtt_port = start_broker(folder)
        port, http_port = free_port(), free_port()
        settings = {
            "models": [{"path": str(args.model), "name": "judge"}],
            "uri": f"tcp://127.0.0.1:{port}",
            "http_port": http_port,
            "http_token": TOKEN,
            "capture": {"folder": str(folder / "captures"), "quota_mb": 0.2, "keep_accepted": True},
            "mqtt": {"host": "127.0.0.1" if broker else "", "port": mqtt_port or 1883},
        }
        (folder / "judge.json").write_text(json.dumps(settings))
        cmd = [sys.executable, "-m", "wakesmith.cli.main", "judge", "--config", str(folder / "judge.json")]
        judge = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{http_port}/health").raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or judge.poll() is not None:
                        raise SystemExit("the Judge did not start") from None
                    time.sleep(0.2)
            target = Target(port, http_port, judge.pid, folder / "captures")
            rows = asyncio.run(run_all(target, args.attacks.split(","), pcm, args))
        finally:
            judge.terminate()
            judge.wait(10)
            if broker is not None:
                broker.terminate()
                broker.wait(10)
    print(
        f"{args.legit} legitimate trigger streams ({TRIGGER_S:g} s buffer every {TRIGGER_S:g} s), "
        f"{args.seconds:g} s per attack, {os.cpu_count()} CPUs, MQTT {'on' if broker else 'off'}"
    )
    print(
        f"{'#':>4} {'attack':<38} {'p50 ms':>8} {'p99 ms':>8} {'ok':>5} {'lost':>5} "
        f"{'RSS MB':>7} {'fds':>5} {'disk MB':>8}"
    )
    for key, label, r in rows:
        print(
            f"{key:>4} {label:<38} {r['p50']:>8.0f} {r['p99']:>8.0f} {r['ok']:>5} {r['failed']:>5} "
            f"{r['rss']:>7.0f} {r['fds']:>5} {r['disk']:>8.2f}"
        )


if __name__ == "__main__":
    main()
