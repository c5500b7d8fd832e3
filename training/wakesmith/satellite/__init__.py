"""The virtual satellite: the exported INT8 sentry in pymicro-wakeword (the device's runtime) over a
WAV file or a microphone, the gate's pre/post-roll ring buffer, and the gate's Wyoming trigger
protocol to a Judge. How a user without hardware tries the cascade; the end-to-end test drives it.

A runtime-level wing: it imports core, ``audio``, ``features`` and ``runtime`` only (no training
stage); :func:`wakesmith.api.satellite` is its facade.
"""

from wakesmith.satellite.config import SatelliteConfig
from wakesmith.satellite.gate import JudgeReply, TriggerInfo, VerdictKind, ask_judge
from wakesmith.satellite.run import SatelliteReport, TriggerVerdict, run_satellite
from wakesmith.satellite.sentry import ShippedModel, device_rule, read_shipped

__all__ = [
    "JudgeReply",
    "SatelliteConfig",
    "SatelliteReport",
    "ShippedModel",
    "TriggerInfo",
    "TriggerVerdict",
    "VerdictKind",
    "ask_judge",
    "device_rule",
    "read_shipped",
    "run_satellite",
]
