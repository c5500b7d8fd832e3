"""Long negative streams: duration, determinism, levels, low memory use."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import ConfigError, DatasetError
from wakesmith.synth import backgrounds as bg
from wakesmith.synth.streams import SPEECH_RMS_DB, build_stream


def _clips(n: int = 5) -> list[np.ndarray]:
    """Tone bursts standing in for speech: 0.4–1.2 s, different pitches."""
    out = []
    for i in range(n):
        t = np.arange(int((0.4 + 0.2 * i) * SAMPLE_RATE)) / SAMPLE_RATE
        out.append((0.5 * np.sin(2 * np.pi * (200 + 80 * i) * t)).astype(np.float32))
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_duration_format_and_clip_reuse(tmp_path: Path) -> None:
    info = build_stream(tmp_path / "s.wav", clips=_clips(), hours=0.02, seed=1)  # 72 s from 5 clips
    meta = sf.info(str(info.path))
    assert (meta.samplerate, meta.channels, meta.subtype) == (SAMPLE_RATE, 1, "PCM_16")
    assert meta.frames == round(0.02 * 3600 * SAMPLE_RATE) and info.seconds == pytest.approx(72.0)
    # Clips (0.4–1.2 s) plus gaps (0.2–2 s) take ~1.9 s on average: about 38 in 72 s, reused cyclically.
    assert 25 < info.n_clips < 55
    assert not list(tmp_path.glob(".*tmp"))  # written atomically, no leftovers


def test_same_seed_same_file_other_seed_other_file(tmp_path: Path) -> None:
    a = build_stream(tmp_path / "a.wav", clips=_clips(), hours=0.005, seed=3)
    b = build_stream(tmp_path / "b.wav", clips=_clips(), hours=0.005, seed=3)
    c = build_stream(tmp_path / "c.wav", clips=_clips(), hours=0.005, seed=4)
    assert _digest(a.path) == _digest(b.path) != _digest(c.path)


def test_levels_speech_and_background_bed(tmp_path: Path) -> None:
    noise = [bg.noise("pink", 4.0, seed=s, rms_db=-20) for s in range(3)]
    info = build_stream(
        tmp_path / "s.wav",
        clips=_clips(),
        hours=0.01,
        seed=5,
        backgrounds=noise,
        gap_s=(1.0, 1.5),
        snr_db=(20, 20),
    )
    audio, _ = sf.read(str(info.path), dtype="float32")
    frames = audio[: audio.size // 1600 * 1600].reshape(-1, 1600)  # 100 ms frames
    levels = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-10)
    bed_expected = np.mean(SPEECH_RMS_DB) - 20
    quiet = np.percentile(levels, 10)  # frames in the gaps hold only the bed
    assert quiet == pytest.approx(bed_expected, abs=2.0)
    loud = np.percentile(levels, 90)
    assert SPEECH_RMS_DB[0] - 1 < loud < SPEECH_RMS_DB[1] + 1
    assert np.abs(audio).max() < 1.0


def test_clips_from_a_callable_are_drawn_again_when_exhausted(tmp_path: Path) -> None:
    calls = []

    def clips() -> Iterator[np.ndarray]:
        calls.append(1)
        yield from _clips(2)

    info = build_stream(tmp_path / "s.wav", clips=clips, hours=0.005, seed=0, gap_s=(0.1, 0.1))
    assert len(calls) > 3 and info.n_clips >= 2 * (len(calls) - 1)


def test_an_hour_is_written_in_blocks(tmp_path: Path) -> None:
    import tracemalloc

    tracemalloc.start()
    info = build_stream(tmp_path / "hour.wav", clips=_clips(), hours=1.0, seed=0, gap_s=(0.5, 1.0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.seconds == pytest.approx(3600.0)
    assert (tmp_path / "hour.wav").stat().st_size == pytest.approx(3600 * SAMPLE_RATE * 2, rel=1e-3)
    assert peak < 50e6  # an hour of float32 would be 230 MB


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DatasetError):
        build_stream(tmp_path / "s.wav", clips=[], hours=0.001, seed=0)
    with pytest.raises(ConfigError):
        build_stream(tmp_path / "s.wav", clips=_clips(), hours=0, seed=0)
    with pytest.raises(ConfigError):
        build_stream(tmp_path / "s.wav", clips=_clips(), hours=0.01, seed=0, gap_s=(2.0, 1.0))
    assert not (tmp_path / "s.wav").exists()


def test_placed_tells_where_each_clip_went_and_changes_nothing(tmp_path: Path) -> None:
    clips = _clips()
    where: list[tuple[int, int, int]] = []
    info = build_stream(
        tmp_path / "a.wav", clips=clips, hours=0.005, seed=3, placed=lambda *p: where.append(p)
    )
    plain = build_stream(tmp_path / "b.wav", clips=clips, hours=0.005, seed=3)
    assert _digest(info.path) == _digest(plain.path) and len(where) == info.n_clips
    audio, _ = sf.read(str(info.path), dtype="float32")
    starts = [start for _, start, _ in where]
    assert starts == sorted(starts) and starts[0] == 0
    for index, start, length in where[:-1]:  # no bed: the clip itself, at its level
        assert length == clips[index].size
        piece, clip = audio[start : start + length], clips[index]
        gain = float(np.dot(piece, clip) / np.dot(clip, clip))
        assert np.abs(piece - gain * clip).max() < 2e-4  # 16-bit rounding
