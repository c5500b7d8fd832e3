"""The Judge: stage 2 of the cascade, served over Wyoming (wake word) and HTTP, with MQTT telemetry.

Runs with onnxruntime only (no torch, no TensorFlow). :func:`wakesmith.judge.service.run_judge` starts
everything in one process; :func:`wakesmith.data.captures.import_captures` brings the rejected triggers
it captured back into a training dataset as hard negatives.
"""

from wakesmith.judge.settings import (
    CaptureSettings,
    JudgeSettings,
    LimitSettings,
    ModelSettings,
    MqttSettings,
)

__all__ = ["CaptureSettings", "JudgeSettings", "LimitSettings", "ModelSettings", "MqttSettings"]
