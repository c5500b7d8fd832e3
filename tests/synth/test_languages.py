"""``synth.language``: German and French wake words — espeak-ng's voices for the language, confusables
from its word list, negative speech in it — through to a trained, evaluated sentry whose ESPHome
manifest names the language."""

from __future__ import annotations

from pathlib import Path

import pytest

from wakesmith import api
from wakesmith.artifact import resolve_artifact
from wakesmith.config import LANGUAGES, Recipe, SynthConfig, load_recipe
from wakesmith.export.esphome import manifest
from wakesmith.home import Home
from wakesmith.synth.languages import sentences
from wakesmith.synth.lexicon import WORD, read_words
from wakesmith.synth.plan import plan

PHRASES = {"de": ("hallo katja", ("Katja", "Kati", "Katze", "hallo", "Halle", "Katharina")), "fr": (
    "salut manon",
    ("Manon", "manoir", "salut", "salue", "maman", "Marion"),
)}  # fmt: skip


def _slice(language: str, tmp: Path) -> Path:
    """Every 300th word of the language's word list plus a few sound-alikes: a lexicon in seconds."""
    _, source = LANGUAGES[language]
    if not source.is_file():
        pytest.skip(f"{source} is not installed (scripts/system-deps.sh installs it)")
    words = source.read_text(encoding="utf-8").splitlines()[::300] + list(PHRASES[language][1])
    path = tmp / f"words-{language}.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return path


def test_a_language_brings_its_voices_and_word_list_and_refuses_english_only_engines() -> None:
    de = SynthConfig(phrase="hallo katja", language="de")
    assert (de.voices, de.lexicon, de.piper_bundled) == (["de"], Path("/usr/share/dict/ngerman"), False)
    assert SynthConfig.model_validate(de.model_dump()) == de  # serialized, it reloads the same
    assert SynthConfig(language="fr", voices=["fr"]).voices == ["fr"]  # given voices are kept
    with pytest.raises(ValueError, match="not supported; pick one of en, de, fr"):
        SynthConfig(language="xx")
    with pytest.raises(ValueError, match="pico_voices speak English only"):
        SynthConfig(language="de", pico_voices=["en-US"])
    assert SynthConfig().language == "en" and SynthConfig().voices[0] == "en-us"  # English unchanged
    recipe = load_recipe("sentry", ["language=de"])
    assert recipe.eval.unseen_engine == "none"  # SVOX Pico and the Piper voice speak English
    assert Recipe().eval.unseen_engine == "pico"


def test_word_lists_and_sentences_of_other_alphabets() -> None:
    assert WORD.findall("l'été à Köln, aujourd'hui!") == ["l'été", "à", "Köln", "aujourd'hui"]
    for language in ("de", "fr"):
        lines = sentences(language)
        assert len(lines) >= 70 and len(set(lines)) == len(lines)
    assert any("ä" in s or "ö" in s or "ü" in s or "ß" in s for s in sentences("de"))
    _, ngerman = LANGUAGES["de"]
    if ngerman.is_file():
        words = read_words(ngerman, language="de")
        assert len(words) == 60_000  # evenly spaced, capped
        assert any("ä" in w for w in words) and all(w.isalpha() for w in words)


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_plan_speaks_the_language(language: str, tmp_path: Path) -> None:
    phrase, _ = PHRASES[language]
    cfg = SynthConfig(
        phrase=phrase,
        language=language,
        positives=12,
        confusables=20,
        negative_speech=20,
        backgrounds=2,
        lexicon=_slice(language, tmp_path),
    )
    jobs = plan(cfg, cache_dir=tmp_path / "cache", words_path=cfg.lexicon)
    speakers = {j.speaker.split("+")[0] for j in jobs if j.speaker}
    assert speakers <= {f"espeak:{v}" for v in LANGUAGES[language][0]}
    confusable = [j for j in jobs if j.kind == "confusable"]
    assert len(confusable) == 20 and all(phrase not in j.text for j in confusable)
    speech = " ".join(j.text for j in jobs if j.kind == "speech")
    known = {w.lower() for s in sentences(language) for w in WORD.findall(s)}
    assert len(known & set(WORD.findall(speech.lower()))) > 10  # the language's own sentences


def test_the_manifest_names_the_model_language() -> None:
    from wakesmith.config import DetectorConfig, FeatureConfig, ModelConfig
    from wakesmith.metadata import ModelMetadata

    meta = ModelMetadata(
        model_id="m",
        role="sentry",
        phrase="hallo katja",
        language="de",
        features=FeatureConfig(),
        model=ModelConfig(),
        streaming=True,
        stride=3,
        state_shapes=[[1, 16, 4]],
        detector=DetectorConfig(),
    )
    doc = manifest(meta, "m.tflite", 0.9, 5, 20_000, author="a", website=None)
    assert doc["trained_languages"] == ["de"]
    assert manifest(meta, "m.tflite", 0.9, 5, 20_000, author="a", website=None, languages=["de", "en"])[
        "trained_languages"
    ] == ["de", "en"]


@pytest.mark.slow
@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_quickstart_trains_a_german_and_a_french_sentry(language: str, tmp_path: Path) -> None:
    phrase, _ = PHRASES[language]
    synth = SynthConfig(
        phrase=phrase,
        language=language,
        # espeak-ng's 15 standard variants: 15 German speakers (45 French: three accents), enough to
        # give the speaker-grouped test split speech of its own.
        variants=["", *(f"m{i}" for i in range(1, 8)), *(f"f{i}" for i in range(1, 6)), "klatt", "klatt2"],
        speeds=[140, 175],
        pitches=[40, 60],
        word_gaps=[0],
        positives=60,
        confusables=40,
        negative_speech=50,
        backgrounds=8,
        lexicon=_slice(language, tmp_path),
    )
    home = Home.resolve(tmp_path / "home").ensure()
    summary = api.quickstart(phrase, synth=synth, sentry="tiny", skip_judge=True, home=home)
    sentry = resolve_artifact("sentry", home)
    assert (sentry.metadata.language, sentry.metadata.phrase) == (language, phrase)
    assert sentry.recipe().eval.unseen_engine == "none"
    assert [t.name for t in sentry.metadata.thresholds] == ["sensitive", "default", "strict"]
    assert summary.models and summary.models[0].role == "sentry"
    clips = api.open_store(home).clips(summary.dataset)
    voices = {v for v in LANGUAGES[language][0]}
    assert clips and all(
        c.speaker.split("+")[0].removeprefix("espeak:") in voices for c in clips if c.speaker
    )
