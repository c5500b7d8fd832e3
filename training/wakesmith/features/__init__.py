"""Acoustic front ends: ``micro`` (ESPHome's, bit for bit), ``logmel`` and ``mfcc`` (numpy only), and
``speech_embedding`` (a frozen pretrained network on onnxruntime, from the ``embedding`` extra), and
``waveform`` (the samples themselves, in frames, for models that hear raw audio).

>>> from wakesmith.config import FeatureConfig
>>> frontend = create_frontend(FeatureConfig(name="logmel"))
>>> frontend.num_frames(16_000), frontend.dim
(98, 40)

Importing this package registers every front end; it needs numpy and pymicro-features only (the
speech_embedding front end loads onnxruntime when first run), so the Judge runtime can use it without
the training stack.
"""

from __future__ import annotations

from wakesmith.features import embedding, mel, mfcc, micro, waveform
from wakesmith.features.base import (
    FRONTENDS,
    Frontend,
    StreamingFrontend,
    as_float_audio,
    as_pcm16,
    create_frontend,
    list_frontends,
)
from wakesmith.features.cache import FeatureCache, config_hash
from wakesmith.features.embedding import SpeechEmbeddingFrontend
from wakesmith.features.mel import LogMelFrontend, cmvn, mel_filterbank
from wakesmith.features.mfcc import MfccFrontend, dct_matrix
from wakesmith.features.micro import MicroFrontend

__all__ = [
    "FRONTENDS",
    "FeatureCache",
    "Frontend",
    "LogMelFrontend",
    "MfccFrontend",
    "MicroFrontend",
    "SpeechEmbeddingFrontend",
    "StreamingFrontend",
    "as_float_audio",
    "as_pcm16",
    "cmvn",
    "config_hash",
    "create_frontend",
    "dct_matrix",
    "embedding",
    "list_frontends",
    "mel",
    "mel_filterbank",
    "mfcc",
    "micro",
    "waveform",
]
