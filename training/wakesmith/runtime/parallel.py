"""Scoring a long recording on every core: the file cut into spans, each span streamed by a fresh copy
of the scorer in its own process, starting ``WARM_UP_S`` before the span, and the scores joined.

A streaming sentry forgets: its receptive field is under 2 s and the micro front end's noise estimate
settles within seconds, so 30 s after a reset a fresh stream scores what the stream that has run
since the start scores (``tests/edge/test_parallel_scoring.py``: the same scores for the INT8
ESPHome file in pymicro-wakeword, and for the float ONNX within 1e-5). The detector then reads the
joined scores as one stream, so a detection that straddles a span boundary is counted once, as on a
device.

Only scorers that can be rebuilt in another process (``python -m wakesmith.runtime.parallel``) take
part: the INT8 file in pymicro-wakeword and an ONNX file's streaming scorer (:func:`replica_of`).
Anything else, and any recording shorter than two spans of ``MIN_SPAN_S``, is scored in the calling
process, block by block.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, WakesmithError
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.scorers import Scorer, StreamingScorer

BLOCK_SECONDS = 60.0
"""Recordings are read and pushed in blocks of this length (block size never changes scores)."""
WARM_UP_S = 30.0
"""Audio each span's fresh scorer hears before the span's first score (its scores are dropped)."""
MIN_SPAN_S = 600.0
"""Spans shorter than this are not worth a process: a 10 h stream on 2 cores is 2 spans of 5 h."""


@dataclass(frozen=True)
class Replica:
    """How to build a scorer afresh in another process: the file and what else its loader takes."""

    kind: Literal["pymicro", "onnx"]
    model: str
    wake_word: str = ""
    block_steps: int = 0

    def build(self) -> Scorer:
        if self.kind == "pymicro":
            from wakesmith.runtime.pymicro import MicroWakeWordScorer

            return MicroWakeWordScorer(self.model, self.wake_word)
        return StreamingScorer(OnnxBackend.load(self.model, threads=1), block_steps=self.block_steps)


def replica_of(scorer: Scorer) -> Replica | None:
    """How to rebuild ``scorer`` in another process, or None when it cannot be (a torch model, a
    custom front end)."""
    from wakesmith.runtime.pymicro import MicroWakeWordScorer

    if isinstance(scorer, MicroWakeWordScorer):
        return Replica("pymicro", str(scorer.tflite_path), wake_word=scorer.wake_word)
    if (
        isinstance(scorer, StreamingScorer)
        and isinstance(scorer.backend, OnnxBackend)
        and scorer.backend.path is not None
        and scorer.default_frontend
    ):
        return Replica("onnx", str(scorer.backend.path), block_steps=scorer.block_steps)
    return None


def _push_blocks(scorer: Scorer, path: Path, start: int = 0, stop: int | None = None) -> np.ndarray:
    scorer.reset()
    blocks = sf.blocks(
        str(path), blocksize=int(BLOCK_SECONDS * SAMPLE_RATE), start=start, stop=stop, dtype="float32"
    )
    parts = [scorer.push(block) for block in blocks]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def spans(frames: int, step: int, first_end: int, n: int, warm_up: int) -> list[tuple[int, int, int]]:
    """``(start, stop, keep_from)`` per span: read samples ``[start, stop)`` from a fresh stream and
    keep its scores from ``keep_from`` on. Span ``k`` gives the scores whose index lies in
    ``[b_k, b_{k+1})`` (``b_k`` step-aligned boundaries, index ``i`` ending at ``first_end + i * step``),
    so the joined scores are one per step of the whole recording, in order."""
    bounds = [round(k * frames / n / step) * step for k in range(n)] + [frames]
    out = []
    for k in range(n):
        start = max(0, bounds[k] - warm_up)
        stop = frames if k == n - 1 else bounds[k + 1] + first_end - step
        out.append((start, stop, (bounds[k] - start) // step))
    return out


def score_file(
    scorer: Scorer,
    path: Path | str,
    *,
    workers: int = 0,
    warm_up_s: float = WARM_UP_S,
    min_span_s: float = MIN_SPAN_S,
) -> np.ndarray:
    """Scores of a whole recording (16 kHz WAV) as one stream from a reset, on ``workers`` processes
    (0: one per core) when it is long enough and ``scorer`` can be rebuilt elsewhere."""
    path = Path(path)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(
            f"{path} is not a readable WAV ({exc}): rebuild the stream or pass another file."
        ) from None
    if info.samplerate != SAMPLE_RATE:
        raise AudioError(
            f"{path} is {info.samplerate} Hz; scorers take {SAMPLE_RATE} Hz audio: resample it "
            "(e.g. `sox in.wav -r 16000 out.wav`) or rebuild the stream."
        )
    frames = info.frames
    n = min(workers or os.cpu_count() or 1, int(frames / SAMPLE_RATE // min_span_s))
    replica = replica_of(scorer)
    if n < 2 or replica is None:
        return _push_blocks(scorer, path)
    step = round(scorer.step_seconds * SAMPLE_RATE)
    first_end = round(scorer.first_end_s * SAMPLE_RATE)
    warm_up = round(warm_up_s * SAMPLE_RATE / step) * step
    spec = json.dumps(asdict(replica))
    with tempfile.TemporaryDirectory(prefix="wakesmith-spans-") as tmp:
        outs = [Path(tmp) / f"span{k}.npy" for k in range(n)]
        # Worker processes started afresh (`python -m`), not forked: a fork of a process that holds
        # onnxruntime's or torch's thread pools can hang, and multiprocessing's spawn would re-run the
        # caller's script.
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", __name__, spec, str(path), str(a), str(b), str(keep), str(out)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for (a, b, keep), out in zip(spans(frames, step, first_end, n, warm_up), outs, strict=True)
        ]
        try:
            errors = [p.communicate()[1] for p in procs]
        finally:  # interrupted: no worker outlives the caller
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        failed = [(p.returncode, e) for p, e in zip(procs, errors, strict=True) if p.returncode]
        if failed:
            code, err = failed[0]
            tail = err.strip().splitlines()[-1:] or [f"exit code {code}"]
            raise WakesmithError(f"Scoring {path.name} in {n} processes failed: {tail[0]}")
        return np.concatenate([np.load(out) for out in outs])


def _main(argv: list[str]) -> None:
    spec, audio, start, stop, keep, out = argv
    replica = Replica(**json.loads(spec))
    np.save(out, _push_blocks(replica.build(), Path(audio), int(start), int(stop))[int(keep) :])


if __name__ == "__main__":
    _main(sys.argv[1:])
