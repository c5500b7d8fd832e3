"""SVOX Pico (py-nanotts): real synthesis, speakers, the plan, the licence manifest, the install hint."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wakesmith.config import SAMPLE_RATE, SynthConfig
from wakesmith.errors import ConfigError, ToolMissingError
from wakesmith.synth import pico
from wakesmith.synth.plan import ESPEAK, PICO, plan, speakers
from wakesmith.synth.run import licences, run

pytest.importorskip("py_nanotts")

PICO_SMALL: dict[str, Any] = {
    "voices": ["en-us"], "variants": ["", "f3", "m3", "m1"], "speeds": [140, 180], "pitches": [40, 60],
    "word_gaps": [0], "pico_voices": ["en-US", "en-GB"], "pico_pitches": [0.85, 1.2], "positives": 16,
    "confusables": 24, "negative_speech": 8, "long_speech": 0, "backgrounds": 2, "pico_share": None,
    "piper_bundled": False,
}  # fmt: skip


def _f0(audio: np.ndarray) -> float:
    """Median autocorrelation F0 of the loud (voiced) 40 ms frames."""
    frame, hop, f0s = 640, 320, []
    loud = 0.3 * float(np.abs(audio).max())
    for i in range(0, audio.size - frame, hop):
        x = audio[i : i + frame].astype(np.float64)
        if np.abs(x).max() < loud:
            continue
        x -= x.mean()
        ac = np.correlate(x, x, "full")[frame - 1 :]
        lo, hi = SAMPLE_RATE // 500, SAMPLE_RATE // 60
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5 * ac[0]:
            f0s.append(SAMPLE_RATE / lag)
    assert len(f0s) >= 5
    return float(np.median(f0s))


@pytest.mark.parametrize("voice", pico.VOICES)
def test_real_synthesis_of_the_phrase(voice: str) -> None:
    audio = pico.synthesize("hey katya", voice, speed=160, pitch=1.0)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.5 < audio.size / SAMPLE_RATE < 1.5
    assert 0.1 < float(np.abs(audio).max()) < 0.99  # audible, and not clipped at the chosen volume
    assert float(np.sqrt(np.mean(audio**2))) > 0.01

    slow = pico.synthesize("hey katya", voice, speed=110)
    fast = pico.synthesize("hey katya", voice, speed=220)
    assert slow.size > 1.25 * audio.size and fast.size < 0.85 * audio.size  # duration ~ 1 / factor

    low, high = _f0(pico.synthesize("hey katya", voice, pitch=0.7)), _f0(pico.synthesize("hey katya", voice))
    assert high / low == pytest.approx(1 / 0.7, rel=0.1)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="en-US, en-GB"):
        pico.synthesize("hey katya", "de-DE")
    with pytest.raises(ConfigError, match="pitch"):
        pico.synthesize("hey katya", "en-US", pitch=3.0)
    with pytest.raises(ConfigError, match="empty"):
        pico.synthesize("  <> ", "en-US")
    with pytest.raises(ConfigError, match="pico_pitches"):
        plan(SynthConfig(**{**PICO_SMALL, "pico_pitches": [2.5]}), cache_dir=Path("/nonexistent"))
    with pytest.raises(ConfigError, match=r"steps of 0\.01"):
        plan(SynthConfig(**{**PICO_SMALL, "pico_pitches": [0.855]}), cache_dir=Path("/nonexistent"))


def test_default_pitches_are_accepted(small_words: Path, lexicon_cache: Path) -> None:
    cfg = SynthConfig(voices=["en-us"], variants=[""], positives=20, confusables=0, negative_speech=0,
                      long_speech=0, backgrounds=0, pico_voices=["en-US", "en-GB"],
                      piper_bundled=False)  # fmt: skip
    jobs = plan(cfg, cache_dir=lexicon_cache, words_path=small_words)
    assert {j.pitch for j in jobs if j.engine == PICO} == {70, 85, 100, 120, 145}


def test_pico_share_sets_the_fraction_of_spoken_clips(small_words: Path, lexicon_cache: Path) -> None:
    cfg = {**PICO_SMALL, "positives": 400, "confusables": 0, "negative_speech": 200}
    for share in (0.25, 0.6):
        jobs = plan(
            SynthConfig(**{**cfg, "pico_share": share}), cache_dir=lexicon_cache, words_path=small_words
        )
        spoken = [j for j in jobs if j.kind in ("positive", "speech")]
        assert abs(sum(j.engine == PICO for j in spoken) / len(spoken) - share) < 0.06, share
    with pytest.raises(ConfigError, match="pico_share"):
        plan(SynthConfig(**{**cfg, "pico_share": 1.5}), cache_dir=lexicon_cache, words_path=small_words)


def test_speakers_are_voice_by_pitch() -> None:
    spk = [s for s in speakers(SynthConfig(**PICO_SMALL)) if s.engine == PICO]
    assert [s.id for s in spk] == [
        "pico:en-US+p0.85",
        "pico:en-US+p1.2",
        "pico:en-GB+p0.85",
        "pico:en-GB+p1.2",
    ]
    assert pico.speaker_id("en-GB", 1.0) == "pico:en-GB+p1" != pico.speaker_id("en-US", 1.0)
    assert not [s for s in speakers(SynthConfig(**{**PICO_SMALL, "pico_voices": []})) if s.engine == PICO]


def test_plan_balances_pico_with_espeak_and_runs(
    small_words: Path, lexicon_cache: Path, tmp_path: Path
) -> None:
    jobs = plan(SynthConfig(**PICO_SMALL), cache_dir=lexicon_cache, words_path=small_words)
    positives = Counter(j.speaker for j in jobs if j.kind == "positive")
    assert len(positives) == 8 and set(positives.values()) == {2}  # 4 espeak + 4 Pico speakers, 2 each
    pico_jobs = [j for j in jobs if j.engine == PICO]
    assert {j.kind for j in pico_jobs} >= {"positive", "confusable"}
    assert all(not j.phonemes and j.word_gap == 0 and j.pitch in (85, 120) for j in pico_jobs)
    assert all(j.engine == ESPEAK for j in jobs if j.phonemes)
    for j in pico_jobs:
        assert pico.speaker_id(j.voice, j.pitch / 100) == j.speaker

    results = run(jobs, tmp_path, workers=2)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    done = [r for r in results if r.meta["engine"] == PICO]
    assert done and all(r.meta["licence"] == "Apache-2.0" and r.meta["speed_factor"] > 0 for r in done)
    entries = [e for e in licences(results) if e["engine"] == "svox-pico"]
    assert {e["voice"] for e in entries} == {"en-US", "en-GB"}
    assert all(e["licence"] == "Apache-2.0" and e["package"] == "py-nanotts" for e in entries)


def test_missing_package_fails_fast_with_the_install_hint(
    hide_module: Callable[[str], None], tmp_path: Path
) -> None:
    hide_module("py_nanotts")
    with pytest.raises(ToolMissingError, match=r"pip install 'wakesmith\[voices\]'"):
        plan(SynthConfig(pico_voices=["en-US"]), cache_dir=tmp_path)
    with pytest.raises(ToolMissingError, match="py-nanotts"):
        pico.require_pico()
    assert speakers(SynthConfig(voices=["en-us"], variants=[""], piper_bundled=False))  # espeak alone works
