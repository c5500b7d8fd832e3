"""A take is cut into its utterances on the pauses a real VAD (Silero, on onnxruntime) hears."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pydantic import ValidationError

from wakesmith.config import SAMPLE_RATE, TakeSplit
from wakesmith.errors import AudioError
from wakesmith.runtime.takes import speech_spans, split_take

pytest.importorskip("silero_vad")
Take = tuple[np.ndarray, list[tuple[int, int]]]
TOLERANCE = int(0.3 * SAMPLE_RATE)


def test_each_utterance_of_a_take_is_found_within_the_pad(spoken_take: Take) -> None:
    take, truth = spoken_take
    spans = speech_spans(take)
    assert len(spans) == len(truth), (spans, truth)
    for (a, b), (ta, tb) in zip(spans, truth, strict=True):
        assert a <= ta + TOLERANCE and b >= tb - TOLERANCE, ((a, b), (ta, tb))  # nothing of it cut off
        assert a >= ta - TOLERANCE and b <= tb + TOLERANCE, ((a, b), (ta, tb))  # little else
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(spans))  # never overlapping


def test_speech_from_the_first_sample_is_heard(spoken_take: Take) -> None:
    take, truth = spoken_take
    starts_at_once = take[truth[0][0] :]
    assert speech_spans(starts_at_once)[0][0] == 0


def test_a_long_minimum_pause_keeps_the_take_whole(spoken_take: Take) -> None:
    take, truth = spoken_take
    (only,) = speech_spans(take, TakeSplit(min_pause_s=2.0))
    assert only[0] <= truth[0][0] and only[1] >= truth[-1][1] - TOLERANCE


def test_silence_and_a_short_click_have_no_utterance() -> None:
    rng = np.random.default_rng(0)
    quiet = (1e-3 * rng.standard_normal(3 * SAMPLE_RATE)).astype(np.float32)
    assert speech_spans(quiet) == []
    click = quiet.copy()
    click[SAMPLE_RATE : SAMPLE_RATE + 80] = 0.8
    assert speech_spans(click) == []


def test_the_parts_are_the_audio_of_the_spans(spoken_take: Take) -> None:
    take, _ = spoken_take
    parts = split_take(take)
    for part, (a, b) in zip(parts, speech_spans(take), strict=True):
        assert np.array_equal(part, take[a:b])


def test_bad_settings_and_input_are_refused() -> None:
    with pytest.raises(ValidationError, match="'silero' or 'pymicro'"):
        TakeSplit(vad="webrtc")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'silero' or 'pymicro'"):
        TakeSplit(vad="none")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="extra"):
        TakeSplit.model_validate({"min_pause": 0.3})
    with pytest.raises(AudioError, match="mono"):
        speech_spans(np.zeros((2, 16000), np.float32))
