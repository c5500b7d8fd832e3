"""Runtime: run exported models on audio (backends, scorers); onnxruntime is enough, no torch.

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
from wakesmith.runtime.scorers import Scorer, StreamingScorer, WindowScorer, make_scorer
from wakesmith.runtime.tflite import TfliteBackend

__all__ = [
    "Backend",
    "FakeBackend",
    "OnnxBackend",
    "Scorer",
    "StreamingScorer",
    "TfliteBackend",
    "TorchBackend",
    "WindowScorer",
    "fake_metadata",
    "load_backend",
    "make_scorer",
]
