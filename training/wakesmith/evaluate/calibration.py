"""The audio a file's cutoffs are calibrated on, as evaluation builds it, for exports that re-calibrate.

An INT8 export scores differently from the float model evaluation calibrated, so the ``esphome`` format
calibrates its cutoffs again on the file it wrote, on the same audio :func:`wakesmith.api.evaluate`
uses: the validation positives in context and the calibration stream (validation speakers). The audio
is built here and handed to the exporter as an argument; the exporter never opens the clip store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wakesmith.config import EvalConfig, Recipe
from wakesmith.data.store import ClipStore
from wakesmith.errors import DatasetError
from wakesmith.events import Emitter
from wakesmith.home import Home


@dataclass
class CalibrationAudio:
    """Audio to calibrate cutoffs on: positive clips (in context) and negative recordings."""

    positives: list[np.ndarray]
    negatives: list[Path]
    presets: dict[str, float] = field(default_factory=lambda: dict(EvalConfig().presets))
    """Preset name → false accepts per hour."""
    source: str = "validation split"


def calibration_audio(store: ClipStore, recipe: Recipe, home: Home, emitter: Emitter) -> CalibrationAudio:
    """Validation positives in context and the calibration stream, as :func:`api.evaluate` builds them."""
    from wakesmith.evaluate.sets import build_eval_sets

    sets = build_eval_sets(store, recipe, home, emitter)
    if sets.calibration is None:
        raise DatasetError("No calibration stream could be built from the validation split.")
    return CalibrationAudio(
        positives=sets.val_positives, negatives=[sets.calibration], presets=dict(recipe.eval.presets)
    )
