"""Home Assistant's own Wyoming integration against a running Judge: config flow, then wake-word detection."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from homeassistant import config_entries
from homeassistant.components import wake_word
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component

CHUNK_MS = 10
CHUNK_SAMPLES = 160  # 10 ms, as Home Assistant's pipeline feeds wake-word engines
TRAILING_SILENCE_S = 1
WAKE_ID = "hey_katya"


def _pcm(path: str) -> bytes:
    with wave.open(str(Path(path)), "rb") as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (16000, 2, 1)
        return w.readframes(w.getnframes())


async def _stream(pcm: bytes) -> AsyncIterator[tuple[bytes, int]]:
    """Like a microphone: 10 ms chunks in real time, then a second of silence.

    Home Assistant stops listening when the stream ends, so the audio must keep coming while the
    Judge scores it, as it does from a real satellite.
    """
    step = CHUNK_SAMPLES * 2
    pcm += bytes(TRAILING_SILENCE_S * 16000 * 2)
    for i, start in enumerate(range(0, len(pcm), step)):
        await asyncio.sleep(CHUNK_MS / 1000)
        yield pcm[start : start + step], i * CHUNK_MS


async def _setup_entry(hass: HomeAssistant, port: int) -> str:
    # The core integration holds state that assist_pipeline (a dependency of wyoming) reads.
    assert await async_setup_component(hass, "homeassistant", {})
    flow = hass.config_entries.flow
    result = await flow.async_init("wyoming", context={"source": config_entries.SOURCE_USER})
    assert result["type"] == FlowResultType.FORM
    result = await flow.async_configure(result["flow_id"], {"host": "127.0.0.1", "port": port})
    assert result["type"] == FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entity_ids = hass.states.async_entity_ids(wake_word.DOMAIN)
    assert len(entity_ids) == 1, entity_ids
    return entity_ids[0]


@pytest.mark.asyncio
async def test_home_assistant_detects_the_wake_word_with_the_judge(
    hass: HomeAssistant, judge_port: int, judge_fixture: dict[str, str]
) -> None:
    entity_id = await _setup_entry(hass, judge_port)
    entity = wake_word.async_get_wake_word_detection_entity(hass, entity_id)
    assert entity is not None
    words = await entity.get_supported_wake_words()
    ids = [w.id for w in words]
    assert len(ids) == 1 and words[0].phrase == "hey katya", words
    # The CLI names the model after its model id; Home Assistant asks for it by that id.
    result = await entity.async_process_audio_stream(_stream(_pcm(judge_fixture["positive"])), ids[0])
    assert result is not None, "Home Assistant's Wyoming wake-word entity did not detect the positive clip"
    assert result.wake_word_id == ids[0] and result.wake_word_phrase == "hey katya"
    missed = await entity.async_process_audio_stream(_stream(_pcm(judge_fixture["negative"])), ids[0])
    assert missed is None
    await hass.config_entries.async_unload(hass.config_entries.async_entries("wyoming")[0].entry_id)
    await hass.async_block_till_done()
