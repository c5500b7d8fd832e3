"""The synthesis plan: every clip to make, decided up front and deterministically from the seed.

A speaker is one voice + variant combination (``espeak:en-gb+f3``), one SVOX Pico voice at one pitch
factor (``pico:en-GB+p0.85``), one Piper voice in one take style (``piper:en_US-joe-medium+n0.55+w0.95``)
or one Kokoro voice pack or blend (``kokoro:jf_alpha40+jm_kumo60``). Kokoro, slow, has its own clip budget
(``kokoro_positives``, ``kokoro_negatives``), planned last from a random stream of its own, so turning
it on adds jobs without changing any other. Positives are
spread evenly over speakers, speeds, pitches, word gaps and written forms of the phrase; each
dimension cycles through a fresh shuffle of its values, so every value is used about equally often
without walking the whole (huge) grid. Confusables are negatives (``meta.kind="confusable"``);
``hard_negative`` is reserved for clips a Judge rejected.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from wakesmith.config import SynthConfig
from wakesmith.errors import ConfigError
from wakesmith.synth import kokoro, pico, piper
from wakesmith.synth.backgrounds import BACKGROUND_KINDS
from wakesmith.synth.confusables import confusables
from wakesmith.synth.espeak import PITCH_RANGE, SPEED_RANGE, WORD_GAP_MAX, check_voice
from wakesmith.synth.languages import sentences as sentences_of
from wakesmith.synth.lexicon import DICT_WORDS, WORD, read_words

Label = Literal["positive", "negative", "background"]
Kind = Literal["positive", "confusable", "speech", "background"]
T = TypeVar("T")

ESPEAK, PICO, PIPER, KOKORO, NOISE = "espeak-ng", "pico", "piper", "kokoro", "noise"
BACKGROUND_SECONDS = (5.0, 10.0)
BACKGROUND_RMS_DB = (-45.0, -20.0)
BABBLE_SENTENCES = 8
SPEECH_WORDS = (1, 8)
"""Negative speech lasts about 0.5–3 s: one to eight words at espeak's speaking rates."""
LONG_SPEECH_WORDS = (15, 40)
"""Long negative utterances: several sentences run together, about 5–15 s at espeak's rates."""
SPEECH_MIX = (0.5, 0.3)
"""Shares of sentence fragments and whole short sentences; the rest are random dictionary words."""


@dataclass(frozen=True)
class SynthJob:
    """One clip to synthesize. ``id`` is a digest of everything else, so equal jobs share a file."""

    id: str
    label: Label
    kind: Kind
    speaker: str
    text: str
    engine: str
    voice: str = ""
    variant: str = ""
    speed: int = 0
    """Words per minute (espeak-ng's scale; Pico and Piper map it to their speed factors)."""
    pitch: int = 0
    """espeak-ng's pitch (0–99); for Pico, its pitch factor in percent (85 = 0.85); 0 for Piper."""
    word_gap: int = 0
    phonemes: bool = False
    """``text`` is espeak phoneme mnemonics, spoken via ``[[...]]``."""
    seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    """Kind-specific details: the confusable's kind and distance, a background's type and length…"""


@dataclass(frozen=True)
class Speaker:
    id: str
    engine: str
    voice: str
    variant: str = ""
    pitch: float = 0.0
    """Pico's pitch factor (a Pico speaker is one voice at one pitch); 0 for other engines."""
    style: tuple[float, float] | None = None
    """Piper's ``noise_scale`` and ``noise_w`` (a Piper speaker is one voice in one take style)."""


def _job(**fields: Any) -> SynthJob:
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return SynthJob(id=f"{fields['kind']}-{digest}", **fields)


def _cycle(values: Sequence[T], rng: random.Random) -> Iterator[T]:
    """Endless stream of the values, reshuffled each round (balanced, yet random)."""
    if not values:
        raise ConfigError("A synthesis setting list is empty; give at least one value.")
    while True:
        order = list(values)
        rng.shuffle(order)
        yield from order


