"""Measure the tensor arena a TFLite model needs, in the TFLite-Micro interpreter itself.

The arena is found by bisection: the smallest size (to :data:`ARENA_RESOLUTION` bytes) at which the
``tflite-micro`` Python interpreter allocates the model and runs two inferences. Every trial runs in a
child process: with some too-small arenas the interpreter dereferences a null pointer instead of
reporting the failure, which would kill the caller. That interpreter also places the resource
variables (the streaming state) in the arena, which ESPHome keeps in a separate one, so the figure is
an upper bound for the reference kernels.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from wakesmith.errors import ExportError, ToolMissingError

log = logging.getLogger(__name__)

ARENA_RESOLUTION = 16
"""Bisection stops when the bracket is this narrow (TFLM aligns allocations to 16 bytes)."""
MIN_ARENA = 256
MAX_ARENA = 4 * 1024 * 1024
START_ARENA = 64 * 1024
START_ARENA_PER_MODEL_BYTE = 4
"""The first upper bracket: arenas of streaming sentries are a fraction of the model size."""
ESP_NN_HEADROOM = 1.15
"""Factor from the measured arena to the manifest's ``tensor_arena_size``. ESPHome builds with ESP-NN
optimized kernels, which request scratch buffers the reference kernels measured here do not; the
stock models ship about 12% above this measurement (hey_jarvis: 20,324 measured, 22,860 shipped)."""
INVOCATIONS = 2
"""Inferences run per trial: the second one exercises the state written by the first."""


def _runtime() -> Any:
    try:
        from tflite_micro import runtime
    except ImportError:
        raise ToolMissingError(
            "Measuring the tensor arena needs the tflite-micro interpreter: pip install 'wakesmith[edge]'."
        ) from None
    return runtime


_TRIAL = """
import sys
import numpy as np
from tflite_micro import runtime
try:
    it = runtime.Interpreter.from_bytes(open(sys.argv[1], "rb").read(), arena_size=int(sys.argv[2]))
    d = it.get_input_details(0)
    it.set_input(np.zeros(d["shape"], dtype=d["dtype"]), 0)
    for _ in range(int(sys.argv[3])):
        it.invoke()
except (RuntimeError, ValueError):
    sys.exit(1)
"""
"""One trial: allocate the model in ``arena`` bytes and run :data:`INVOCATIONS` inferences on zeros (the
single input is the features; state lives in variables). A script that imports only tflite-micro and
numpy: importing wakesmith would pull torch into every child."""


def _runs_isolated(path: Path, arena: int) -> bool:
    """Whether the model at ``path`` runs in ``arena`` bytes, tried in a child process (a crash counts
    as "does not run")."""
    args = [sys.executable, "-c", _TRIAL, str(path), str(arena), str(INVOCATIONS)]
    return subprocess.run(args, capture_output=True, check=False).returncode == 0


def measure_arena(data: bytes) -> int:
    """Smallest tensor arena (bytes, a multiple of 16) with which TFLite-Micro runs the model ``data``."""
    _runtime()  # fail here, with the install hint, if tflite-micro is missing
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.tflite"
        path.write_bytes(data)
        return _bisect(path)


def _bisect(path: Path) -> int:
    hi = max(START_ARENA, START_ARENA_PER_MODEL_BYTE * path.stat().st_size)
    while hi < MAX_ARENA and not _runs_isolated(path, hi):
        hi *= 2
    if hi >= MAX_ARENA and not _runs_isolated(path, MAX_ARENA):
        raise ExportError(
            f"TFLite-Micro cannot run this model even with a {MAX_ARENA // 1024} KiB arena: it uses an op "
            "or type the microcontroller interpreter lacks."
        )
    lo, hi = MIN_ARENA, min(hi, MAX_ARENA)
    while hi - lo > ARENA_RESOLUTION:
        mid = (lo + hi) // 2
        if _runs_isolated(path, mid):
            hi = mid
        else:
            lo = mid
    arena = -(-hi // ARENA_RESOLUTION) * ARENA_RESOLUTION
    log.info("TFLite-Micro runs the model in a %d-byte arena", arena)
    return arena


def manifest_arena(measured: int) -> int:
    """The ``tensor_arena_size`` to ship for a measured arena (see :data:`ESP_NN_HEADROOM`)."""
    return -(-round(measured * ESP_NN_HEADROOM) // ARENA_RESOLUTION) * ARENA_RESOLUTION
