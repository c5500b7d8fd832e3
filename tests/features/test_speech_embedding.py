"""``speech_embedding`` is openWakeWord's feature pipeline: the same numbers, framed by our contract."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features import create_frontend, embedding
from wakesmith.features.embedding import HOP_SAMPLES, WINDOW_SAMPLES, SpeechEmbeddingFrontend

CONFIG = FeatureConfig(name="speech_embedding", window_ms=790.0, hop_ms=80.0, n_mels=32)


@pytest.fixture(scope="module")
def frontend() -> SpeechEmbeddingFrontend:
    fe = create_frontend(CONFIG)
    assert isinstance(fe, SpeechEmbeddingFrontend)
    return fe


def test_frames_follow_the_front_end_contract(frontend: SpeechEmbeddingFrontend, make_clip) -> None:
    assert (frontend.window_samples, frontend.hop_samples, frontend.dim) == (12_640, 1_280, 96)
    for n in (0, 640, WINDOW_SAMPLES - 1, WINDOW_SAMPLES, WINDOW_SAMPLES + HOP_SAMPLES - 1, 24_000, 40_000):
        audio = make_clip(n / 16_000) if n else np.zeros(0, np.float32)
        feats = frontend(audio)
        expected = 0 if n < WINDOW_SAMPLES else 1 + (n - WINDOW_SAMPLES) // HOP_SAMPLES
        assert frontend.num_frames(n) == expected
        assert feats.shape == (expected, 96) and feats.dtype == np.float32
        assert np.isfinite(feats).all()


def test_features_are_openwakewords_embeddings(frontend: SpeechEmbeddingFrontend, make_clip) -> None:
    """openWakeWord's own AudioFeatures (its ONNX path) on the same int16 audio gives the same numbers."""
    from openwakeword.utils import AudioFeatures

    mel_path, embedding_path = embedding.model_files()
    reference = AudioFeatures(
        melspec_model_path=str(mel_path), embedding_model_path=str(embedding_path), inference_framework="onnx"
    )
    audio = np.concatenate([make_clip(1.0, seed=s) for s in range(3)])
    pcm = np.round(audio * 32767).astype(np.int16)
    theirs = reference._get_embeddings(pcm)
    ours = frontend(pcm)
    assert ours.shape == theirs.shape == (frontend.num_frames(len(pcm)), 96)
    np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=0)
    assert ours.std() > 0.1  # real embeddings, not a constant


@pytest.mark.parametrize("chunk", [1, 333, 1280, 5000, "random"])
def test_streaming_equals_batch(frontend: SpeechEmbeddingFrontend, make_clip, chunk: int | str) -> None:
    audio = make_clip(2.5, seed=4)
    rng, stream, parts, start = np.random.default_rng(2), frontend.stream(), [], 0
    while start < len(audio):
        step = int(rng.integers(1, 4000)) if chunk == "random" else int(chunk)
        parts.append(stream.push(audio[start : start + step]))
        start += step
    np.testing.assert_array_equal(np.concatenate(parts), frontend(audio))


@pytest.mark.parametrize("hop", [1280, 1600, 1601])
def test_window_features_equal_each_window_on_its_own(
    frontend: SpeechEmbeddingFrontend, make_clip, hop: int
) -> None:
    """On the embedding grid (80 ms), on the mel grid (100 ms) and off both (a fallback, window by window)."""
    audio = make_clip(4.0, seed=5)
    length = 24_000
    starts = list(range(7, len(audio) - length, hop))
    shared = frontend.window_features(audio, starts, length)
    alone = np.stack([frontend(audio[s : s + length]) for s in starts])
    np.testing.assert_allclose(shared, alone, atol=1e-5, rtol=0)


def test_settings_other_than_the_networks_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"window_ms=790\.0, hop_ms=80\.0, n_mels=32"):
        create_frontend(FeatureConfig(name="speech_embedding"))
    with pytest.raises(ConfigError, match="agc_dbfs apply to logmel/mfcc only"):
        create_frontend(CONFIG.model_copy(update={"agc_dbfs": -25.0}))


def test_a_missing_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(embedding.importlib.metadata, "files", not_installed)
    with pytest.raises(ConfigError, match=r'pip install -e "\.\[embedding\]"'):
        create_frontend(CONFIG)


def test_the_front_end_carries_its_licence(frontend: SpeechEmbeddingFrontend) -> None:
    assert frontend.licences == (embedding.LICENCE,)
    assert embedding.LICENCE["licence"] == "Apache-2.0"
    assert create_frontend(FeatureConfig(name="logmel")).licences == ()


def test_a_window_sliding_over_a_stream_computes_each_embedding_once(
    make_clip, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One call per window, as a judge's scorer makes while audio streams in: each 80 ms hop computes
    the one new embedding; the rest come from the cache, and equal computing each window afresh."""
    fe = create_frontend(CONFIG)
    computed: list[int] = []
    real_embed = embedding.embed

    def counting(mel: np.ndarray, positions: np.ndarray) -> np.ndarray:
        computed.append(len(positions))
        return real_embed(mel, positions)

    audio = make_clip(4.0, seed=6)
    length = 24_000
    starts = list(range(0, len(audio) - length + 1, HOP_SAMPLES))
    fresh = np.stack([fe(audio[s : s + length]) for s in starts])  # __call__ is not cached
    monkeypatch.setattr(embedding, "embed", counting)
    slid = np.concatenate([fe.window_features(audio, [s], length) for s in starts])
    np.testing.assert_allclose(slid, fresh, atol=1e-5, rtol=0)
    assert sum(computed) == len(starts) + fe.num_frames(length) - 1  # the distinct embeddings
    again = fe.window_features(audio, starts, length)
    assert sum(computed) == len(starts) + fe.num_frames(length) - 1  # all remembered
    np.testing.assert_array_equal(again, slid)


def test_threads_sharing_one_front_end_get_their_own_windows(make_clip) -> None:
    """The Judge verifies trigger buffers from several threads on one scorer (one front end)."""
    from concurrent.futures import ThreadPoolExecutor

    fe = create_frontend(CONFIG)
    clips = [make_clip(2.0, seed=10 + i) for i in range(6)]
    expected = [np.stack([fe(c[s : s + 16_000]) for s in (0, 1280, 2560)]) for c in clips]
    fe = create_frontend(CONFIG)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda c: fe.window_features(c, [0, 1280, 2560], 16_000), clips * 3))
    for i, g in enumerate(got):
        np.testing.assert_allclose(g, expected[i % len(clips)], atol=1e-5, rtol=0)


def test_a_pickled_front_end_starts_with_an_empty_cache(frontend: SpeechEmbeddingFrontend, make_clip) -> None:
    import pickle

    audio = make_clip(2.0, seed=8)
    frontend.window_features(audio, [0], 16_000)
    copy = pickle.loads(pickle.dumps(frontend))
    assert copy._cache == {} and copy.config == frontend.config
    np.testing.assert_array_equal(
        copy.window_features(audio, [0], 16_000), frontend.window_features(audio, [0], 16_000)
    )
