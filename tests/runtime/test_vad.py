"""VAD gates on real audio: espeak-ng speech passes, silence and low noise do not."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import soxr

from wakesmith.audio.pcm import float_to_int16
from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, ConfigError
from wakesmith.runtime.detector import Detection
from wakesmith.runtime.vad import VadGate, create_vad, gate_detections, list_vads

REAL_GATES = ["pymicro", "silero"]
LEAD_SILENCE_S = 1.0  # pymicro_vad answers "not ready" for its first ~0.75 s


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """'hello there' (and a bit more) from espeak-ng, at 16 kHz, after a second of silence."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    wav = subprocess.run(
        ["espeak-ng", "--stdout", "hello there, this is a test of the voice detector"],
        capture_output=True,
        check=True,
    ).stdout
    audio, rate = sf.read(io.BytesIO(wav), dtype="float32")
    audio = soxr.resample(audio, rate, SAMPLE_RATE)
    lead = np.zeros(int(LEAD_SILENCE_S * SAMPLE_RATE), dtype=np.float32)
    return np.concatenate([lead, audio]).astype(np.float32)


def _noise(seconds: float, std: float = 0.01) -> np.ndarray:
    return (np.random.default_rng(0).normal(0, std, int(seconds * SAMPLE_RATE))).astype(np.float32)


@pytest.mark.parametrize("name", REAL_GATES)
def test_speech_is_speech(name: str, speech: np.ndarray) -> None:
    gate = create_vad(name)
    probs = gate.push(speech)
    assert len(probs) == len(speech) // gate.frame_samples
    assert np.all((probs >= 0) & (probs <= 1))
    speech_part = probs[int(LEAD_SILENCE_S / gate.frame_s) :]
    assert np.mean(speech_part >= 0.5) > 0.4
    assert gate.speech_within(0.5)


@pytest.mark.parametrize("name", REAL_GATES)
@pytest.mark.parametrize("kind", ["silence", "low noise"])
def test_silence_and_low_noise_are_not_speech(name: str, kind: str) -> None:
    audio = np.zeros(3 * SAMPLE_RATE, dtype=np.int16) if kind == "silence" else _noise(3.0)
    gate = create_vad(name)
    probs = gate.push(audio)
    assert len(probs) == len(audio) // gate.frame_samples
    assert probs.max() < 0.2
    assert not gate.speech_within(3.0)


@pytest.mark.parametrize("name", REAL_GATES)
def test_chunking_does_not_change_probabilities(name: str, speech: np.ndarray) -> None:
    pcm = float_to_int16(speech)[: 2 * SAMPLE_RATE]
    whole = create_vad(name).push(pcm)
    gate = create_vad(name)
    chunks = np.split(pcm, [37, 700, 701, 5000, 17000, 30001])
    streamed = np.concatenate([gate.push(c) for c in chunks])
    np.testing.assert_array_equal(streamed, whole)
    gate.reset()
    np.testing.assert_array_equal(gate.push(pcm), whole)


def test_speech_within_looks_only_at_recent_frames(speech: np.ndarray) -> None:
    gate = create_vad("silero")
    gate.push(speech)
    gate.push(np.zeros(3 * SAMPLE_RATE, dtype=np.int16))
    assert not gate.speech_within(1.0)  # the last second is silence
    assert gate.speech_within(5.0)  # the phrase is within the last five seconds


def test_none_gate_always_passes() -> None:
    gate = create_vad("none")
    assert gate.speech_within(1.0)
    assert np.all(gate.push(np.zeros(SAMPLE_RATE, dtype=np.int16)) == 1.0)


def test_registry_and_bad_input() -> None:
    assert list_vads() == ["none", "pymicro", "silero"]
    with pytest.raises(ConfigError, match="silero"):
        create_vad("silro")
    gate: VadGate = create_vad("pymicro")
    with pytest.raises(AudioError, match="mono"):
        gate.push(np.zeros((2, 160), dtype=np.int16))
    with pytest.raises(AudioError, match="dtype"):
        gate.push(np.zeros(160, dtype=np.int32))


def test_gate_detections_keeps_only_those_near_speech() -> None:
    frame_s = 0.01
    probs = np.zeros(1000)
    probs[200:300] = 0.9  # speech from 2.0 s to 3.0 s
    dets = [Detection(int(t / 0.1), t, 0.9) for t in (1.0, 2.5, 4.9, 5.1)]
    kept = gate_detections(dets, probs, frame_s, lookback_s=2.0)
    assert [d.time_s for d in kept] == [2.5, 4.9]


def test_silero_gate_needs_no_torch() -> None:
    code = (
        "import sys, numpy as np; from wakesmith.runtime.vad import create_vad; "
        "g = create_vad('silero'); g.push(np.zeros(16000, dtype=np.int16)); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
