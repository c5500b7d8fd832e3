"""``speech_embedding``: Google's pretrained speech embedding, as openWakeWord runs it — a frozen front end.

Google trained this network on far more real speech than any synthesis can give us (the TF Hub
``speech_embedding`` module, Apache-2.0); openWakeWord trains its wake-word heads on its output. The
``openwakeword`` package (0.5.1 on PyPI, Apache-2.0) ships it as two ONNX files that this front end runs
with onnxruntime, located through the package's installed file list (the package is never imported):

- ``melspectrogram.onnx``: int16-valued float audio ``[B, n]`` → ``[B, 1, 1 + (n - 640) // 160, 32]``
  mel frames (a 640-sample window, 10 ms hop; frame-local: a frame depends only on its own samples),
  then ``x / 10 + 2`` (openWakeWord's scaling, which the embedding was trained with);
- ``embedding_model.onnx``: 76 mel frames ``[B, 76, 32, 1]`` → ``[B, 1, 1, 96]``, taken every 8 mel frames.

So one feature frame is a 96-d embedding of 12,640 samples (790 ms), every 1,280 samples (80 ms): a
1.5 s judge window holds 9 of them. Frames are frame-local, so streaming (:class:`.FramedStream`) equals
batch, and an embedding is a function of its 12,640 samples alone:
:meth:`SpeechEmbeddingFrontend.window_features` computes each distinct embedding of overlapping windows
once, and remembers the most recent ones by the hash of their samples, so a judge sliding over a
stream (one call per window, each sharing 8 of its 9 embeddings with the last) computes one per hop.

``pip install -e ".[embedding]"`` installs the package; the front end says so when it is missing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features.base import FRONTENDS, Features, FramedStream, Frontend, as_pcm16

PACKAGE = "openwakeword"
PACKAGE_VERSION = "0.5.1"
MEL_FILE = "melspectrogram.onnx"
EMBEDDING_FILE = "embedding_model.onnx"
LICENCE: dict[str, str] = {
    "component": "speech_embedding front end",
    "source": f"{PACKAGE}=={PACKAGE_VERSION} ({MEL_FILE}, {EMBEDDING_FILE})",
    "origin": "Google speech_embedding (TF Hub), converted to ONNX by openWakeWord",
    "licence": "Apache-2.0",
}
"""The licence-manifest entry of every model trained on this front end."""

MEL_WINDOW = 640
MEL_HOP = 160
MEL_BANDS = 32
EMBED_MEL_FRAMES = 76
EMBED_MEL_STEP = 8
EMBED_DIM = 96
WINDOW_SAMPLES = MEL_WINDOW + (EMBED_MEL_FRAMES - 1) * MEL_HOP  # 12,640 samples = 790 ms
HOP_SAMPLES = EMBED_MEL_STEP * MEL_HOP  # 1,280 samples = 80 ms
WINDOW_MS = WINDOW_SAMPLES / 16.0
HOP_MS = HOP_SAMPLES / 16.0
EMBED_BATCH = 512
"""Embedding windows per onnxruntime call (bounded memory on hour-long streams)."""
CACHE_ENTRIES = 4096
"""Embeddings a front end remembers (1.5 MiB): more than the windows of any one scorer call."""


def model_files() -> tuple[Path, Path]:
    """The installed ``melspectrogram.onnx`` and ``embedding_model.onnx``, or a ConfigError saying how to
    install them."""
    try:
        files = importlib.metadata.files(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    found = {f.name: Path(str(f.locate())) for f in files if f.name in (MEL_FILE, EMBEDDING_FILE)}
    missing = [name for name in (MEL_FILE, EMBEDDING_FILE) if name not in found or not found[name].is_file()]
    if missing:
        raise ConfigError(
            f"features.name=speech_embedding runs {', '.join(missing)} from the {PACKAGE} package, which "
            f'is not installed: pip install -e ".[embedding]" (or pip install {PACKAGE}=={PACKAGE_VERSION}).'
        )
    return found[MEL_FILE], found[EMBEDDING_FILE]


_SESSIONS: dict[int, tuple[Any, Any]] = {}
"""onnxruntime sessions per process id: DataLoader workers fork, and a session is not fork-safe."""


def _sessions() -> tuple[Any, Any]:
    pid = os.getpid()
    if pid not in _SESSIONS:
        import onnxruntime as ort

        mel_path, embedding_path = model_files()
        options = ort.SessionOptions()
        # One thread per process: training runs one front end per DataLoader worker.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        _SESSIONS[pid] = (
            ort.InferenceSession(str(mel_path), options, providers=providers),
            ort.InferenceSession(str(embedding_path), options, providers=providers),
        )
    return _SESSIONS[pid]


def mel_frames(audio: np.ndarray) -> np.ndarray:
    """openWakeWord's scaled mel frames ``[1 + (n - 640) // 160, 32]`` of mono audio (float or int16)."""
    pcm = as_pcm16(audio)
    if len(pcm) < MEL_WINDOW:
        return np.zeros((0, MEL_BANDS), dtype=np.float32)
    mel, _ = _sessions()
    out = mel.run(None, {"input": pcm.astype(np.float32)[None, :]})[0]
    return (out.reshape(-1, MEL_BANDS) / 10.0 + 2.0).astype(np.float32)


