"""What a runtime needs to know about a model, read from the metadata its file carries.

Every exported file embeds the artifact's metadata dict (``ModelMetadata.runtime_dict()``); nothing
else parses that dict by hand: :meth:`ModelInfo.from_metadata` validates it once and gives typed
fields. This module also names the graph interface every backend speaks (inputs ``features`` and
``state_i``, outputs ``scores`` and ``next_state_i``), shared by the ONNX export and the backends.
No torch here: the Judge runs with onnxruntime only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from wakesmith.config import DetectorConfig, FeatureConfig
from wakesmith.errors import ArtifactError

METADATA_KEY = "wakesmith"
"""Key of the metadata JSON in an ONNX file's ``metadata_props``."""

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


@dataclass(frozen=True)
class ModelInfo:
    """The typed view of a model's metadata that runtimes (scorers, detectors, servers) use."""

    role: Literal["sentry", "judge"]
    phrase: str
    features: FeatureConfig
    streaming: bool
    stride: int
    detector: DetectorConfig
    window_frames: int | None = None
    state_shapes: tuple[tuple[int, ...], ...] = ()
    thresholds: dict[str, float] = field(default_factory=dict)
    """Calibrated thresholds by preset name (``default``, ``strict``…)."""
    model_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> ModelInfo:
        """Validate ``metadata``; raise :class:`ArtifactError` naming what is missing or wrong."""
        where = f"model {metadata['model_id']!r}" if metadata.get("model_id") else "model"
        missing = [k for k in ("role", "phrase", "features", "streaming", "stride") if k not in metadata]
        if missing:
            raise ArtifactError(
                f"The {where} metadata lacks {', '.join(missing)}: it was not written by wakesmith, or by an "
                "incompatible version. Re-export it with `wakesmith export`."
            )
        try:
            info = cls(
                role=_role(metadata["role"]),
                phrase=str(metadata["phrase"]),
                features=_section(FeatureConfig, metadata, "features", where),
                streaming=bool(metadata["streaming"]),
                stride=int(metadata["stride"]),
                detector=_section(DetectorConfig, metadata, "detector", where),
                window_frames=None
                if metadata.get("window_frames") is None
                else int(metadata["window_frames"]),
                state_shapes=tuple(tuple(int(d) for d in s) for s in metadata.get("state_shapes") or ()),
                thresholds=_thresholds(metadata.get("thresholds") or []),
                model_id=str(metadata.get("model_id", "")),
                raw=dict(metadata),
            )
        except (TypeError, ValueError) as exc:
            raise ArtifactError(f"The {where} metadata is invalid: {exc}") from None
        info._check()
        return info

    def _check(self) -> None:
        if self.stride < 1:
            raise ArtifactError(f"Model metadata has stride {self.stride}; it must be at least 1.")
        if self.streaming and not self.state_shapes:
            raise ArtifactError("Streaming model metadata lists no state_shapes; re-export the model.")
        if not self.streaming and (self.window_frames is None or self.window_frames < 1):
            raise ArtifactError("Window model metadata lacks window_frames; re-export the model.")

    def threshold(self, preset: str = "default") -> float:
        """The calibrated threshold of ``preset``, or the detector's configured one if uncalibrated."""
        return self.thresholds.get(preset, self.detector.threshold)

    @property
    def input_names(self) -> list[str]:
        return io_names(self.streaming, len(self.state_shapes))[0]

    @property
    def output_names(self) -> list[str]:
        return io_names(self.streaming, len(self.state_shapes))[1]


SectionT = TypeVar("SectionT", FeatureConfig, DetectorConfig)


def _section(cls: type[SectionT], metadata: dict[str, Any], key: str, where: str) -> SectionT:
    try:
        return cls.model_validate(metadata.get(key) or {})
    except ValidationError as exc:
        first: dict[str, Any] = dict(exc.errors()[0])
        path = ".".join(str(p) for p in (key, *first["loc"]))
        raise ArtifactError(
            f"The {where} metadata is invalid at {path}: {first['msg']} (got {first.get('input')!r})."
        ) from None


def _role(value: Any) -> Literal["sentry", "judge"]:
    if value == "sentry":
        return "sentry"
    if value == "judge":
        return "judge"
    raise ValueError(f"role must be 'sentry' or 'judge', got {value!r}")


def _thresholds(items: Any) -> dict[str, float]:
    """``[{name, threshold, …}, …]`` (artifact form) or ``{name: threshold}`` → ``{name: threshold}``."""
    if isinstance(items, dict):
        return {str(k): float(v) for k, v in items.items()}
    try:
        return {str(t["name"]): float(t["threshold"]) for t in items}
    except (KeyError, TypeError):
        raise ValueError(
            f"thresholds must be a list of {{name, threshold, …}} entries, got {items!r}"
        ) from None
