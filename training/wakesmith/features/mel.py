"""``logmel``: log mel spectrogram in numpy, for the server-side (Judge) models.

Pure functions (filterbank, framing, log-mel, CMVN) plus a thin front end that holds the filterbank
and window, so batch and streaming share one code path. The filterbank is Slaney-style (librosa's
default: Slaney mel scale, area-normalized triangles), reproduced here so the Judge runtime needs
neither librosa nor scipy.

Log floor: ``log(mel_power + 1e-6)``. Audio is in [-1, 1], so 1e-6 sits about 60 dB below the mel
power of quiet speech; it keeps digital silence finite (log(1e-6) ≈ -13.8) without flattening
anything audible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wakesmith.config import SAMPLE_RATE, FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features.base import (
    FRONTENDS,
    Features,
    FramedStream,
    Frontend,
    as_float_audio,
    ms_to_samples,
)

LOG_FLOOR = 1e-6
"""Added to the mel power before the log (see the module docstring)."""
CMVN_MIN_STD = 1e-5
"""Standard deviation floor of CMVN, so a constant channel (e.g. silence) is centred, not blown up."""
AGC_MAX_GAIN_DB = 40.0
"""The most ``features.agc_dbfs`` raises a window: a near-silent one stays quiet instead of becoming noise."""
MEL_FMIN_HZ = 0.0
MEL_FMAX_HZ = SAMPLE_RATE / 2

# Slaney mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above (27 mels per factor 6.4).
_SLANEY_HZ_PER_MEL = 200.0 / 3.0
_SLANEY_BREAK_HZ = 1000.0
_SLANEY_BREAK_MEL = _SLANEY_BREAK_HZ / _SLANEY_HZ_PER_MEL
_SLANEY_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Frequencies in Hz on the Slaney mel scale (librosa's ``hz_to_mel(htk=False)``)."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _SLANEY_HZ_PER_MEL
    log_part = (
        _SLANEY_BREAK_MEL + np.log(np.maximum(hz, _SLANEY_BREAK_HZ) / _SLANEY_BREAK_HZ) / _SLANEY_LOG_STEP
    )
    return np.where(hz >= _SLANEY_BREAK_HZ, log_part, linear)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _SLANEY_HZ_PER_MEL
    log_part = _SLANEY_BREAK_HZ * np.exp(
        _SLANEY_LOG_STEP * (np.maximum(mel, _SLANEY_BREAK_MEL) - _SLANEY_BREAK_MEL)
    )
    return np.where(mel >= _SLANEY_BREAK_MEL, log_part, linear)


def mel_filterbank(
    *,
    n_fft: int,
    n_mels: int,
    sample_rate: int = SAMPLE_RATE,
    fmin: float = MEL_FMIN_HZ,
    fmax: float | None = None,
) -> np.ndarray:
    """Slaney-normalized triangular mel filters, ``[n_mels, n_fft // 2 + 1]`` float64.

    Equals ``librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)``.
    """
    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ConfigError(
            f"Mel range must satisfy 0 <= fmin < fmax <= {sample_rate / 2} Hz; got {fmin}, {fmax}."
        )
    fft_hz = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges_hz)
    offsets = edges_hz[:, None] - fft_hz[None, :]
    rising = -offsets[:-2] / widths[:-1, None]
    falling = offsets[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    # Area normalization: every filter integrates to the same value, so wide high bands are not louder.
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    if not weights.any(axis=1).all():
        raise ConfigError(
            f"{n_mels} mel bands are too many for n_fft={n_fft}: some bands contain no FFT bin. "
            "Use fewer features.n_mels or a longer features.window_ms."
        )
    return weights


def hann_window(length: int) -> np.ndarray:
    """Periodic Hann window (``scipy.signal.get_window('hann', length)``), float64."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(length) / length)


def next_pow2(n: int) -> int:
    """The smallest power of two >= ``n``."""
    return 1 << max(0, int(n - 1).bit_length())


def frames_view(audio: np.ndarray, window: int, hop: int) -> np.ndarray:
    """``[T, window]`` read-only view of the frames ``[t * hop, t * hop + window)``."""
    if len(audio) < window:
        return np.zeros((0, window), dtype=audio.dtype)
    return np.lib.stride_tricks.sliding_window_view(audio, window)[::hop]


