"""Representative features: what INT8 quantization calibrates its ranges on, from the train split."""

from __future__ import annotations

import numpy as np

from wakesmith.config import SAMPLE_RATE, Recipe
from wakesmith.data.store import ClipStore
from wakesmith.errors import DatasetError
from wakesmith.features import create_frontend

REPRESENTATIVE_CLIPS = 160
"""Train clips (half positives where there are enough) whose features calibrate quantization."""
SEED = 0
GAP_SECONDS = 0.5
"""Silence between the clips of the representative stream."""


def representative_features(
    store: ClipStore, recipe: Recipe, limit: int = REPRESENTATIVE_CLIPS
) -> list[np.ndarray]:
    """Features of one stream made of up to ``limit`` train clips, positives first in the draw.

    The clips are joined into one recording (with short gaps) and run through one front end, as the
    device hears them: clips featurized alone start with an unadapted front end and never reach the
    model's peak on a phrase, so quantization would clip the output below the cutoff it needs.
    """
    ds = recipe.dataset_name
    positives = store.clips(ds, split="train", label="positive")
    others = [c for c in store.clips(ds, split="train") if c.label != "positive"]
    if not positives or not others:
        raise DatasetError(
            f"The dataset {ds!r} in {store.home.root} lacks train positives or negatives to calibrate "
            "quantization on; export from the data home the model was trained in."
        )
    rng = np.random.default_rng(SEED)
    half = limit // 2
    picked = [positives[i] for i in rng.permutation(len(positives))[:half]]
    picked += [others[i] for i in rng.permutation(len(others))[: limit - len(picked)]]
    gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE), dtype=np.float32)
    audio = np.concatenate(
        [part for i in rng.permutation(len(picked)) for part in (store.load_audio(picked[i]), gap)]
    )
    return [create_frontend(recipe.features)(audio)]
