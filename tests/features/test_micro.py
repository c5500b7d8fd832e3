"""The micro front end is pymicro-features (ESPHome's front end) and nothing else."""

from __future__ import annotations

import numpy as np
import pytest
from pymicro_wakeword.microwakeword import MicroWakeWordFeatures

from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features import as_pcm16, create_frontend
from wakesmith.features.micro import MICRO_FEATURE_SCALE


def test_equals_pymicro_wakeword_feature_generator(make_clip) -> None:
    """The features pymicro-wakeword feeds to ESPHome models, bit for bit."""
    audio = make_clip(1.5, seed=7)
    pcm = as_pcm16(audio)
    ref = np.concatenate([f.reshape(1, -1) for f in MicroWakeWordFeatures().process_streaming(pcm.tobytes())])
    ours = create_frontend(FeatureConfig(name="micro"))(audio)
    assert ours.shape == ref.shape == (148, 40)
    np.testing.assert_array_equal(ours, ref.astype(np.float32))


def test_values_are_the_scaled_uint16_output_in_the_device_range(make_clip) -> None:
    feats = create_frontend(FeatureConfig(name="micro"))(make_clip(1.0))
    raw = feats.astype(np.float64) / MICRO_FEATURE_SCALE
    np.testing.assert_array_equal(raw, np.round(raw))  # integer steps of 1/25.6
    assert feats.min() >= 0.0
    assert 10.0 < feats.max() < 27.0


def test_front_end_is_stateful_so_batch_is_one_fresh_stream(make_clip) -> None:
    fe = create_frontend(FeatureConfig(name="micro"))
    audio = make_clip(1.0, seed=2)
    whole = fe(audio)
    # The second half on its own (fresh noise estimate) differs from the same frames inside the clip.
    half = fe(audio[8000:])
    assert not np.array_equal(whole[50 : 50 + len(half)], half)
    # ... and a batch call never carries state from the previous one.
    np.testing.assert_array_equal(fe(audio), whole)


@pytest.mark.parametrize("override", [{"window_ms": 25.0}, {"hop_ms": 20.0}, {"n_mels": 64}, {"cmvn": True}])
def test_settings_the_device_cannot_run_are_refused(override: dict) -> None:
    with pytest.raises(ConfigError, match="logmel"):
        create_frontend(FeatureConfig(name="micro", **override))


def test_float_to_pcm_round_trips_int16_exactly() -> None:
    pcm = np.arange(-32768, 32768, 7, dtype=np.int32).astype(np.int16)
    np.testing.assert_array_equal(as_pcm16(pcm.astype(np.float32) / 32767), pcm)
    np.testing.assert_array_equal(as_pcm16(np.array([1.5, -1.5], np.float32)), [32767, -32768])
