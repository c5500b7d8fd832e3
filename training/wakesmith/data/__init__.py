"""The dataset store: a SQLite manifest of clips over a content-addressed folder of 16 kHz WAVs.

>>> store = ClipStore(Home.resolve("/tmp/ws"))  # doctest: +SKIP
>>> store.add_file("hey.wav", dataset="hey_katya", label="positive", source="upload")  # doctest: +SKIP
"""

from wakesmith.data.files import ClipFiles
from wakesmith.data.health import HealthReport, Spread
from wakesmith.data.scan import LABEL_ALIASES, ScanProblem, ScanReport
from wakesmith.data.schema import Clip, Label, NewClip, Source, Split
from wakesmith.data.splits import DEFAULT_RATIOS
from wakesmith.data.store import ClipStore, ReconcileReport

__all__ = [
    "DEFAULT_RATIOS",
    "LABEL_ALIASES",
    "Clip",
    "ClipFiles",
    "ClipStore",
    "HealthReport",
    "Label",
    "NewClip",
    "ReconcileReport",
    "ScanProblem",
    "ScanReport",
    "Source",
    "Split",
    "Spread",
]