class BandedFilterbank:
    """A triangular filterbank ``[n_bands, n_bins]`` applied with numpy ufuncs only (no BLAS).

    Why not ``power @ filterbank.T``: at this size OpenBLAS starts worker threads, and in data-loader
    processes (one per core) or on a small Judge host they spin against each other; logmel ran 2–8x
    slower that way in measurements here. Triangles ``i`` and ``i + 2`` never overlap, so the even and
    the odd bands are each a set of disjoint bin ranges: one elementwise product and one
    ``np.add.reduceat`` per set give every band's weighted sum.
    """

    def __init__(self, filterbank: np.ndarray) -> None:
        self.matrix = filterbank
        n_bands, n_bins = filterbank.shape
        self._sets: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for parity in (0, 1):
            rows = np.arange(parity, n_bands, 2)
            if not len(rows):
                continue
            weights = np.zeros(n_bins)
            starts, cuts = [], {0}
            for row in rows:
                nonzero = np.flatnonzero(filterbank[row])
                start, stop = int(nonzero[0]), int(nonzero[-1]) + 1
                if weights[start:stop].any():
                    raise ValueError("filterbank bands of the same parity overlap; cannot apply it banded")
                weights[start:stop] = filterbank[row, start:stop]
                starts.append(start)
                cuts.update((start, stop))
            bounds = np.array(sorted(c for c in cuts if c < n_bins))
            self._sets.append((rows, weights, bounds, np.searchsorted(bounds, starts)))

    def __call__(self, power: np.ndarray) -> np.ndarray:
        """Band energies ``[T, n_bands]`` of a power spectrum ``[T, n_bins]``."""
        out = np.empty((power.shape[0], self.matrix.shape[0]))
        if len(power):
            for rows, weights, bounds, picks in self._sets:
                out[:, rows] = np.add.reduceat(power * weights, bounds, axis=1)[:, picks]
        return out


def log_mel(
    audio: np.ndarray, *, window: np.ndarray, hop: int, n_fft: int, filterbank: BandedFilterbank
) -> np.ndarray:
    """``log(mel power + LOG_FLOOR)`` of float audio, ``[T, n_mels]`` float64 (no centre padding)."""
    frames = frames_view(audio, len(window), hop)
    # Zero padding to n_fft at the end of the frame (not centred, as librosa does) only changes the
    # phase: the power spectrum, and so the features, are the same.
    spectrum = np.fft.rfft(frames * window, n=n_fft, axis=-1)
    power = spectrum.real**2 + spectrum.imag**2
    return np.log(filterbank(power) + LOG_FLOOR)


def agc(audio: np.ndarray, target_dbfs: float) -> np.ndarray:
    """``audio`` scaled so its RMS is ``target_dbfs``, raised by at most :data:`AGC_MAX_GAIN_DB`.

    Scaling by a gain is exact in float, so two recordings that differ only in gain come out equal
    (digital silence stays silence: it has no level to normalize)."""
    power = float(np.mean(np.square(audio, dtype=np.float64))) if audio.size else 0.0
    if power <= 0.0:
        return audio
    gain_db = min(target_dbfs - 10.0 * np.log10(power), AGC_MAX_GAIN_DB)
    return (audio * np.float32(10.0 ** (gain_db / 20.0))).astype(np.float32)


def cmvn(features: np.ndarray) -> np.ndarray:
    """Per-utterance mean/variance normalization: each channel to zero mean, unit variance over time."""
    if len(features) == 0:
        return features
    std = np.maximum(features.std(axis=0), CMVN_MIN_STD)
    return (features - features.mean(axis=0)) / std


