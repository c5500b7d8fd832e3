"""The graph interface every backend speaks and every exporter writes.

Inputs ``features`` (and ``state_i`` for streaming models), outputs ``scores`` (probabilities; and
``next_state_i``). What the graph computes is described by the file's
:class:`~wakesmith.metadata.ModelMetadata`. No torch here: the Judge runs with onnxruntime only.
"""

from __future__ import annotations

from wakesmith.metadata import ModelMetadata

FEATURES = "features"
SCORES = "scores"


def state_input(i: int) -> str:
    """Name of the ``i``-th streaming state input."""
    return f"state_{i}"


def state_output(i: int) -> str:
    """Name of the ``i``-th streaming state output (fed back as :func:`state_input` next call)."""
    return f"next_state_{i}"


def io_names(streaming: bool, n_states: int) -> tuple[list[str], list[str]]:
    """Input and output names of a model graph."""
    if not streaming:
        return [FEATURES], [SCORES]
    return (
        [FEATURES, *(state_input(i) for i in range(n_states))],
        [SCORES, *(state_output(i) for i in range(n_states))],
    )


def graph_names(metadata: ModelMetadata) -> tuple[list[str], list[str]]:
    """Input and output names of the graph ``metadata`` describes (state tensors as inputs/outputs)."""
    return io_names(metadata.streaming, len(metadata.state_shapes))
