"""``mfcc``: orthonormal DCT-II of the log mel spectrogram (the first ``n_mfcc`` coefficients)."""

from __future__ import annotations

import numpy as np

from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features.base import FRONTENDS
from wakesmith.features.mel import LogMelFrontend


def dct_matrix(n_out: int, n_in: int) -> np.ndarray:
    """Rows 0..n_out-1 of the orthonormal DCT-II matrix of size ``n_in`` (``scipy.fft.dct(norm='ortho')``)."""
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    return basis


@FRONTENDS.register("mfcc")
class MfccFrontend(LogMelFrontend):
    """MFCCs: ``log_mel @ dct.T`` with the first ``n_mfcc`` orthonormal DCT-II coefficients (CMVN after)."""

    def __init__(self, cfg: FeatureConfig) -> None:
        super().__init__(cfg)
        if not 1 <= cfg.n_mfcc <= cfg.n_mels:
            raise ConfigError(
                f"features.n_mfcc must be between 1 and features.n_mels ({cfg.n_mels}); got {cfg.n_mfcc}."
            )
        self.dct = dct_matrix(cfg.n_mfcc, cfg.n_mels)
        self.dim = cfg.n_mfcc

    def _frames(self, audio: np.ndarray) -> np.ndarray:
        return super()._frames(audio) @ self.dct.T
