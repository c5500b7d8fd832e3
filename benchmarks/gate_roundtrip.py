"""The gate's round trip and the cascade's CPU cost, over loopback with a real Judge process.

    python benchmarks/gate_roundtrip.py                      # the judge fixture + the example sentry
    python benchmarks/gate_roundtrip.py --home ~/.local/share/wakesmith   # the quickstart's models

Models: with ``--home``, the home's current sentry (its ESPHome export) and current judge; otherwise the
judge fixture the tests share (``$WAKESMITH_JUDGE_FIXTURE``, default ``.nox/judge-fixture``, made by
``tests/ha/prepare.py``) and the quickstart sentry the example ESPHome satellite ships. The Judge runs as
its own process (``wakesmith judge``, one inference thread), the gate is the virtual satellite's
(:mod:`wakesmith.satellite.gate`, the ``wyoming`` client).

Reported:

- **gate round trip**: connect, ``detect`` + the 2.25 s trigger buffer, verdict — p50 / p99 over
  ``--buffers`` buffers cut from the audio, sent one after another;
- **cascade CPU seconds per audio hour**: the virtual satellite over the audio (``--minutes``): the
  INT8 sentry in pymicro-wakeword over every sample, plus the Judge process's CPU (from /proc) for the
  triggers it forwarded. The audio is the home's evaluation streams (``--home``), else the fixture's
  four clips between 3 s of quiet, which triggers far more often than a home does: the Judge's share is
  also given per trigger so it can be scaled to a real trigger rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from wakesmith.audio.io import read_audio, write_wav
from wakesmith.config import SAMPLE_RATE, validate
from wakesmith.runtime.cascade import POST_ROLL_S, PRE_ROLL_S, trigger_buffer
from wakesmith.satellite import SatelliteConfig, TriggerInfo, ask_judge

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_SENTRY = REPO / "esphome" / "satellites" / "models" / "hey_katya.json"
FIXTURE = Path(os.environ.get("WAKESMITH_JUDGE_FIXTURE", REPO / ".nox" / "judge-fixture"))
FIXTURE_CLIPS = ("positive", "negative", "held_out_positive", "held_out_negative")
QUIET_S = 3.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SECONDS_PER_HOUR = 3600.0
STARTUP_S = 60.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def models(home: Path | None) -> tuple[Path, Path, str]:
    """(sentry manifest, judge .onnx, where they came from)."""
    if home is None:
        return EXAMPLE_SENTRY, FIXTURE / "calibrated.onnx", "judge fixture + the example satellite's sentry"
    from wakesmith import api
    from wakesmith.artifact import resolve_artifact
    from wakesmith.home import Home

    h = Home.resolve(home)
    sentry, judge = resolve_artifact("sentry", h), resolve_artifact("judge", h)
    made = sorted((sentry.path / "esphome").glob("*.json")) + sorted(
        (sentry.path / "exports" / "esphome").glob("*.json")
    )
    manifest = next((p for p in made if p.name.count(".") == 1), None)
    if manifest is None:
        manifest = api.export(sentry.path, "esphome", home=h)
    return manifest, judge.onnx_path, f"{sentry.model_id} + {judge.model_id}"


def audio_for(home: Path | None, minutes: float, folder: Path) -> Path:
    """``minutes`` of audio as one WAV: the home's evaluation streams, else the fixture's clips."""
    want = round(minutes * 60 * SAMPLE_RATE)
    if home is not None:
        streams = sorted((Path(home) / "streams").rglob("*.wav"))
        if not streams:
            raise SystemExit(f"{home} has no evaluation streams (streams/): run the quickstart first.")
        parts, have = [], 0
        for path in streams:
            audio = read_audio(path, max_seconds=None)[: want - have]
            parts.append(audio)
            have += len(audio)
            if have >= want:
                break
    else:
        quiet = np.zeros(round(QUIET_S * SAMPLE_RATE), np.float32)
        clips = [np.concatenate([quiet, read_audio(FIXTURE / f"{n}.wav")]) for n in FIXTURE_CLIPS]
        one = np.concatenate(clips)
        parts = [np.tile(one, want // len(one) + 1)[:want]]
    return write_wav(folder / "stream.wav", np.concatenate(parts))


def start_judge(model: Path, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [sys.executable, "-m", "wakesmith.cli.main", "judge", "--model", str(model)]
    cmd += ["--uri", f"tcp://127.0.0.1:{port}", "--http-port", "0", "--threads", "1"]
    log = (folder / "judge.log").open("wb")
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    deadline = time.monotonic() + STARTUP_S
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the Judge did not start:\n{(folder / 'judge.log').read_text()}")
        time.sleep(0.1)


async def round_trips(port: int, audio: np.ndarray, n: int) -> list[float]:
    rng = np.random.default_rng(0)
    pre, post = round(PRE_ROLL_S * SAMPLE_RATE), round(POST_ROLL_S * SAMPLE_RATE)
    info = TriggerInfo(satellite="benchmark", wake_word="hey katya", sentry_score=1.0, listening_s=0.0)
    out = []
    for at in rng.integers(pre, len(audio) - post, n):
        reply = await ask_judge("127.0.0.1", port, trigger_buffer(audio, int(at)), info, timeout_s=5.0)
        if reply.kind in ("accept", "reject"):
            out.append(reply.round_trip_ms)
    return out


def _pct(ms: list[float]) -> str:
    return f"{np.percentile(ms, 50):.1f} / {np.percentile(ms, 99):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--home", type=Path, default=None, help="a quickstart data home (default: the fixture)"
    )
    parser.add_argument("--buffers", type=int, default=200, help="trigger buffers for the round trip")
    parser.add_argument("--minutes", type=float, default=10.0, help="audio the satellite listens to")
    args = parser.parse_args()

    from wakesmith import api

    manifest, judge_model, source = models(args.home)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wav = audio_for(args.home, args.minutes, folder)
        proc, port = start_judge(judge_model, folder)
        try:
            asyncio.run(round_trips(port, read_audio(wav, max_seconds=None), 5))  # warm the Judge up
            trips = asyncio.run(round_trips(port, read_audio(wav, max_seconds=None), args.buffers))
            cfg = validate(
                SatelliteConfig, {"model": manifest, "wav": wav, "judge": f"tcp://127.0.0.1:{port}"}
            )
            judge_before, wall = cpu_seconds(proc.pid), time.perf_counter()
            report = api.satellite(cfg)
            wall = time.perf_counter() - wall
            judge_cpu = cpu_seconds(proc.pid) - judge_before
        finally:
            proc.terminate()
            proc.wait(10)
    hours = report.audio_s / SECONDS_PER_HOUR
    buffer_s = PRE_ROLL_S + POST_ROLL_S
    triggers = len(report.verdicts)
    forwarded = [v.round_trip_ms for v in report.verdicts if v.kind in ("accept", "reject")]
    rows = [
        ("models", source),
        ("gate round trip p50 / p99", f"{_pct(trips)} ({len(trips)} buffers of {buffer_s:g} s)"),
        ("  … the satellite's own triggers", f"{_pct(forwarded)} (sharing its loop with the sentry, "
                                             "faster than real time)" if forwarded else "no trigger"),
        ("audio heard", f"{report.audio_s / 60:.1f} min in {wall:.1f} s wall"),
        ("triggers forwarded", f"{triggers} ({triggers / hours:.0f} per audio hour in this audio)"),
        ("sentry INT8 CPU", f"{report.sentry_cpu_s / hours:.1f} s per audio hour"),
        ("Judge CPU on triggers", f"{judge_cpu / hours:.1f} s per audio hour "
                                  f"({judge_cpu / triggers * 1000:.1f} ms per trigger)" if triggers else "0"),
        ("cascade CPU", f"{(report.sentry_cpu_s + judge_cpu) / hours:.1f} s per audio hour"),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
