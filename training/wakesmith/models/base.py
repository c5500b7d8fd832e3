"""The contract every wake-word network keeps, the model registry, and the graph runtimes execute.

A :class:`WakeModel` maps features ``[B, T, D]`` to one logit per output step ``[B, S]``. Streaming
models (:class:`StreamingWakeModel`) emit a step every ``stride`` input frames and carry their left
context as explicit state tensors, so that feeding a clip in one piece or in chunks gives the same
logits. Window classifiers score a whole window (``S = 1``).

Models are pure ``nn.Module``s: losses, optimisers and data live in :mod:`wakesmith.train`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.registry import Registry, did_you_mean

MODELS: Registry[type[WakeModel]] = Registry("model")


class WakeModel(nn.Module):
    """Base class: ``forward(x [B, T, D]) -> logits [B, S]``."""

    streaming: ClassVar[bool] = False
    fixed_window: ClassVar[bool] = False
    """True for a model built for one window length (``tinyconv``'s dense layer reads every frame):
    :func:`create_model` passes it ``window_frames``, which is never a recipe parameter."""

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        if input_dim <= 0:
            raise ConfigError(f"input_dim must be a positive number of features per frame (got {input_dim}).")
        self.input_dim = int(input_dim)

    @property
    def stride(self) -> int:
        """Input frames per output step (1 for window classifiers)."""
        return 1

    @property
    def receptive_field(self) -> int:
        """Input frames that influence one output step."""
        raise NotImplementedError

    def initial_state(self, batch: int) -> list[Tensor]:
        """Zero state for ``batch`` streams; window models have none."""
        return []

    def settle_reset(self, silence: Tensor) -> None:
        """After training: models whose reset state is "silence heard" derive it from the front end's
        silence frame ``silence [D]`` here (``sentry_tcn`` with ``reset: silence``); others do nothing."""

    def embed(self, x: Tensor) -> Tensor:
        """``[B, E]``: the pooled representation the head classifies (metric learning trains it).
        Window models have one; a model without raises :class:`ConfigError`."""
        raise ConfigError(
            f"{type(self).__name__} has no window embedding; loss.loss_function=triplet_loss needs a "
            "window model (judge_resnet, resnet18, mobilenetv3, conformer, judge_embedding, tinyconv)."
        )

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 3 or x.shape[2] != self.input_dim:
            raise ValueError(f"expected features [B, T, {self.input_dim}], got {list(x.shape)}")


class StreamingWakeModel(WakeModel):
    """A causal model whose left context is explicit state; ``forward`` is ``forward_stream`` from zeros.

    Subclasses implement :meth:`initial_state` and :meth:`forward_stream`. There is one code path:
    batch inference is streaming inference that starts from the zero state, so the two cannot drift.
    """

    streaming: ClassVar[bool] = True

    def initial_state(self, batch: int) -> list[Tensor]:
        """Zero state for ``batch`` streams, on the model's device and dtype."""
        raise NotImplementedError

    def forward_stream(self, x: Tensor, state: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        """Logits ``[B, T // stride]`` for ``x [B, T, D]`` (T a multiple of stride) and the next state."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``[B, T // stride]``. Leading frames beyond a multiple of the stride are dropped,
        so that the last step always ends on the last frame (where a positive window's phrase ends)."""
        self._check_input(x)
        extra = x.shape[1] % self.stride
        logits, _ = self.forward_stream(x[:, extra:], self.initial_state(x.shape[0]))
        return logits

    def _zeros(self, batch: int, *shape: int) -> Tensor:
        ref = next(self.parameters())
        return torch.zeros(batch, *shape, device=ref.device, dtype=ref.dtype)


class ScoringGraph(nn.Module):
    """The model as every runtime runs it: probabilities out, state as a flat list of tensors.

    Streaming: ``(features [1, T, D], state) -> (scores [1, S], *next_state)``.
    Window: ``features [B, T, D] -> scores [B, 1]``. The ONNX export traces this module and the torch
    backend calls it, so both have the same inputs, outputs and semantics.
    """

    def __init__(self, model: WakeModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: Tensor, state: list[Tensor] | None = None) -> Tensor | tuple[Tensor, ...]:
        if isinstance(self.model, StreamingWakeModel):
            if state is None:
                state = self.model.initial_state(features.shape[0])
            logits, next_state = self.model.forward_stream(features, state)
            return (torch.sigmoid(logits), *next_state)
        return torch.sigmoid(self.model(features))


# ----------------------------------------------------------------------------- registry


def register_model(name: str) -> Callable[[type[WakeModel]], type[WakeModel]]:
    """Class decorator: make a :class:`WakeModel` subclass available to :func:`create_model` by name."""
    return MODELS.register(name)


NOT_PARAMETERS = ("self", "input_dim", "window_frames")
"""Constructor arguments that come from the front end and the window, never from a recipe."""


def list_models() -> list[str]:
    """Names of every registered model, sorted."""
    return MODELS.names()


def model_defaults(name: str) -> dict[str, Any]:
    """The keyword parameters a model accepts, with their default values."""
    cls = MODELS.get(name)
    params = inspect.signature(cls.__init__).parameters
    return {
        key: p.default
        for key, p in params.items()
        if key not in ("self", "input_dim", "window_frames")
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def create_model(name: str, input_dim: int, *, window_frames: int | None = None, **params: Any) -> WakeModel:
    """Build the registered model ``name`` for ``input_dim`` features per frame.

    ``window_frames`` (the training window, or an artifact's) reaches only models built for one window
    length (:attr:`WakeModel.fixed_window`); they refuse to be built without it. Unknown parameters and
    values the model rejects raise :class:`ConfigError` naming what is accepted.
    """
    cls = MODELS.get(name)
    accepted = model_defaults(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        hints = "".join(did_you_mean(u, list(accepted)) for u in unknown)
        raise ConfigError(
            f"Model {name!r} has no parameter {', '.join(map(repr, unknown))}.{hints} "
            f"It accepts: {', '.join(f'{k}={v!r}' for k, v in accepted.items())}."
        )
    if cls.fixed_window:
        if window_frames is None:
            raise ConfigError(f"Model {name!r} is built for one window length: give window_frames.")
        params = {**params, "window_frames": window_frames}
    try:
        return cls(input_dim, **params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Model {name!r} rejected parameters {params}: {exc}") from None
