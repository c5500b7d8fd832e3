"""Will the sentry fit the microcontroller? Flash and arena of its ESPHome file, before training.

The size of the INT8 flatbuffer and its tensor arena depend on the architecture, not on the weight
values, so converting the untrained network gives the exact figures the trained one will have (to a
few bytes of metadata). That needs the ``edge`` extra (TensorFlow, tflite-micro); without it the
check is skipped with a note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from wakesmith.config import SizeTargetConfig
from wakesmith.errors import ToolMissingError
from wakesmith.models.base import WakeModel

log = logging.getLogger(__name__)

KIB = 1024
PROBE_CHUNKS = 64
"""Random feature chunks used to quantize the probe conversion (ranges do not change sizes)."""


@dataclass(frozen=True)
class Footprint:
    flash_bytes: int
    arena_bytes: int
    """The ``tensor_arena_size`` the ESPHome manifest would ship."""


def esphome_footprint(model: WakeModel) -> Footprint:
    """Flash and shipped arena of ``model`` as an ESPHome file (converts a copy; needs the edge extra)."""
    import copy

    from wakesmith.quantize.arena import manifest_arena, measure_arena
    from wakesmith.quantize.tflite import FEATURE_MAX, convert_streaming_int8

    probe = copy.deepcopy(model).cpu().float().eval()
    rng = np.random.default_rng(0)
    chunks = [
        rng.uniform(0, FEATURE_MAX, (probe.stride, probe.input_dim)).astype(np.float32)
        for _ in range(PROBE_CHUNKS)
    ]
    data = convert_streaming_int8(probe, chunks)
    return Footprint(len(data), manifest_arena(measure_arena(data)))


def size_target_warning(model: WakeModel, target: SizeTargetConfig) -> str | None:
    """A message when ``model`` will not fit ``target`` (or cannot be checked); None when it fits."""
    if target.max_flash_kb is None and target.max_arena_kb is None:
        return None
    try:
        fp = esphome_footprint(model)
    except (ToolMissingError, ImportError) as exc:
        return f"size_target not checked: {exc}"
    over = []
    if target.max_flash_kb is not None and fp.flash_bytes > target.max_flash_kb * KIB:
        over.append(f"flash {fp.flash_bytes / KIB:.1f} KiB > max_flash_kb {target.max_flash_kb:g}")
    if target.max_arena_kb is not None and fp.arena_bytes > target.max_arena_kb * KIB:
        over.append(f"tensor arena {fp.arena_bytes / KIB:.1f} KiB > max_arena_kb {target.max_arena_kb:g}")
    if not over:
        log.info("size target met: flash %d B, arena %d B", fp.flash_bytes, fp.arena_bytes)
        return None
    return (
        f"The model will not fit the size target ({'; '.join(over)}); the esphome export will refuse it. "
        "Reduce model.params (channels, blocks) or raise the target."
    )
