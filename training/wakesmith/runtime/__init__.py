"""Runtime: run exported models on audio (backends, scorers) with onnxruntime only, no torch.

>>> backend = load_backend("model.onnx")          # doctest: +SKIP
>>> scores = make_scorer(backend).push(audio)     # doctest: +SKIP
"""

from wakesmith.runtime.backends import (
    Backend,
    FakeBackend,
    OnnxBackend,
    TorchBackend,
    fake_metadata,
    load_backend,
)
from wakesmith.runtime.info import ModelInfo
from wakesmith.runtime.scorers import Scorer, StreamingScorer, WindowScorer, make_scorer

__all__ = [
    "Backend",
    "FakeBackend",
    "ModelInfo",
    "OnnxBackend",
    "Scorer",
    "StreamingScorer",
    "TorchBackend",
    "WindowScorer",
    "fake_metadata",
    "load_backend",
    "make_scorer",
]
