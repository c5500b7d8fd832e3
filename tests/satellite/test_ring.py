"""The satellite's ring buffer cuts exactly the evaluation's trigger buffer, for any block size."""

from __future__ import annotations

import numpy as np
import pytest

from wakesmith.config import SAMPLE_RATE
from wakesmith.runtime.cascade import POST_ROLL_S, PRE_ROLL_S, trigger_buffer
from wakesmith.satellite.ring import RingBuffer


@pytest.mark.parametrize("block", [1, 160, 1600, 7919])
def test_cut_equals_trigger_buffer_on_the_whole_stream(block: int) -> None:
    audio = np.random.default_rng(block).uniform(-1, 1, 12 * SAMPLE_RATE).astype(np.float32)
    post = round(POST_ROLL_S * SAMPLE_RATE)
    ats = [100, SAMPLE_RATE, 3 * SAMPLE_RATE + 17, 7 * SAMPLE_RATE, len(audio) - post, len(audio) - 5]
    ring = RingBuffer.for_rolls(PRE_ROLL_S, POST_ROLL_S, block)
    cut: dict[int, np.ndarray] = {}
    for start in range(0, len(audio), block):
        ring.write(audio[start : start + block])
        for at in ats:
            if at not in cut and at + post <= ring.total:
                cut[at] = ring.cut(at, PRE_ROLL_S, POST_ROLL_S)
    for at in ats:  # the stream ended inside the last trigger's post-roll: a shorter buffer
        if at not in cut:
            cut[at] = ring.cut(at, PRE_ROLL_S, POST_ROLL_S)
    for at in ats:
        np.testing.assert_array_equal(cut[at], trigger_buffer(audio, at))
    assert ring.capacity == round((PRE_ROLL_S + POST_ROLL_S) * SAMPLE_RATE) + block  # bounded memory


def test_a_trigger_whose_pre_roll_was_overwritten_is_refused() -> None:
    ring = RingBuffer(SAMPLE_RATE)
    ring.write(np.zeros(5 * SAMPLE_RATE, np.float32))
    with pytest.raises(ValueError, match="overwritten"):
        ring.cut(SAMPLE_RATE, PRE_ROLL_S, POST_ROLL_S)
