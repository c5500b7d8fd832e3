"""The model zoo: pure ``nn.Module``s picked by name (``create_model``, ``list_models``).

Each model registers itself where it is defined; importing this package imports every model module.
"""

from wakesmith.models import conformer, embedding_head, judge, mobilenet, resnet18, sentry, tinyconv, wav2vec2
from wakesmith.models.base import (
    MODELS,
    ScoringGraph,
    StreamingWakeModel,
    WakeModel,
    create_model,
    list_models,
    model_defaults,
    register_model,
)

__all__ = [
    "MODELS",
    "ScoringGraph",
    "StreamingWakeModel",
    "WakeModel",
    "conformer",
    "create_model",
    "embedding_head",
    "judge",
    "list_models",
    "mobilenet",
    "model_defaults",
    "register_model",
    "resnet18",
    "sentry",
    "tinyconv",
    "wav2vec2",
]
