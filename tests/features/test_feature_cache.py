"""FeatureCache: keyed by config hash + content key, atomic, self-healing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features import FeatureCache, config_hash


class Counter:
    def __init__(self, value: np.ndarray) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> np.ndarray:
        self.calls += 1
        return self.value


def test_miss_computes_and_stores_then_hit_reads(tmp_path: Path) -> None:
    cfg = FeatureConfig(name="logmel")
    cache = FeatureCache(tmp_path, cfg)
    feats = np.random.default_rng(0).standard_normal((98, 40)).astype(np.float32)
    compute = Counter(feats)
    first = cache.get("abc123", compute)
    second = FeatureCache(tmp_path, cfg).get("abc123", compute)
    assert compute.calls == 1
    np.testing.assert_array_equal(first, feats)
    np.testing.assert_array_equal(second, feats)
    assert second.dtype == np.float32
    (path,) = tmp_path.rglob("*.npy")
    assert path == cache.path("abc123")
    assert path.relative_to(tmp_path).parts[0] == config_hash(cfg)
    assert len(path.parent.name) == 2
    assert "abc123" in cache
    assert [p.name for p in path.parent.iterdir()] == ["abc123.npy"]  # no temporary files left


def test_config_hash_is_stable_and_sensitive() -> None:
    a = FeatureConfig(name="logmel")
    assert config_hash(a) == config_hash(FeatureConfig(name="logmel"))
    assert config_hash(a) != config_hash(FeatureConfig(name="logmel", n_mels=64))
    assert config_hash(a) != config_hash(FeatureConfig(name="logmel", cmvn=True))
    assert len(config_hash(a)) == 16


def test_another_config_does_not_see_the_entry(tmp_path: Path) -> None:
    FeatureCache(tmp_path, FeatureConfig(name="logmel")).get("k", lambda: np.ones(3))
    other = Counter(np.zeros(3))
    out = FeatureCache(tmp_path, FeatureConfig(name="mfcc")).get("k", other)
    assert other.calls == 1
    np.testing.assert_array_equal(out, np.zeros(3))


@pytest.mark.parametrize("garbage", [b"", b"not a numpy file", b"\x93NUMPY\x01\x00truncated"])
def test_corrupt_file_is_recomputed_and_rewritten(tmp_path: Path, garbage: bytes) -> None:
    cache = FeatureCache(tmp_path, FeatureConfig())
    cache.get("clip1", lambda: np.arange(4.0))
    cache.path("clip1").write_bytes(garbage)
    compute = Counter(np.arange(4.0))
    np.testing.assert_array_equal(cache.get("clip1", compute), np.arange(4.0))
    assert compute.calls == 1
    np.testing.assert_array_equal(np.load(cache.path("clip1")), np.arange(4.0))


def test_failed_compute_leaves_no_file(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path, FeatureConfig())

    def boom() -> np.ndarray:
        raise RuntimeError("decoder failed")

    with pytest.raises(RuntimeError):
        cache.get("x", boom)
    assert "x" not in cache
    assert not list(tmp_path.rglob("*.npy"))


@pytest.mark.parametrize("key", ["", "../escape", "a/b", ".hidden", "x" * 201])
def test_unsafe_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError, match="cache key"):
        FeatureCache(tmp_path, FeatureConfig()).get(key, lambda: np.zeros(1))