def embed(mel: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Embeddings ``[len(positions), 96]`` of the 76-frame mel windows starting at ``positions``."""
    _, embedding = _sessions()
    out = np.zeros((len(positions), EMBED_DIM), dtype=np.float32)
    offsets = np.arange(EMBED_MEL_FRAMES)
    for i in range(0, len(positions), EMBED_BATCH):
        chunk = positions[i : i + EMBED_BATCH]
        windows = mel[chunk[:, None] + offsets[None, :]][..., None]
        out[i : i + len(chunk)] = embedding.run(None, {"input_1": windows})[0].reshape(len(chunk), EMBED_DIM)
    return out


@FRONTENDS.register("speech_embedding")
class SpeechEmbeddingFrontend(Frontend):
    """96-d speech embeddings every 80 ms, each of the last 790 ms (frozen; no settings to tune)."""

    licences = (LICENCE,)

    def __init__(self, cfg: FeatureConfig) -> None:
        if (cfg.window_ms, cfg.hop_ms, cfg.n_mels) != (WINDOW_MS, HOP_MS, MEL_BANDS):
            raise ConfigError(
                f"The speech_embedding front end is fixed at window_ms={WINDOW_MS}, hop_ms={HOP_MS}, "
                f"n_mels={MEL_BANDS} (what the pretrained network takes); got window_ms={cfg.window_ms}, "
                f"hop_ms={cfg.hop_ms}, n_mels={cfg.n_mels}. Set exactly those values in features."
            )
        if cfg.cmvn or cfg.agc_dbfs is not None:
            raise ConfigError(
                "features.cmvn and features.agc_dbfs apply to logmel/mfcc only; the speech embedding runs "
                "as it was trained. Remove them, or use features.name=logmel."
            )
        model_files()  # a missing package fails here, with the command to install it
        self.config = cfg
        self.dim = EMBED_DIM
        self.window_samples = WINDOW_SAMPLES
        self.hop_samples = HOP_SAMPLES
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the Judge verifies buffers from several threads on one scorer

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config}  # no cache, no lock: a copy starts empty

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"])  # type: ignore[misc]

    def __call__(self, audio: np.ndarray) -> Features:
        frames = self.num_frames(len(audio))
        if frames == 0:
            return np.zeros((0, EMBED_DIM), dtype=np.float32)
        return embed(mel_frames(audio), np.arange(frames) * EMBED_MEL_STEP)

    def stream(self) -> FramedStream:
        return FramedStream(self, dim=EMBED_DIM, window=WINDOW_SAMPLES, hop=HOP_SAMPLES)

    def window_features(self, audio: np.ndarray, starts: Sequence[int], length: int) -> np.ndarray:
        """Windows on a common mel grid (starts a multiple of 10 ms apart): each distinct embedding once,
        recently computed ones from the cache; equal to computing every window on its own."""
        n = self.num_frames(length)
        if not len(starts) or n == 0:
            return super().window_features(audio, starts, length)
        first = int(min(starts))
        offsets = np.asarray(starts, dtype=np.int64) - first
        if np.any(offsets % MEL_HOP):
            return super().window_features(audio, starts, length)
        pcm = as_pcm16(np.asarray(audio)[first : int(max(starts)) + length])
        # Window w's frame k is the 76-frame mel window at (offset_w / 160) + 8k.
        positions = (offsets // MEL_HOP)[:, None] + EMBED_MEL_STEP * np.arange(n)[None, :]
        unique, inverse = np.unique(positions, return_inverse=True)
        return self._embeddings(pcm, unique)[inverse.reshape(positions.shape)]

    def _embeddings(self, pcm: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Embeddings of the windows at mel frames ``positions`` (sorted) of ``pcm``, cached by content."""
        keys = [
            hashlib.blake2b(
                pcm[p * MEL_HOP : p * MEL_HOP + WINDOW_SAMPLES].tobytes(), digest_size=16
            ).digest()
            for p in positions
        ]
        out = np.zeros((len(positions), EMBED_DIM), dtype=np.float32)
        with self._lock:
            missing = []
            for i, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(key)
                    out[i] = hit
        if missing:
            # Only the span the missing windows cover goes through the mel network (frames are local).
            lo, hi = int(positions[missing[0]]), int(positions[missing[-1]])
            mel = mel_frames(pcm[lo * MEL_HOP : hi * MEL_HOP + WINDOW_SAMPLES])
            computed = embed(mel, positions[missing] - lo)
            out[missing] = computed
            with self._lock:
                for i, row in zip(missing, computed, strict=True):
                    self._cache[keys[i]] = row
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return out
