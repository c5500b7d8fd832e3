"""Reading, converting, refusing and writing audio: real files written in tmp_path."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
import soundfile as sf

from wakesmith.audio.io import (
    AudioInfo,
    decode_audio,
    from_pcm16,
    probe,
    read_audio,
    to_pcm16,
    write_wav,
)
from wakesmith.errors import AudioError

SR = 16_000


def tone(freq: float, seconds: float, rate: int = SR, amp: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(audio: np.ndarray, rate: int = SR) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[np.argmax(spectrum)])


def test_contract_wav_round_trips_exactly(tmp_path):
    audio = tone(440, 0.5)
    path = write_wav(tmp_path / "a.wav", audio)
    info = sf.info(str(path))
    assert (info.samplerate, info.channels, info.subtype) == (SR, 1, "PCM_16")
    back = read_audio(path)
    assert back.dtype == np.float32 and back.shape == audio.shape
    np.testing.assert_array_equal(back, from_pcm16(to_pcm16(audio)))
    assert np.max(np.abs(back - audio)) <= 1 / 32768
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]  # no temporary file left behind


def test_44k_stereo_is_converted_keeping_duration_and_pitch(tmp_path):
    left = tone(1000, 1.5, rate=44_100, amp=0.5)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    sf.write(tmp_path / "s.wav", stereo, 44_100, subtype="PCM_16")
    audio = read_audio(tmp_path / "s.wav")
    assert abs(len(audio) - 1.5 * SR) <= 1
    assert dominant_hz(audio) == pytest.approx(1000, abs=2)
    # mono is the mean of the channels: a tone in one channel comes out at half amplitude
    middle = audio[SR // 4 : -SR // 4]
    assert np.max(np.abs(middle)) == pytest.approx(0.25, abs=0.01)


def test_conversion_can_be_refused(tmp_path):
    sf.write(tmp_path / "s.wav", np.zeros((4410, 2), np.float32), 44_100)
    with pytest.raises(AudioError, match=r"44100 Hz with 2 channel.*expected 16000 Hz mono"):
        read_audio(tmp_path / "s.wav", convert=False)


def test_flac_and_8k_are_read(tmp_path):
    sf.write(tmp_path / "t.flac", tone(300, 1.0, rate=8000), 8000)
    audio = read_audio(tmp_path / "t.flac")
    assert len(audio) == SR
    assert dominant_hz(audio) == pytest.approx(300, abs=2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is a text file, renamed to .wav\n" * 10, "not readable audio"),
        (b"", "not readable audio"),
    ],
)
def test_non_audio_file_is_refused(tmp_path, content, message):
    path = tmp_path / "fake.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as err:
        read_audio(path)
    assert "ffmpeg" in str(err.value)  # says what to do


def test_truncated_header_is_refused(tmp_path):
    good = write_wav(tmp_path / "good.wav", tone(440, 0.2)).read_bytes()
    (tmp_path / "cut.wav").write_bytes(good[:20])
    with pytest.raises(AudioError, match="not readable audio"):
        read_audio(tmp_path / "cut.wav")


def test_truncated_data_reads_what_is_there(tmp_path):
    good = write_wav(tmp_path / "good.wav", tone(440, 1.0)).read_bytes()
    (tmp_path / "cut.wav").write_bytes(good[: 44 + 2 * 8000])  # header claims 1 s, half is there
    audio = read_audio(tmp_path / "cut.wav")
    assert len(audio) == 8000


def test_zero_length_wav_is_refused(tmp_path):
    with wave.open(str(tmp_path / "empty.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
    with pytest.raises(AudioError, match="no audio"):
        read_audio(tmp_path / "empty.wav")


def test_too_long_is_refused_unless_allowed(tmp_path):
    write_wav(tmp_path / "long.wav", np.zeros(3 * SR, np.float32))
    with pytest.raises(AudioError, match=r"3\.0 s long; the limit is 2 s"):
        read_audio(tmp_path / "long.wav", max_seconds=2)
    assert len(read_audio(tmp_path / "long.wav", max_seconds=None)) == 3 * SR


def test_missing_path_and_folder_are_refused(tmp_path):
    with pytest.raises(AudioError, match="does not exist"):
        read_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="not a file"):
        read_audio(tmp_path)


def test_nan_samples_are_refused(tmp_path):
    data = tone(440, 0.1)
    data[10] = np.nan
    sf.write(tmp_path / "nan.wav", data, SR, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN"):
        read_audio(tmp_path / "nan.wav")


def test_float_file_beyond_full_scale_is_clipped_to_contract(tmp_path):
    sf.write(tmp_path / "hot.wav", tone(440, 0.1, amp=1.5), SR, subtype="FLOAT")
    audio = read_audio(tmp_path / "hot.wav")
    assert audio.max() == 1.0 and audio.min() == -1.0


def test_decode_upload_bytes(tmp_path):
    buf = io.BytesIO()
    sf.write(buf, tone(500, 0.5, rate=22_050), 22_050, format="WAV", subtype="PCM_16")
    audio = decode_audio(buf.getvalue())
    assert abs(len(audio) - SR // 2) <= 1
    assert dominant_hz(audio) == pytest.approx(500, abs=3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "not readable audio"),
        (b"<html>not audio</html>", "not readable audio"),
    ],
)
def test_decode_refuses_non_audio_bytes(data, message):
    with pytest.raises(AudioError, match=message):
        decode_audio(data)


def test_decode_applies_length_limit():
    buf = io.BytesIO()
    sf.write(buf, np.zeros(2 * SR, np.float32), SR, format="WAV")
    with pytest.raises(AudioError, match="limit is 1 s"):
        decode_audio(buf.getvalue(), max_seconds=1)


def test_pcm16_clips_instead_of_wrapping_and_round_trips():
    pcm = np.frombuffer(to_pcm16(np.array([1.5, 1.0, 0.5, -1.0, -1.5], np.float32)), "<i2")
    assert pcm.tolist() == [32767, 32767, 16384, -32768, -32768]
    samples = np.random.default_rng(0).integers(-32768, 32768, 1000).astype("<i2").tobytes()
    assert to_pcm16(from_pcm16(samples)) == samples
    assert to_pcm16(np.array([100, -7], np.int16)) == np.array([100, -7], "<i2").tobytes()


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (np.array([0.0, np.nan], np.float32), "NaN"),
        (np.zeros((10, 2), np.float32), "1-D mono"),
        (np.zeros(0, np.float32), "empty"),
        (np.zeros(4, np.int32), "dtype"),
    ],
)
def test_pcm16_refuses_bad_arrays(audio, message):
    with pytest.raises(AudioError, match=message):
        to_pcm16(audio)


def test_from_pcm16_refuses_odd_length():
    with pytest.raises(AudioError, match="even number of bytes"):
        from_pcm16(b"\x00\x01\x02")


def test_write_wav_replaces_and_clips(tmp_path):
    path = tmp_path / "x.wav"
    write_wav(path, np.zeros(100, np.float32))
    write_wav(path, np.full(50, 2.0, np.float32))
    data, rate = sf.read(str(path), dtype="int16")
    assert rate == SR and data.tolist() == [32767] * 50


def test_probe_reports_header(tmp_path):
    sf.write(tmp_path / "p.wav", np.zeros((22_050, 2), np.float32), 44_100, subtype="PCM_24")
    info = probe(tmp_path / "p.wav")
    assert info == AudioInfo(44_100, 2, 22_050, 0.5, "WAV", "PCM_24")
    assert not info.is_contract
    assert probe(write_wav(tmp_path / "c.wav", np.zeros(10, np.float32))).is_contract
