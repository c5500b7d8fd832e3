"""The model zoo: pure ``nn.Module``s picked by name (``create_model``, ``list_models``).

Each model registers itself where it is defined; importing this package imports every model module.
"""

from wakesmith.models import embedding_head, judge, sentry
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
    "create_model",
    "embedding_head",
    "judge",
    "list_models",
    "model_defaults",
    "register_model",
    "sentry",
]
