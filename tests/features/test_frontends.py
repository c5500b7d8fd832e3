"""The contract every registered front end keeps: shapes, frame count, streaming == batch."""

from __future__ import annotations

import numpy as np
import pytest

from wakesmith.audio.pcm import float_to_int16, int16_to_float
from wakesmith.config import FeatureConfig
from wakesmith.errors import AudioError, ConfigError
from wakesmith.features import create_frontend, list_frontends

CHUNKINGS = [1, 7, 160, 333, 1000, "random"]
COMPUTED = ["logmel", "mfcc", "micro"]
"""Front ends that work on the default settings (speech_embedding and waveform have their own tests:
test_speech_embedding.py, tests/models/test_wav2vec2.py)."""


def test_registry_lists_the_front_ends() -> None:
    assert list_frontends() == ["logmel", "mfcc", "micro", "speech_embedding", "waveform"]


def test_unknown_front_end_is_a_config_error_with_a_suggestion() -> None:
    from wakesmith.features import FRONTENDS

    with pytest.raises(ConfigError, match="Did you mean 'logmel'"):
        FRONTENDS.get("logmell")


@pytest.mark.parametrize("name", COMPUTED)
def test_shapes_and_frame_count(name: str, make_clip) -> None:
    fe = create_frontend(FeatureConfig(name=name))
    assert (fe.window_samples, fe.hop_samples) == (480, 160)
    for n in (0, 100, 479, 480, 481, 639, 640, 16_000, 24_000):
        audio = make_clip(n / 16_000) if n else np.zeros(0, np.float32)
        feats = fe(audio)
        expected = 0 if n < 480 else 1 + (n - 480) // 160
        assert fe.num_frames(n) == expected
        assert feats.shape == (expected, fe.dim)
        assert feats.dtype == np.float32
        assert np.isfinite(feats).all()


def _chunks(n: int, size: int | str, rng: np.random.Generator) -> list[tuple[int, int]]:
    bounds, start = [], 0
    while start < n:
        step = int(rng.integers(1, 700)) if size == "random" else int(size)
        bounds.append((start, min(n, start + step)))
        start += step
    return bounds


@pytest.mark.parametrize("name", COMPUTED)
@pytest.mark.parametrize("size", CHUNKINGS)
def test_streaming_equals_batch_for_any_chunking(name: str, size: int | str, make_clip) -> None:
    fe = create_frontend(FeatureConfig(name=name))
    audio = make_clip(0.7, seed=3)
    batch = fe(audio)
    stream = fe.stream()
    parts = [stream.push(audio[a:b]) for a, b in _chunks(len(audio), size, np.random.default_rng(1))]
    assert all(p.dtype == np.float32 and p.shape[1] == fe.dim for p in parts)
    streamed = np.concatenate(parts)
    assert streamed.shape == batch.shape
    if name == "micro":
        np.testing.assert_array_equal(streamed, batch)
    else:
        np.testing.assert_allclose(streamed, batch, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", COMPUTED)
def test_reset_starts_over(name: str, make_clip) -> None:
    fe = create_frontend(FeatureConfig(name=name))
    audio = make_clip(0.5, seed=4)
    stream = fe.stream()
    stream.push(make_clip(0.3, seed=5)[:1234])
    stream.reset()
    np.testing.assert_array_equal(stream.push(audio), fe(audio))


@pytest.mark.parametrize("name", COMPUTED)
def test_int16_pcm_is_accepted_like_its_float_form(name: str, make_clip) -> None:
    fe = create_frontend(FeatureConfig(name=name))
    pcm = float_to_int16(make_clip(0.5))
    np.testing.assert_array_equal(fe(pcm), fe(int16_to_float(pcm)))


@pytest.mark.parametrize("name", COMPUTED)
def test_bad_audio_is_refused(name: str) -> None:
    fe = create_frontend(FeatureConfig(name=name))
    with pytest.raises(AudioError, match="mono"):
        fe(np.zeros((2, 16_000), np.float32))
    with pytest.raises(AudioError, match="NaN"):
        fe(np.full(16_000, np.nan, np.float32))
    with pytest.raises(AudioError, match="dtype"):
        fe(np.zeros(16_000, np.int32))


@pytest.mark.parametrize("name", COMPUTED)
def test_features_respond_to_the_signal(name: str, make_clip) -> None:
    """Speech and silence must give different features (guards against a front end that returns zeros)."""
    fe = create_frontend(FeatureConfig(name=name))
    speech = fe(make_clip(1.0))
    silence = fe(np.zeros(16_000, np.float32))
    assert np.abs(speech.mean(axis=0) - silence.mean(axis=0)).max() > 1.0
