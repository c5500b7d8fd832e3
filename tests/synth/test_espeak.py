"""espeak-ng synthesis and phonemization, with the real espeak-ng."""

from __future__ import annotations

import numpy as np
import pytest

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, ConfigError
from wakesmith.synth import espeak

pytestmark = pytest.mark.skipif(
    __import__("shutil").which("espeak-ng") is None, reason="espeak-ng is not installed"
)


def test_phrase_audio_is_16k_float_and_plausibly_long() -> None:
    audio = espeak.synthesize("hey katya")
    assert audio.dtype == np.float32 and audio.ndim == 1
    seconds = audio.size / SAMPLE_RATE
    assert 0.4 < seconds < 1.6, seconds
    assert 0.05 < np.abs(audio).max() <= 1.0
    # Trimmed: only ~50 ms of silence is kept at each end.
    edge = int(0.03 * SAMPLE_RATE)
    assert np.abs(audio[:edge]).max() < 0.05 and np.abs(audio[-edge:]).max() < 0.05
    assert np.sqrt(np.mean(audio[edge:-edge] ** 2)) > 0.01


def test_voices_variants_and_settings_change_the_audio() -> None:
    base = espeak.synthesize("hey katya", voice="en-us")
    others = [
        espeak.synthesize("hey katya", voice="en-gb-scotland"),
        espeak.synthesize("hey katya", voice="en-us", variant="f3"),
        espeak.synthesize("hey katya", voice="en-us", pitch=85),
    ]
    for other in others:
        n = min(base.size, other.size)
        assert base.size != other.size or not np.allclose(base[:n], other[:n], atol=1e-3)
    slow = espeak.synthesize("hey katya", speed=100)
    fast = espeak.synthesize("hey katya", speed=250)
    assert slow.size > 1.5 * fast.size
    gap = espeak.synthesize("hey katya", word_gap=30)
    assert gap.size > base.size + 0.2 * SAMPLE_RATE  # 30 × 10 ms between the two words


def test_phoneme_input_is_spoken_like_the_text() -> None:
    from_text = espeak.synthesize("hey katya")
    from_phonemes = espeak.synthesize(espeak.phonemize(["hey katya"])[0], phonemes=True)
    assert abs(from_text.size - from_phonemes.size) < 0.1 * SAMPLE_RATE


def test_bad_names_and_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"variant 'f33'.*Did you mean"):
        espeak.synthesize("hey", variant="f33")
    with pytest.raises(ConfigError, match="voice 'xx-nowhere'"):
        espeak.synthesize("hey", voice="xx-nowhere")
    with pytest.raises(ConfigError, match="speed"):
        espeak.synthesize("hey", speed=20)
    with pytest.raises(ConfigError, match=r"\[\["):
        espeak.synthesize("say [[h'eI]]")
    with pytest.raises(ConfigError, match="empty"):
        espeak.synthesize("   ")


def test_variant_list_includes_names_with_spaces_and_extra_columns() -> None:
    names = espeak.available_variants()
    assert {"f3", "m1", "klatt", "whisper"} <= names
    assert "Mr serious" in names and "Storm" in names  # a space in the name; an extra column after it


def test_phonemize_many_texts_in_one_call_keeps_alignment() -> None:
    texts = ["hey katya", "Hello, world. Two clauses!", "", "cat", "okay"]
    out = espeak.phonemize(texts)
    assert len(out) == len(texts)
    assert out[0] == "h'eI k'at#I;@"
    assert out[2] == "" and out[3] == "k'at"
    tokens = espeak.phoneme_words(["hey katya"])[0]
    assert tokens == [["h", "'eI"], ["k", "'a", "t#", "I", ";", "@"]]
    assert espeak.phonemize(["hey"], ipa=True)[0] == "hˈeɪ"


def test_phonemize_in_parallel_matches_serial() -> None:
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"] * 3
    assert espeak.phonemize(words, workers=3) == espeak.phonemize(words, workers=1)


def test_trim_silence_keeps_a_margin() -> None:
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE).astype(np.float32)
    pad = np.zeros(SAMPLE_RATE, dtype=np.float32)
    trimmed = espeak.trim_silence(np.concatenate([pad, tone, pad]))
    assert abs(trimmed.size - (tone.size + 2 * int(espeak.TRIM_KEEP_S * SAMPLE_RATE))) <= 2 * 160


def test_wav_stream_parser_refuses_garbage() -> None:
    with pytest.raises(AudioError):
        espeak.parse_wav_stream(b"not a wav at all")


def test_licence_entry() -> None:
    entry = espeak.voice_licence("en-gb", "f3")
    assert entry["licence"] == "GPL-3.0-or-later"
    assert entry["voice"] == "en-gb+f3" and entry["version"][0].isdigit()
