"""The real ``aioesphomeapi.APIClient`` records takes from a virtual ESPHome satellite (the native API's
server side, ``esphome_device.py``): the audio is the device's WAV; a device asked to start and one that
starts its own; and the failures, each a SatelliteError that says what to do."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from aioesphomeapi import VoiceAssistantEventType, VoiceAssistantFeature
from esphome_device import VirtualSatellite, running

from wakesmith.satellite.record import (
    SatelliteError,
    SatelliteRecording,
    SatelliteTake,
    record_from_satellite,
)

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/: loopback
from loopback import free_port

RATE = 16_000


def spoken_wav(tmp_path: Path, seconds: float = 1.2, seed: int = 0) -> np.ndarray:
    """A WAV as a satellite's microphone would hear it (a swept tone in noise), read back as int16."""
    t = np.arange(round(seconds * RATE)) / RATE
    rng = np.random.default_rng(seed)
    audio = 0.3 * np.sin(2 * np.pi * (300 + 400 * t) * t) + 0.02 * rng.standard_normal(t.size)
    path = tmp_path / "take.wav"
    sf.write(path, audio, RATE, subtype="PCM_16")
    pcm, rate = sf.read(path, dtype="int16")
    assert rate == RATE
    return np.asarray(pcm)


def record(port: int, **values: object) -> SatelliteRecording:
    return asyncio.run(
        record_from_satellite(SatelliteTake.model_validate({"host": "127.0.0.1", "port": port, **values}))
    )


def as_pcm(audio: np.ndarray) -> np.ndarray:
    return np.round(audio * 32768).astype(np.int16)


def test_a_satellite_asked_to_start_streams_its_wav_for_each_take(tmp_path: Path) -> None:
    pcm = spoken_wav(tmp_path)
    device = VirtualSatellite(pcm)
    with running(device) as port:
        got = record(port, takes=2, seconds=5, prompt_url="http://studio/chime.wav")
    assert (got.name, got.friendly_name, got.mac_address) == (
        "kitchen-satellite",
        "Kitchen satellite",
        "AA:BB:CC:00:11:22",
    )
    assert len(got.takes) == 2
    for take in got.takes:
        assert take.dtype == np.float32
        np.testing.assert_array_equal(as_pcm(take), pcm)
    assert [(a.media_id, a.start_conversation) for a in device.announcements] == [
        ("http://studio/chime.wav", True)
    ] * 2
    run = [
        VoiceAssistantEventType.VOICE_ASSISTANT_RUN_START,
        VoiceAssistantEventType.VOICE_ASSISTANT_STT_START,
        VoiceAssistantEventType.VOICE_ASSISTANT_STT_VAD_END,
        VoiceAssistantEventType.VOICE_ASSISTANT_RUN_END,
    ]
    assert device.events == run * 2


def test_a_satellite_that_starts_its_own_take_is_cut_at_seconds(tmp_path: Path) -> None:
    pcm = spoken_wav(tmp_path, seconds=2.0)
    flags = VoiceAssistantFeature.VOICE_ASSISTANT | VoiceAssistantFeature.API_AUDIO
    device = VirtualSatellite(
        pcm, flags=flags, self_start=True, password="hunter2", api_version=(1, 12), frame_gap_s=0.004
    )  # a slow link: take 1's stream is still running when the next take starts, and must not end it
    with running(device) as port:
        got = record(port, seconds=0.5, takes=2, password="hunter2")
    assert device.announcements == []  # it cannot be asked; its button started each take
    # (an older firmware: API 1.12, its feature flags in DeviceInfo)
    assert len(got.takes) == 2
    for take in got.takes:
        np.testing.assert_array_equal(as_pcm(take), pcm[: RATE // 2])


def test_nothing_listening_says_to_check_the_address() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(SatelliteError, match=rf"Could not reach an ESPHome device at 127.0.0.1:{port}"):
        record(port)


def test_a_wrong_password_is_refused(tmp_path: Path) -> None:
    device = VirtualSatellite(spoken_wav(tmp_path), password="hunter2")
    with running(device) as port, pytest.raises(SatelliteError, match="refused the API password"):
        record(port, password="hunter3")


def test_a_device_without_a_voice_assistant_is_refused(tmp_path: Path) -> None:
    silent = VirtualSatellite(spoken_wav(tmp_path), flags=0)
    with running(silent) as port, pytest.raises(SatelliteError, match=r"has no voice assistant.*YAML"):
        record(port)
    udp_only = VirtualSatellite(spoken_wav(tmp_path), flags=VoiceAssistantFeature.VOICE_ASSISTANT)
    with running(udp_only) as port, pytest.raises(SatelliteError, match="over UDP only"):
        record(port)


def test_a_take_that_streams_nothing_times_out_with_a_message(tmp_path: Path) -> None:
    mute = VirtualSatellite(spoken_wav(tmp_path), mute=True)
    message = r"streamed no audio for 0.3 s: check its microphone"
    with running(mute) as port, pytest.raises(SatelliteError, match=message):
        record(port, audio_timeout_s=0.3)


def test_a_take_that_never_starts_names_home_assistant(tmp_path: Path) -> None:
    flags = VoiceAssistantFeature.VOICE_ASSISTANT | VoiceAssistantFeature.API_AUDIO
    message = r"did not start within 0.3 s \(start it on the device"
    device = VirtualSatellite(spoken_wav(tmp_path), flags=flags)
    with running(device) as port, pytest.raises(SatelliteError, match=message) as e:
        record(port, start_timeout_s=0.3)
    assert "disable the device in Home Assistant's ESPHome integration" in str(e.value)


KEY = "px7tsbK3C7bpXHr2OevEV2ZMg/FrNBw2+O2pNPbedtA="


def test_an_encrypted_satellite_records_with_its_key_and_says_what_is_wrong_without(tmp_path: Path) -> None:
    pcm = spoken_wav(tmp_path, seconds=0.5)
    with running(VirtualSatellite(pcm, noise_psk=KEY)) as port:
        got = record(port, noise_psk=KEY)
        np.testing.assert_array_equal(as_pcm(got.takes[0]), pcm)
        with pytest.raises(SatelliteError, match="refused the encryption key"):
            record(port, noise_psk="WXpiDCBCMHyfpgYxXQcrGzq6WfQQ36ClZqBx3vMoNEs=")
        with pytest.raises(SatelliteError, match="encrypts its API: give its noise_psk"):
            record(port)
    with running(VirtualSatellite(pcm)) as port, pytest.raises(SatelliteError, match="leave noise_psk empty"):
        record(port, noise_psk=KEY)
