"""Carry out a synthesis plan in parallel processes and write one 16 kHz 16-bit WAV per job.

Jobs travel to worker processes in chunks (one espeak-ng call is only ~15 ms, so per-job round trips
would cost as much as the work). A job that fails is returned with its error, never dropped and
never fatal to the run. A file that already exists for a job id is reused: ids digest every
setting, so the same id means the same audio, and an interrupted run resumes where it stopped.

Workers come from a fork server, never from a fork of the caller: a caller that holds an onnxruntime
session (a Piper or Kokoro voice, a Judge, a studio job worker that evaluated a model) or has run torch
has thread pools that a forked child inherits without their threads (neither library is fork-safe).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import WakesmithError
from wakesmith.fsio import atomic_path
from wakesmith.synth import espeak, kokoro, pico, piper
from wakesmith.synth.backgrounds import make_background
from wakesmith.synth.plan import ESPEAK, KOKORO, NOISE, PICO, PIPER, SynthJob

log = logging.getLogger(__name__)

SOURCE = "synthetic"
GENERATED_LICENCE = "CC0-1.0"
"""Noise, hum and fan backgrounds are computed by wakesmith itself and carry no rights."""
MAX_CHUNK = 32
CHUNKS_PER_WORKER = 4
"""Enough chunks per worker to balance load and report progress, few enough to keep overhead low."""

ProgressFn = Callable[[int, int], None]


def _pool_context() -> Any:
    """The fork server, preloaded with this module: each worker is forked from a process that has only
    imported the synthesizers (about half a second per run on two cores, measured against plain fork)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


@dataclass(frozen=True)
class SynthResult:
    """The outcome of one job: a written clip (``path``), or ``error`` saying why there is none."""

    job_id: str
    path: Path | None
    label: str
    speaker: str
    text: str
    duration_s: float
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    source: str = SOURCE

    @property
    def ok(self) -> bool:
        return self.error is None


