"""Detection over a whole file, through exactly the path a live stream takes."""

from __future__ import annotations

from pathlib import Path

from wakesmith.artifact import Artifact
from wakesmith.audio.io import read_audio
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.detector import Detection, Detector
from wakesmith.runtime.scorers import make_scorer
from wakesmith.runtime.vad import create_vad

CHUNK_SECONDS = 1.0
"""Files are pushed in one-second chunks, as a satellite would stream them (chunking never changes scores)."""


def detect_file(artifact: Artifact, audio_path: Path, *, preset: str = "default") -> list[Detection]:
    meta = artifact.metadata
    audio = read_audio(audio_path)
    scorer = make_scorer(OnnxBackend.load(artifact.onnx_path))
    cfg = meta.detector.model_copy(update={"threshold": meta.threshold(preset)})
    detector = Detector(cfg, scorer.step_seconds, offset_s=scorer.first_end_s)
    # Optional VAD gate (detector.vad): a detection counts only if speech was heard just before it.
    gate = create_vad(cfg.vad) if cfg.vad != "none" else None
    chunk = int(CHUNK_SECONDS * meta.audio.sample_rate)
    detections: list[Detection] = []
    for start in range(0, len(audio), chunk):
        block = audio[start : start + chunk]
        found = detector.push(scorer.push(block))
        if gate is not None:
            gate.push(block)
            found = found if gate.speech_within() else []
        detections.extend(found)
    return detections
