"""An on-disk cache of feature arrays, keyed by the feature config and a content key.

Layout: ``root/<config hash>/<xx>/<key>.npy``, where ``xx`` is the first two hex digits of the key's
SHA-256 (so any key shape spreads evenly over 256 folders). Changing any feature setting changes the
config hash, so stale features are never read. Writes are atomic; a file that cannot be read back
(a crash mid-copy, a truncated disk) is recomputed and rewritten, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.fsio import atomic_path

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
"""Bumped when the feature code changes its output for the same config, to invalidate old caches."""
CONFIG_HASH_CHARS = 16
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")


def config_hash(cfg: FeatureConfig) -> str:
    """A short stable hash of the feature config's JSON (and the cache format)."""
    blob = json.dumps({"format": CACHE_FORMAT, "features": cfg.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:CONFIG_HASH_CHARS]


class FeatureCache:
    """``get(key, compute)`` returns the cached features for ``key`` or computes and stores them."""

    def __init__(self, root: Path, cfg: FeatureConfig) -> None:
        self.config = cfg
        self.root = Path(root) / config_hash(cfg)

    def path(self, key: str) -> Path:
        """Where the features of ``key`` live (the key must be a plain file-name-safe string)."""
        if not _SAFE_KEY.match(key):
            raise ConfigError(
                f"Feature cache key {key!r} must be 1–200 characters of letters, digits, '_', '-' or '.', "
                "not starting with '.' or '-'; use a content hash or a clip id."
            )
        shard = hashlib.sha256(key.encode()).hexdigest()[:2]
        return self.root / shard / f"{key}.npy"

    def get(self, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Cached features of ``key``; on a miss (or an unreadable file) ``compute()`` and store."""
        target = self.path(key)
        if target.is_file():
            try:
                return np.load(target, allow_pickle=False)
            except (OSError, ValueError, EOFError) as exc:
                log.warning("Recomputing unreadable cached features %s (%s)", target, exc)
        features = np.asarray(compute())
        with atomic_path(target) as tmp, open(tmp, "wb") as fh:
            # A file handle, not a path: np.save would append '.npy' to the temporary name.
            np.save(fh, features, allow_pickle=False)
        return features

    def __contains__(self, key: str) -> bool:
        return self.path(key).is_file()
