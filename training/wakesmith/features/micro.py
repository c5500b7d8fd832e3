"""``micro``: the TFLite-Micro audio front end that ESPHome's micro_wake_word runs on the device.

Computed by ``pymicro-features`` (the TFLite-Micro ``microfrontend`` C library), so training features
are bit for bit the ones the ESP32 computes. What the package does (checked against version 2.0.2 and
its use in ``pymicro-wakeword``):

- Its window (30 ms), step (10 ms) and 40 channels are compile-time constants of the C++ extension;
  nothing else can be configured, so any other ``window_ms``/``hop_ms``/``n_mels`` is refused.
- ``MicroFrontend.process_samples(pcm)`` takes little-endian 16-bit PCM bytes (at least one 10 ms step,
  320 bytes), consumes exactly one step (160 samples) per call, and returns 40 features once a full
  30 ms window has been seen, else an empty list.
- The features come back as floats already scaled: the front end's uint16 output times
  ``FLOAT32_SCALE = 0.0390625`` (1/25.6), i.e. multiples of 1/25.6 in about 0–26 — the same scaling
  micro_wake_word trains with and ``pymicro-wakeword`` quantizes (``round(x / input_scale) + zp``).
- It is stateful: noise reduction and PCAN gain control adapt over time. A clip's batch features are
  therefore those of one fresh stream over the whole clip.
"""

from __future__ import annotations

import numpy as np
from pymicro_features import MicroFrontend as _CMicroFrontend

from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features.base import FRONTENDS, Features, Frontend, StreamingFrontend, as_pcm16

MICRO_WINDOW_MS = 30.0
MICRO_HOP_MS = 10.0
MICRO_CHANNELS = 40
MICRO_WINDOW_SAMPLES = 480
MICRO_HOP_SAMPLES = 160
MICRO_FEATURE_SCALE = 0.0390625
"""What pymicro-features multiplies the front end's uint16 output by (features = raw / 25.6)."""


class MicroStream(StreamingFrontend):
    """One stateful TFLite-Micro front end fed 10 ms steps as audio arrives."""

    dim = MICRO_CHANNELS

    def __init__(self) -> None:
        self._frontend = _CMicroFrontend()
        self._pending = np.zeros(0, dtype=np.int16)

    def push(self, audio: np.ndarray) -> Features:
        pcm = as_pcm16(audio)
        buf = np.concatenate([self._pending, pcm]) if len(self._pending) else pcm
        n_steps = len(buf) // MICRO_HOP_SAMPLES
        frames: list[list[float]] = []
        process = self._frontend.process_samples
        for i in range(n_steps):
            step = buf[i * MICRO_HOP_SAMPLES : (i + 1) * MICRO_HOP_SAMPLES]
            out = process(step.tobytes())
            if out.features:
                frames.append(out.features)
        self._pending = buf[n_steps * MICRO_HOP_SAMPLES :].copy()
        if not frames:
            return np.zeros((0, MICRO_CHANNELS), dtype=np.float32)
        # Multiples of 1/25.6 below 2560 are exact in float32: the conversion loses nothing.
        return np.asarray(frames, dtype=np.float32)

    def reset(self) -> None:
        self._frontend.reset()
        self._pending = np.zeros(0, dtype=np.int16)


@FRONTENDS.register("micro")
class MicroFrontend(Frontend):
    """ESPHome micro_wake_word features: 40 channels, 30 ms window, 10 ms step, features in ~0–26."""

    def __init__(self, cfg: FeatureConfig) -> None:
        if (cfg.window_ms, cfg.hop_ms, cfg.n_mels) != (MICRO_WINDOW_MS, MICRO_HOP_MS, MICRO_CHANNELS):
            raise ConfigError(
                f"The micro front end is fixed at window_ms={MICRO_WINDOW_MS}, hop_ms={MICRO_HOP_MS}, "
                f"n_mels={MICRO_CHANNELS} (that is what ESPHome runs); got window_ms={cfg.window_ms}, "
                f"hop_ms={cfg.hop_ms}, n_mels={cfg.n_mels}. Remove those settings, "
                "or use features.name=logmel."
            )
        if cfg.cmvn or cfg.agc_dbfs is not None:
            raise ConfigError(
                "features.cmvn and features.agc_dbfs apply to logmel/mfcc only: the device runs "
                "micro_wake_word's front end as it is. Remove them or use features.name=logmel."
            )
        self.config = cfg
        self.dim = MICRO_CHANNELS
        self.window_samples = MICRO_WINDOW_SAMPLES
        self.hop_samples = MICRO_HOP_SAMPLES

    def __call__(self, audio: np.ndarray) -> Features:
        # A fresh C front end per clip (about 25 µs) keeps batch calls independent and thread-safe.
        return MicroStream().push(audio)

    def stream(self) -> MicroStream:
        return MicroStream()
