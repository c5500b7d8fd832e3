"""Detection over a whole file, through exactly the path a live stream takes."""

from __future__ import annotations

from pathlib import Path

from wakesmith.artifact import Artifact
from wakesmith.audio.io import read_audio
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.detector import Detection, Detector
from wakesmith.runtime.scorers import make_scorer

CHUNK_SECONDS = 1.0
"""Files are pushed in one-second chunks, as a satellite would stream them (chunking never changes scores)."""


def detect_file(artifact: Artifact, audio_path: Path, *, preset: str = "default") -> list[Detection]:
    meta = artifact.metadata
    audio = read_audio(audio_path)
    scorer = make_scorer(OnnxBackend.load(artifact.onnx_path))
    cfg = meta.detector.model_copy(update={"threshold": meta.threshold(preset)})
    detector = Detector(cfg, scorer.step_seconds)
    chunk = int(CHUNK_SECONDS * meta.audio.sample_rate)
    detections: list[Detection] = []
    for start in range(0, len(audio), chunk):
        detections.extend(detector.push(scorer.push(audio[start : start + chunk])))
    return detections