def speakers(cfg: SynthConfig) -> list[Speaker]:
    """All espeak-ng voice × variant combinations (checked against the installed espeak-ng), then the
    Pico voice × pitch combinations (ToolMissingError without py-nanotts), then Piper voices (the
    bundled one first; ToolMissingError without piper-tts)."""
    out = []
    for voice in cfg.voices:
        for variant in cfg.variants:
            check_voice(voice, variant)
            sid = f"espeak:{voice}+{variant}" if variant else f"espeak:{voice}"
            out.append(Speaker(sid, ESPEAK, voice, variant))
    if cfg.pico_voices:
        pico.require_pico()
        if not cfg.pico_pitches:
            raise ConfigError(
                "synth.pico_pitches is empty; give at least one pitch factor (or pico_voices: [])."
            )
        for voice in cfg.pico_voices:
            pico.check_voice(voice)
            for p in cfg.pico_pitches:
                out.append(Speaker(pico.speaker_id(voice, p), PICO, voice, pitch=p))
    piper_paths = [Path(p) for p in cfg.piper_voices]
    if piper_paths or cfg.piper_bundled:
        piper.require_piper()
    if cfg.piper_bundled:
        piper_paths.insert(0, piper.bundled_voice())  # ToolMissingError names the voices extra
    for path in dict.fromkeys(piper_paths):
        piper.check_voice_files(path)
        out += [Speaker(piper.speaker_id(path, st), PIPER, str(path), style=st) for st in piper.TAKE_STYLES]
    if not out:
        raise ConfigError(
            "No voices to synthesize with: set synth.voices (espeak-ng), synth.pico_voices (SVOX Pico) "
            "or synth.piper_voices."
        )
    return out


def phrase_variants(phrase: str) -> list[str]:
    """Written forms that make espeak-ng vary its prosody: 'hey katya', 'Hey, Katya!', 'hey katya.'…"""
    words = phrase.split()
    if not words:
        raise ConfigError("The wake phrase is empty.")
    lower = " ".join(words).lower()
    titled = [w.capitalize() for w in words]
    exclaimed = f"{titled[0]}, {' '.join(titled[1:])}!" if len(titled) > 1 else f"{titled[0]}!"
    forms = [lower, exclaimed, f"{lower}.", f"{lower.capitalize()}?"]
    return list(dict.fromkeys(forms))


def bundled_sentences(language: str = "en") -> list[str]:
    return sentences_of(language)


def normal_words(text: str) -> str:
    """Lower-cased words only, space-joined: what "a text holds the phrase" compares."""
    return " ".join(WORD.findall(text.lower()))