def write_wav(path: Path, audio: np.ndarray) -> Path:
    """Write float audio as a 16 kHz mono 16-bit WAV, atomically."""
    with atomic_path(path) as tmp:
        sf.write(tmp, np.clip(audio, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16", format="WAV")
    return path


def render(job: SynthJob) -> np.ndarray:
    """The audio of one job (float32 mono 16 kHz)."""
    if job.engine == ESPEAK:
        return espeak.synthesize(job.text, voice=job.voice, variant=job.variant, speed=job.speed,
                                 pitch=job.pitch, word_gap=job.word_gap, phonemes=job.phonemes)  # fmt: skip
    if job.engine == PICO:  # job.pitch is Pico's pitch factor in percent
        return pico.synthesize(job.text, job.voice, speed=job.speed, pitch=job.pitch / 100)
    if job.engine == PIPER:
        style = {"noise_scale": job.meta.get("noise_scale"), "noise_w": job.meta.get("noise_w")}
        return piper.synthesize(job.text, Path(job.voice), speed=job.speed, seed=job.seed, **style)
    if job.engine == KOKORO:
        return kokoro.synthesize(job.text, job.voice, speed=job.speed)
    if job.engine == NOISE:
        speech = [
            espeak.synthesize(text, voice=s["voice"], variant=s["variant"])
            for text, s in zip(job.meta.get("texts", []), job.meta.get("speakers", []), strict=False)
        ]
        return make_background(job.meta["background"], job.meta["seconds"], seed=job.seed,
                               rms_db=job.meta["rms_db"], speech=speech)  # fmt: skip
    raise WakesmithError(f"Unknown synthesis engine {job.engine!r} in job {job.id}.")


def job_meta(job: SynthJob) -> dict[str, Any]:
    """What a dataset row should remember about how its clip was made (licence included)."""
    meta: dict[str, Any] = {
        "kind": job.kind,
        "engine": job.engine,
        "job_id": job.id,
        "seed": job.seed,
        **job.meta,
    }
    if job.engine == ESPEAK:
        meta |= {"voice": job.voice, "variant": job.variant, "speed": job.speed, "pitch": job.pitch,
                 "word_gap": job.word_gap, "phonemes": job.phonemes, "licence": espeak.ESPEAK_LICENCE,
                 "engine_version": espeak.espeak_version()}  # fmt: skip
    elif job.engine == PICO:
        meta |= {"voice": job.voice, "speed": job.speed, "pitch": job.pitch / 100,
                 "speed_factor": pico.speed_factor(job.speed), "licence": pico.PICO_LICENCE,
                 "engine_version": pico.engine_version()}  # fmt: skip
    elif job.engine == KOKORO:
        meta |= {"voice": job.voice, "speed": job.speed, "speed_factor": kokoro.speed_factor(job.speed),
                 "licence": kokoro.KOKORO_LICENCE, "engine_version": kokoro.engine_version()}  # fmt: skip
    elif job.engine == PIPER:
        meta |= {"voice": Path(job.voice).name, "speed": job.speed,
                 "licence": piper.voice_licence(Path(job.voice))["licence"]}  # fmt: skip
    else:
        meta["licence"] = espeak.ESPEAK_LICENCE if meta.get("background") == "babble" else GENERATED_LICENCE
    meta.pop("texts", None)  # babble source sentences: bulky and of no use downstream
    meta.pop("speakers", None)
    return meta


def run_job(job: SynthJob, out_dir: Path, resume: bool = True) -> SynthResult:
    """Synthesize and write one job; errors come back in the result instead of being raised."""
    path = Path(out_dir) / f"{job.id}.wav"
    base: dict[str, Any] = {"job_id": job.id, "label": job.label, "speaker": job.speaker, "text": job.text}
    try:
        meta = job_meta(job)
        if resume and path.is_file():
            return SynthResult(path=path, duration_s=sf.info(str(path)).duration, meta=meta, **base)
        audio = render(job)
        write_wav(path, audio)
        return SynthResult(path=path, duration_s=audio.size / SAMPLE_RATE, meta=meta, **base)
    except Exception as exc:  # one bad clip must not end a run of thousands: report it and go on
        if not isinstance(exc, WakesmithError):
            log.exception("synthesis job %s failed unexpectedly", job.id)
        return SynthResult(path=None, duration_s=0.0, error=f"{type(exc).__name__}: {exc}", **base)


def _run_chunk(jobs: Sequence[SynthJob], out_dir: Path, resume: bool) -> list[SynthResult]:
    return [run_job(job, out_dir, resume) for job in jobs]


def run(
    jobs: Sequence[SynthJob],
    out_dir: Path,
    *,
    workers: int = 0,
    on_progress: ProgressFn | None = None,
    resume: bool = True,
) -> list[SynthResult]:
    """Synthesize ``jobs`` into ``out_dir`` (``<job id>.wav``) with ``workers`` processes (0: one per core).

    Returns one result per job, in job order; failed jobs have ``error`` set and no ``path``. With more
    than one worker, a script that calls this needs the usual ``if __name__ == "__main__":`` guard: each
    worker imports the caller's main module, as with multiprocessing's ``spawn``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    total, done = len(jobs), 0
    n_workers = workers if workers > 0 else os.cpu_count() or 1
    start = time.perf_counter()
    results: dict[str, SynthResult] = {}
    if n_workers == 1 or total <= 1:
        for job in jobs:
            results[job.id] = run_job(job, out_dir, resume)
            done += 1
            if on_progress:
                on_progress(done, total)
    else:
        size = max(1, min(MAX_CHUNK, math.ceil(total / (n_workers * CHUNKS_PER_WORKER))))
        chunks = [jobs[i : i + size] for i in range(0, total, size)]
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=_pool_context()) as pool:
            futures = [pool.submit(_run_chunk, chunk, out_dir, resume) for chunk in chunks]
            for fut in as_completed(futures):
                chunk_results = fut.result()
                results.update((res.job_id, res) for res in chunk_results)
                done += len(chunk_results)
                if on_progress:
                    on_progress(done, total)
    elapsed = time.perf_counter() - start
    failed = [r for r in results.values() if not r.ok]
    log.info("synthesized %d clips in %.1f s (%.1f clips/s, %d workers), %d failed",
             total - len(failed), elapsed, total / max(elapsed, 1e-9), n_workers, len(failed))  # fmt: skip
    for r in failed[:5]:
        log.warning("synthesis job %s failed: %s", r.job_id, r.error)
    return [results[job.id] for job in jobs]


def licences(results: Sequence[SynthResult]) -> list[dict[str, str]]:
    """One licence-manifest entry per voice (and generator) the successful results were made with."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for r in results:
        if not r.ok:
            continue
        engine = r.meta.get("engine", "")
        if engine == ESPEAK:
            entry = espeak.voice_licence(r.meta["voice"], r.meta["variant"])
        elif engine == PICO:
            entry = pico.voice_licence(r.meta["voice"])
        elif engine == KOKORO:
            entry = kokoro.voice_licence(r.meta["voice"])
        elif engine == PIPER:
            entry = {"engine": PIPER, "voice": r.meta["voice"], "licence": r.meta["licence"]}
        else:
            entry = {
                "engine": "wakesmith",
                "voice": str(r.meta.get("background", "")),
                "licence": r.meta["licence"],
            }
        seen.setdefault((entry["engine"], entry["voice"]), entry)
    return [seen[k] for k in sorted(seen)]
