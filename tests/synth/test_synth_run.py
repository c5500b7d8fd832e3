"""The generator end to end: plan → parallel run → 16 kHz 16-bit WAVs, with the real espeak-ng."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from wakesmith.config import SAMPLE_RATE, SynthConfig
from wakesmith.errors import ConfigError
from wakesmith.synth.plan import SynthJob, phrase_variants, plan
from wakesmith.synth.run import licences, run

SMALL = {
    "voices": ["en-us", "en-gb"], "variants": ["", "f3", "m3"], "speeds": [140, 180], "pitches": [40, 60],
    "word_gaps": [0, 3], "positives": 12, "confusables": 8, "negative_speech": 6, "long_speech": 2,
    "backgrounds": 4,
    "pico_voices": [],  # espeak-ng alone here; tests/synth/test_pico.py mixes in SVOX Pico,
    "piper_bundled": False,  # and tests/synth/test_piper_voices.py the Piper voice
}  # fmt: skip


@pytest.fixture(scope="module")
def small_plan(small_words: Path, lexicon_cache: Path) -> list[SynthJob]:
    return plan(SynthConfig(**SMALL), cache_dir=lexicon_cache, words_path=small_words)


def test_plan_is_deterministic_and_balanced(
    small_plan: list[SynthJob], small_words: Path, lexicon_cache: Path
) -> None:
    again = plan(SynthConfig(**SMALL), cache_dir=lexicon_cache, words_path=small_words)
    assert [j.id for j in small_plan] == [j.id for j in again]
    other = plan(SynthConfig(**{**SMALL, "seed": 1}), cache_dir=lexicon_cache, words_path=small_words)
    assert [j.id for j in small_plan] != [j.id for j in other]

    kinds = Counter(j.kind for j in small_plan)
    assert kinds == {"positive": 12, "confusable": 8, "speech": 6 + 2, "background": 4}
    long = [j for j in small_plan if j.meta.get("long")]
    assert len(long) == 2 and all(j.kind == "speech" and len(j.text.split()) >= 15 for j in long)
    assert all("hey katya" not in j.text.lower() for j in long)
    positives = [j for j in small_plan if j.kind == "positive"]
    assert all(j.label == "positive" for j in positives)
    assert {j.label for j in small_plan if j.kind != "positive"} == {"negative", "background"}
    per_speaker = Counter(j.speaker for j in positives)  # 6 speakers, 12 positives: 2 each
    assert set(per_speaker.values()) == {2} and "espeak:en-gb+f3" in per_speaker
    assert set(Counter(j.speed for j in positives).values()) == {6}
    assert {j.text for j in positives} == set(phrase_variants("hey katya"))
    assert all(j.speaker == "" and j.engine == "noise" for j in small_plan if j.kind == "background")


def test_run_writes_valid_wavs_in_parallel(small_plan: list[SynthJob], tmp_path: Path) -> None:
    progress: list[tuple[int, int]] = []
    start = time.perf_counter()
    results = run(small_plan, tmp_path, workers=2, on_progress=lambda d, t: progress.append((d, t)))
    elapsed = time.perf_counter() - start
    assert [r.job_id for r in results] == [j.id for j in small_plan]
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert progress[-1] == (len(small_plan), len(small_plan))
    for job, r in zip(small_plan, results, strict=True):
        assert r.path is not None and r.path.name == f"{job.id}.wav"
        info = sf.info(str(r.path))
        assert (info.samplerate, info.channels, info.subtype) == (SAMPLE_RATE, 1, "PCM_16")
        assert r.label == job.label and r.source == "synthetic" and r.meta["kind"] == job.kind
        if job.kind == "positive":
            assert 0.4 < r.duration_s < 2.5
            assert {"voice", "variant", "speed", "pitch", "word_gap"} <= set(r.meta)
            assert r.meta["licence"] == "GPL-3.0-or-later" and r.meta["engine"] == "espeak-ng"
        if job.kind == "confusable":
            assert r.meta["distance"] > 0 and r.meta["confusable_kind"]
        if job.kind == "background":
            audio, _ = sf.read(str(r.path))
            assert r.duration_s == pytest.approx(r.meta["seconds"], abs=0.01)
            assert 20 * np.log10(np.sqrt(np.mean(audio**2))) == pytest.approx(r.meta["rms_db"], abs=1.0)
    entries = licences(results)
    assert {e["voice"] for e in entries if e["engine"] == "espeak-ng"} <= {
        "en-us",
        "en-gb",
        "en-us+f3",
        "en-us+m3",
        "en-gb+f3",
        "en-gb+m3",
    }
    assert elapsed < 30


def test_failed_jobs_are_reported_not_fatal(tmp_path: Path) -> None:
    good = SynthJob(id="ok-1", label="positive", kind="positive", speaker="espeak:en-us", text="hey katya",
                    engine="espeak-ng", voice="en-us", speed=160, pitch=50)  # fmt: skip
    bad = SynthJob(id="bad-1", label="negative", kind="speech", speaker="espeak:xx", text="hello",
                   engine="espeak-ng", voice="xx-nowhere", speed=160, pitch=50)  # fmt: skip
    results = run(
        [bad, good, bad.__class__(**{**bad.__dict__, "id": "bad-2", "engine": "nope"})], tmp_path, workers=2
    )
    assert [r.ok for r in results] == [False, True, False]
    assert "ConfigError" in (results[0].error or "") and results[0].path is None
    assert "nope" in (results[2].error or "")
    assert results[1].path is not None and results[1].path.is_file()


def test_existing_clips_are_reused(tmp_path: Path) -> None:
    job = SynthJob(id="p-1", label="positive", kind="positive", speaker="espeak:en-us", text="hey katya",
                   engine="espeak-ng", voice="en-us", speed=160, pitch=50)  # fmt: skip
    first = run([job], tmp_path, workers=1)[0]
    assert first.path is not None
    mtime = first.path.stat().st_mtime_ns
    again = run([job], tmp_path, workers=1)[0]
    assert again.ok and again.path == first.path and first.path.stat().st_mtime_ns == mtime
    assert again.duration_s == pytest.approx(first.duration_s, abs=1e-3)


def test_bad_settings_fail_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="variant 'f9'"):
        plan(SynthConfig(variants=["f9"], confusables=0), cache_dir=tmp_path)
    with pytest.raises(ConfigError, match="speeds"):
        plan(SynthConfig(speeds=[20], confusables=0), cache_dir=tmp_path)


def test_phrase_variants() -> None:
    assert phrase_variants("hey katya") == ["hey katya", "Hey, Katya!", "hey katya.", "Hey katya?"]
    assert phrase_variants("Alexa") == ["alexa", "Alexa!", "alexa.", "Alexa?"]