@FRONTENDS.register("logmel")
class LogMelFrontend(Frontend):
    """Log mel spectrogram: Hann window of ``window_ms``, step ``hop_ms``, ``n_mels`` Slaney bands.

    With ``cmvn`` every clip is normalized over its own frames, and with ``agc_dbfs`` every clip is
    first brought to one level (:func:`agc`); both need the whole clip, so the streaming form is
    refused then (Judge models score fixed analysis windows in batch anyway).
    """

    def __init__(self, cfg: FeatureConfig) -> None:
        self.config = cfg
        self.window_samples = ms_to_samples(cfg.window_ms, "window_ms")
        self.hop_samples = ms_to_samples(cfg.hop_ms, "hop_ms")
        if cfg.n_mels < 1:
            raise ConfigError(f"features.n_mels must be at least 1, got {cfg.n_mels}.")
        self.n_fft = next_pow2(self.window_samples)
        self.filterbank = BandedFilterbank(mel_filterbank(n_fft=self.n_fft, n_mels=cfg.n_mels))
        self.window = hann_window(self.window_samples)
        self.dim = cfg.n_mels

    def _frames(self, audio: np.ndarray) -> np.ndarray:
        """Per-frame features before CMVN, float64 (subclasses transform the log-mel further)."""
        return log_mel(
            as_float_audio(audio),
            window=self.window,
            hop=self.hop_samples,
            n_fft=self.n_fft,
            filterbank=self.filterbank,
        )

    def __call__(self, audio: np.ndarray) -> Features:
        if self.config.agc_dbfs is not None:
            audio = agc(as_float_audio(audio), self.config.agc_dbfs)
        frames = self._frames(audio)
        return (cmvn(frames) if self.config.cmvn else frames).astype(np.float32)

    def window_features(self, audio: np.ndarray, starts: Sequence[int], length: int) -> np.ndarray:
        """Overlapping windows on one frame grid (a judge's hop is whole frames) share one spectrum.

        The mel power of ``g · x`` is ``g² ·`` that of ``x``, so each window's gain normalization
        (:func:`agc`) is applied to the shared mel power instead of the audio: the result equals
        ``self(audio[s : s + length])`` up to float rounding (``tests/features/test_mel.py``), at the
        cost of one FFT per frame instead of one per frame per window (a judge's windows overlap 15×).
        """
        at = np.asarray(starts, dtype=np.int64)
        shared = type(self)._frames is LogMelFrontend._frames  # subclasses transform the log mel further
        if not len(at) or not shared or np.any((at - at[0]) % self.hop_samples):
            return super().window_features(audio, starts, length)
        x = as_float_audio(audio)
        n = self.num_frames(length)
        lo = int(at.min())
        span = x[lo : int(at.max()) + length]
        frames = frames_view(span, len(self.window), self.hop_samples)
        spectrum = np.fft.rfft(frames * self.window, n=self.n_fft, axis=-1)
        mel = self.filterbank(spectrum.real**2 + spectrum.imag**2)
        first = (at - lo) // self.hop_samples
        picks = mel[first[:, None] + np.arange(n)[None, :]]  # [windows, n, n_mels]
        if self.config.agc_dbfs is not None:
            squares = np.concatenate([[0.0], np.cumsum(np.square(span, dtype=np.float64))])
            power = (squares[at - lo + length] - squares[at - lo]) / max(length, 1)
            gain_db = np.minimum(
                self.config.agc_dbfs - 10.0 * np.log10(np.maximum(power, 1e-300)), AGC_MAX_GAIN_DB
            )
            gain2 = np.where(power > 0.0, 10.0 ** (gain_db / 10.0), 1.0)
            picks = picks * gain2[:, None, None]
        feats = np.log(picks + LOG_FLOOR)
        if self.config.cmvn:
            std = np.maximum(feats.std(axis=1, keepdims=True), CMVN_MIN_STD)
            feats = (feats - feats.mean(axis=1, keepdims=True)) / std
        return feats.astype(np.float32)

    def stream(self) -> FramedStream:
        if self.config.cmvn or self.config.agc_dbfs is not None:
            raise ConfigError(
                "Streaming features cannot use per-utterance CMVN or gain normalization (they need the "
                "whole clip). Score fixed windows in batch (as the Judge does), or set features.cmvn=false "
                "and features.agc_dbfs=null."
            )
        return FramedStream(
            lambda audio: self._frames(audio).astype(np.float32),
            dim=self.dim,
            window=self.window_samples,
            hop=self.hop_samples,
        )
