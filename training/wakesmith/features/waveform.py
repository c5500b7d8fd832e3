"""``waveform``: the audio itself, cut into frames — for models that hear raw samples (``wav2vec2``).

Frame ``t`` is samples ``[t * hop, (t + 1) * hop)`` as float32 (``features.window_ms`` must equal
``features.hop_ms``: frames tile the audio), so a window of frames flattens back to exactly the
window's samples. 20 ms frames (320 samples) match wav2vec 2.0's output rate. Nothing is computed,
so streaming equals batch trivially (:class:`FramedStream`).
"""

from __future__ import annotations

import numpy as np

from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features.base import (
    FRONTENDS,
    Features,
    FramedStream,
    Frontend,
    StreamingFrontend,
    as_float_audio,
    ms_to_samples,
)


@FRONTENDS.register("waveform")
class WaveformFrontend(Frontend):
    def __init__(self, cfg: FeatureConfig) -> None:
        if cfg.window_ms != cfg.hop_ms:
            raise ConfigError(
                f"features.name=waveform cuts the audio into frames that tile it: set features.window_ms "
                f"equal to features.hop_ms (e.g. both 20; got {cfg.window_ms} and {cfg.hop_ms})."
            )
        if cfg.cmvn or cfg.agc_dbfs is not None:
            raise ConfigError("features.name=waveform is the raw audio: cmvn and agc_dbfs do not apply.")
        self.config = cfg
        self.hop_samples = self.window_samples = ms_to_samples(cfg.hop_ms, "hop_ms")
        self.dim = self.hop_samples

    def __call__(self, audio: np.ndarray) -> Features:
        audio = as_float_audio(audio)
        n = self.num_frames(len(audio))
        return np.ascontiguousarray(audio[: n * self.hop_samples].reshape(n, self.dim), dtype=np.float32)

    def stream(self) -> StreamingFrontend:
        return FramedStream(self, dim=self.dim, window=self.window_samples, hop=self.hop_samples)
