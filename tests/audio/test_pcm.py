"""One int16 ↔ float scale everywhere: exact round trips, and the scale libsndfile reads files with."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from wakesmith.audio.io import as_mono_float, from_pcm16, read_audio, to_pcm16, write_wav
from wakesmith.audio.pcm import float_to_int16, int16_to_float
from wakesmith.features import as_float_audio, as_pcm16

EVERY_INT16 = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)


def test_every_int16_value_round_trips_exactly() -> None:
    floats = int16_to_float(EVERY_INT16)
    assert floats.dtype == np.float32
    assert len(np.unique(floats)) == 65536  # no two samples share a float
    np.testing.assert_array_equal(float_to_int16(floats), EVERY_INT16)


def test_every_converter_in_the_package_is_the_same_pair() -> None:
    """The store, the front ends and the wire bytes all agree, sample for sample."""
    floats = int16_to_float(EVERY_INT16)
    np.testing.assert_array_equal(as_float_audio(EVERY_INT16), floats)
    np.testing.assert_array_equal(as_mono_float(EVERY_INT16), floats)
    np.testing.assert_array_equal(from_pcm16(EVERY_INT16.astype("<i2").tobytes()), floats)
    np.testing.assert_array_equal(as_pcm16(floats), EVERY_INT16)
    assert to_pcm16(floats) == EVERY_INT16.astype("<i2").tobytes()


def test_scale_is_the_one_libsndfile_reads_and_writes_files_with(tmp_path) -> None:
    # A 16-bit file written by libsndfile itself (not by us) reads back as our floats...
    buf = io.BytesIO()
    sf.write(buf, EVERY_INT16, 16_000, format="WAV", subtype="PCM_16")
    (tmp_path / "all.wav").write_bytes(buf.getvalue())
    np.testing.assert_array_equal(
        read_audio(tmp_path / "all.wav", max_seconds=None), int16_to_float(EVERY_INT16)
    )
    # ... and our floats, written by us, are the same int16 samples to libsndfile.
    write_wav(tmp_path / "ours.wav", int16_to_float(EVERY_INT16))
    data, _ = sf.read(str(tmp_path / "ours.wav"), dtype="int16")
    np.testing.assert_array_equal(data, EVERY_INT16)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.0, 32767), (1.5, 32767), (-1.0, -32768), (-7.0, -32768), (0.5, 16384), (-0.5, -16384)],
)
def test_beyond_full_scale_clips_instead_of_wrapping(value: float, expected: int) -> None:
    assert float_to_int16(np.array([value], np.float32)).tolist() == [expected]


def test_float64_input_rounds_to_nearest() -> None:
    lsb = 1 / 32768
    audio = np.array([0.49 * lsb, 0.51 * lsb, -0.51 * lsb, 100.4 * lsb], np.float64)
    assert float_to_int16(audio).tolist() == [0, 1, -1, 100]
