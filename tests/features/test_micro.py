"""The micro front end is pymicro-features (ESPHome's front end) and nothing else."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from pymicro_features import MicroFrontend as CMicroFrontend
from pymicro_wakeword.microwakeword import MicroWakeWordFeatures

from wakesmith.audio.io import read_audio
from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features import create_frontend
from wakesmith.features.micro import MICRO_FEATURE_SCALE

STEP_BYTES = 320
"""One 10 ms step of 16-bit PCM: what pymicro-features consumes per call."""


def loud_pcm(seconds: float, seed: int) -> np.ndarray:
    """Device-style int16 samples built as integers (no float conversion of ours involved), with
    most samples above half scale: where a one-LSB disagreement between scales shows."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 16_000)
    t = np.arange(n) / 16_000
    tone = 30_000 * np.sin(2 * np.pi * (180 + 90 * np.sin(2 * np.pi * 1.7 * t)) * t)
    return np.clip(np.round(tone) + rng.integers(-600, 600, n), -32768, 32767).astype(np.int16)


def device_frames(pcm: np.ndarray) -> np.ndarray:
    """The features the device computes from these bytes: pymicro-features fed directly, 10 ms a call."""
    frontend, data, frames = CMicroFrontend(), pcm.astype("<i2").tobytes(), []
    for start in range(0, len(data) - STEP_BYTES + 1, STEP_BYTES):
        out = frontend.process_samples(data[start : start + STEP_BYTES])
        if out.features:
            frames.append(out.features)
    return np.asarray(frames, dtype=np.float32)


def test_a_stored_clip_gives_the_device_features_bit_for_bit(tmp_path) -> None:
    """int16 samples written to a WAV and read back the way the store reads clips (float) give exactly
    the frames pymicro-features computes from the same int16 bytes, and so does the int16 buffer."""
    pcm = loud_pcm(1.5, seed=7)
    assert np.mean(np.abs(pcm.astype(np.int32)) > 16384) > 0.3
    path = tmp_path / "clip.wav"
    sf.write(path, pcm, 16_000, subtype="PCM_16")  # libsndfile writes the file, not our converter
    ref = device_frames(pcm)
    frontend = create_frontend(FeatureConfig(name="micro"))
    assert ref.shape == (148, 40)
    np.testing.assert_array_equal(frontend(read_audio(path)), ref)
    np.testing.assert_array_equal(frontend(pcm), ref)


def test_equals_pymicro_wakeword_feature_generator() -> None:
    """The features pymicro-wakeword (the runtime the ESPHome export is proven in) feeds its models."""
    pcm = loud_pcm(1.0, seed=3)
    ref = np.concatenate([f.reshape(1, -1) for f in MicroWakeWordFeatures().process_streaming(pcm.tobytes())])
    np.testing.assert_array_equal(create_frontend(FeatureConfig(name="micro"))(pcm), ref.astype(np.float32))


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