def negative_texts(
    phrase: str, n: int, rng: random.Random, dictionary: Sequence[str], language: str = "en"
) -> list[str]:
    """Varied everyday speech in the phrase's language that never contains the phrase."""
    sentences, target = bundled_sentences(language), normal_words(phrase)
    short = [s for s in sentences if len(s.split()) <= SPEECH_WORDS[1] + 1]
    out: list[str] = []
    while len(out) < n:
        roll, n_words = rng.random(), rng.randint(*SPEECH_WORDS)
        if roll < SPEECH_MIX[0]:
            words = rng.choice(sentences).split()
            start = rng.randint(0, max(0, len(words) - n_words))
            text = " ".join(words[start : start + n_words])
        elif roll < sum(SPEECH_MIX):
            text = rng.choice(short)
        else:
            text = " ".join(rng.choice(dictionary) for _ in range(max(1, n_words // 2)))
        if target not in normal_words(text):
            out.append(text)
    return out


def word_runs(phrase: str, rng: random.Random, piece: Callable[[], str]) -> Iterator[str]:
    """Endless runs of LONG_SPEECH_WORDS words, joined from ``piece()``'s texts, that never contain the
    phrase."""
    target = normal_words(phrase)
    while True:
        goal, words = rng.randint(*LONG_SPEECH_WORDS), list[str]()
        while len(words) < goal:
            words += piece().split()
        text = " ".join(words[:goal])
        if target not in normal_words(text):
            yield text


def long_texts(phrase: str, n: int, rng: random.Random, language: str = "en") -> list[str]:
    """Runs of bundled sentences, LONG_SPEECH_WORDS long, that never contain the phrase: hours of
    ordinary speech from few synthesis calls."""
    sentences = bundled_sentences(language)
    return list(itertools.islice(word_runs(phrase, rng, lambda: rng.choice(sentences)), n))


def _check_settings(cfg: SynthConfig) -> None:
    """Refuse out-of-range engine settings before any work starts, not once per failed clip."""
    for name, values, (lo, hi) in (("speeds", cfg.speeds, SPEED_RANGE), ("pitches", cfg.pitches, PITCH_RANGE),
                                   ("word_gaps", cfg.word_gaps, (0, WORD_GAP_MAX))):  # fmt: skip
        bad = [v for v in values if not lo <= v <= hi]
        if bad:
            raise ConfigError(f"synth.{name} must lie in {lo}..{hi}; got {bad}.")
    for name in ("pico_share", "piper_share"):
        share = getattr(cfg, name)
        if share is not None and not 0.0 <= share <= 1.0:
            raise ConfigError(f"synth.{name} is a fraction between 0 and 1 (or null), got {share}.")
    if (cfg.pico_share or 0.0) + (cfg.piper_share or 0.0) > 1.0:
        raise ConfigError(
            f"synth.pico_share + synth.piper_share must not exceed 1 "
            f"(got {cfg.pico_share} + {cfg.piper_share})."
        )
    if cfg.pico_voices:
        p_lo, p_hi = pico.PITCH_RANGE  # jobs carry the factor in percent: two decimals at most
        bad_pitch = [
            p for p in cfg.pico_pitches if not p_lo <= p <= p_hi or abs(round(p * 100) - p * 100) > 1e-6
        ]
        if bad_pitch:
            raise ConfigError(
                f"synth.pico_pitches must lie in {p_lo}..{p_hi}, in steps of 0.01; got {bad_pitch}."
            )
    if cfg.kokoro_positives or cfg.kokoro_negatives:
        kokoro.require_kokoro()
        if not cfg.kokoro_voices:
            raise ConfigError("synth.kokoro_voices is empty; give at least one Kokoro speaker.")
        for spec in cfg.kokoro_voices:
            kokoro.parse_speaker(spec)
    for name in ("positives", "confusables", "negative_speech", "long_speech", "backgrounds",
                 "kokoro_positives", "kokoro_negatives"):  # fmt: skip
        if getattr(cfg, name) < 0:
            raise ConfigError(f"synth.{name} must be 0 or more.")


class _Draw:
    """Balanced draws of speaker and engine settings for spoken jobs.

    An engine with a share (``pico_share``, ``piper_share``) gets that fraction of the spoken clips,
    the other speakers the rest; with no share set, every speaker is drawn equally often."""

    def __init__(self, cfg: SynthConfig, spk: list[Speaker], rng: random.Random) -> None:
        self.rng = rng
        self.speaker, self.espeak = (
            _cycle(spk, rng),
            _cycle([s for s in spk if s.engine == ESPEAK] or spk, rng),
        )
        self.speed, self.pitch = _cycle(cfg.speeds, rng), _cycle(cfg.pitches, rng)
        self.gap = _cycle(cfg.word_gaps, rng)
        wanted = {PICO: cfg.pico_share, PIPER: cfg.piper_share}
        shared = {e: w for e, w in wanted.items() if w is not None and any(s.engine == e for s in spk)}
        others = [s for s in spk if s.engine not in shared]
        self.shares = list(shared.items()) if others else []
        self.by_engine = {e: _cycle([s for s in spk if s.engine == e], rng) for e, _ in self.shares}
        self.others = _cycle(others or spk, rng)

    def _speaker(self) -> Speaker:
        if not self.shares:
            return next(self.speaker)
        roll = self.rng.random()
        for engine, share in self.shares:
            if roll < share:
                return next(self.by_engine[engine])
            roll -= share
        return next(self.others)

    def job(self, label: Label, kind: Kind, text: str, *, phonemes: bool = False, **meta: Any) -> SynthJob:
        s = next(self.espeak) if phonemes else self._speaker()  # only espeak-ng speaks phoneme strings
        is_espeak = s.engine == ESPEAK  # Pico's pitch belongs to its speaker; Piper has neither setting
        pitch = next(self.pitch) if is_espeak else round(s.pitch * 100) if s.engine == PICO else 0
        speed, gap = next(self.speed), next(self.gap) if is_espeak else 0
        seed = self.rng.randrange(2**31)
        if s.style is not None:  # a Piper speaker: the voice in one take style
            meta["noise_scale"], meta["noise_w"] = s.style
        return _job(
            label=label, kind=kind, speaker=s.id, text=text, engine=s.engine, voice=s.voice,
            variant=s.variant, speed=speed, pitch=pitch, word_gap=gap, phonemes=phonemes, seed=seed,
            meta=meta,
        )  # fmt: skip


def _babble_voice(s: Speaker) -> dict[str, Any]:
    """An espeak-ng speaker as a babble job records it (without the Piper-only ``style``, so the job ids
    of backgrounds made before that field existed stay the same)."""
    fields = asdict(s)
    fields.pop("style")
    return fields


def _background_jobs(
    n: int, espeak_spk: list[Speaker], rng: random.Random, language: str = "en"
) -> Iterator[SynthJob]:
    kinds = _cycle([k for k in BACKGROUND_KINDS if espeak_spk or k != "babble"], rng)
    for _ in range(n):
        kind = next(kinds)
        meta: dict[str, Any] = {
            "background": kind,
            "seconds": round(rng.uniform(*BACKGROUND_SECONDS), 2),
            "rms_db": round(rng.uniform(*BACKGROUND_RMS_DB), 1),
        }
        if kind == "babble":
            meta["texts"] = rng.sample(bundled_sentences(language), BABBLE_SENTENCES)
            meta["speakers"] = [_babble_voice(rng.choice(espeak_spk)) for _ in range(BABBLE_SENTENCES)]
        seed = rng.randrange(2**31)
        yield _job(
            label="background", kind="background", speaker="", text="", engine=NOISE, seed=seed, meta=meta
        )


def plan(cfg: SynthConfig, *, cache_dir: Path, words_path: Path = DICT_WORDS) -> list[SynthJob]:
    """All jobs for ``cfg``: positives, confusables, negative speech, backgrounds (in that order).

    ``words_path`` is the dictionary that confusables and random negative speech draw on; its
    phonemized form is cached in ``cache_dir``.
    """
    _check_settings(cfg)
    rng = random.Random(cfg.seed)
    spk = speakers(cfg)
    espeak_spk = [s for s in spk if s.engine == ESPEAK]
    draw = _Draw(cfg, spk, rng)
    jobs: dict[str, SynthJob] = {}

    def add(job: SynthJob) -> None:
        jobs.setdefault(job.id, job)  # an exact repeat adds nothing: same settings, same audio

    forms = _cycle(phrase_variants(cfg.phrase), rng)
    for _ in range(cfg.positives):
        add(draw.job("positive", "positive", next(forms), phrase=cfg.phrase))
    n_confusables = max(cfg.confusables, cfg.kokoro_negatives)
    found = (
        confusables(
            cfg.phrase,
            n=n_confusables,
            seed=cfg.seed,
            cache_dir=cache_dir,
            words_path=words_path,
            language=cfg.language,
        )
        if n_confusables
        else []
    )
    if cfg.confusables:
        if not espeak_spk:  # only espeak-ng speaks phoneme strings
            found = [c for c in found if not c.speak_phonemes]
        for _, c in zip(range(cfg.confusables), _cycle(found, rng) if found else iter(()), strict=False):
            text = c.phonemes if c.speak_phonemes else c.text
            meta = {"confusable_kind": c.kind, "distance": c.distance, "display": c.text}
            add(draw.job("negative", "confusable", text, phonemes=c.speak_phonemes, **meta))
    if cfg.negative_speech:
        dictionary = read_words(words_path, language=cfg.language)
        for text in negative_texts(cfg.phrase, cfg.negative_speech, rng, dictionary, cfg.language):
            add(draw.job("negative", "speech", text))
    for text in long_texts(cfg.phrase, cfg.long_speech, rng, cfg.language):
        add(draw.job("negative", "speech", text, long=True))
    for job in _background_jobs(cfg.backgrounds, espeak_spk, rng, cfg.language):
        add(job)
    for job in _kokoro_jobs(cfg, [c for c in found if not c.speak_phonemes], read_words(words_path)):
        add(job)
    return list(jobs.values())


def _kokoro_jobs(cfg: SynthConfig, found: Sequence[Any], dictionary: Sequence[str]) -> Iterator[SynthJob]:
    """Kokoro's own budget: positives, then plain-text confusables and short speech (half each)."""
    if not (cfg.kokoro_positives or cfg.kokoro_negatives):
        return
    rng = random.Random(f"{cfg.seed}:kokoro")
    spk = _cycle(cfg.kokoro_voices, rng)
    taken: set[tuple[str, str, int]] = set()

    def job(label: Label, kind: Kind, text: str, **meta: Any) -> SynthJob:
        spec = next(spk)
        # A rate of its own per job, not one a take of the same text by this speaker has: Kokoro speaks
        # the same text, speaker and rate as the same audio.
        for _ in range(100):
            speed = rng.randint(*kokoro.SPEED_WPM)
            if (spec, text, speed) not in taken:
                break
        taken.add((spec, text, speed))
        return _job(label=label, kind=kind, speaker=kokoro.speaker_id(spec), text=text, engine=KOKORO,
                    voice=spec, speed=speed, seed=rng.randrange(2**31), meta=meta)  # fmt: skip

    forms = _cycle(phrase_variants(cfg.phrase), rng)
    for _ in range(cfg.kokoro_positives):
        yield job("positive", "positive", next(forms), phrase=cfg.phrase)
    n_confusable = cfg.kokoro_negatives // 2 if found else 0
    for _, c in zip(range(n_confusable), _cycle(found, rng) if found else iter(()), strict=False):
        meta = {"confusable_kind": c.kind, "distance": c.distance, "display": c.text}
        yield job("negative", "confusable", c.text, **meta)
    for text in negative_texts(cfg.phrase, cfg.kokoro_negatives - n_confusable, rng, dictionary):
        yield job("negative", "speech", text)
