"""The cascade's one definition of a trigger: where the sentry fires, and the audio the Judge hears.

On the satellite the sentry scores every step; when its detector fires, the gate sends the Judge the
last ``pre_roll`` seconds of microphone audio before that step plus ``post_roll`` seconds after it.
The evaluation cuts exactly this buffer (:func:`trigger_buffer`) at exactly these samples
(:func:`trigger_samples`), so a cascade figure is what a satellite with the same models would do.
"""

from __future__ import annotations

import numpy as np

from wakesmith.config import SAMPLE_RATE, DetectorConfig
from wakesmith.runtime.detector import detect
from wakesmith.runtime.scorers import Scorer

PRE_ROLL_S = 2.0
"""Audio before the sentry's trigger that the gate keeps and sends (covers a 1.5 s judge window)."""
POST_ROLL_S = 0.25
"""Audio after the trigger the gate waits for before sending (the end of a slow phrase)."""


def trigger_samples(scores: np.ndarray, scorer: Scorer, cfg: DetectorConfig) -> list[int]:
    """Stream sample index at which each sentry detection fires (the end of the step that fired)."""
    step = scorer.step_seconds
    return [round((scorer.first_end_s + d.step * step) * SAMPLE_RATE) for d in detect(scores, cfg, step)]


def trigger_buffer(
    audio: np.ndarray, at: int, *, pre_roll_s: float = PRE_ROLL_S, post_roll_s: float = POST_ROLL_S
) -> np.ndarray:
    """The gate's buffer for a trigger at sample ``at``: ``pre_roll_s`` before it, ``post_roll_s`` after
    (shorter where the stream begins or ends, as on a satellite that just started)."""
    start = max(0, at - round(pre_roll_s * SAMPLE_RATE))
    return np.asarray(audio[start : at + round(post_roll_s * SAMPLE_RATE)], dtype=np.float32)
