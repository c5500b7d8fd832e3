"""espeak-ng as a speech synthesizer and as a phonemizer.

Every call is one ``espeak-ng`` process: text goes in on stdin (never on the command line, so no
text can be mistaken for an option), a 22.05 kHz WAV comes out on stdout and is resampled to the
16 kHz contract. Phonemes use espeak's own ASCII mnemonics (the ``-x`` form), because that is the
form ``[[...]]`` accepts back as input: edited phoneme strings can be spoken directly.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import soxr

from wakesmith.audio.pcm import int16_to_float
from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, ConfigError, ToolMissingError, WakesmithError

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
ESPEAK_LICENCE = "GPL-3.0-or-later"
ESPEAK_URL = "https://github.com/espeak-ng/espeak-ng"
INSTALL_HINT = "Install it with `sudo apt install espeak-ng` (Debian/Ubuntu) or `brew install espeak-ng`."

SPEED_RANGE = (80, 450)
"""Words per minute that espeak-ng accepts (``-s``)."""
PITCH_RANGE = (0, 99)
WORD_GAP_MAX = 100
"""``-g`` is in units of 10 ms; a full second between words is already far from natural speech."""

TRIM_KEEP_S = 0.05
"""Silence kept before the first and after the last voiced frame."""
TRIM_FRAME_S = 0.01
TRIM_FLOOR_DB = -40.0
"""Frames this far below the loudest frame count as silence."""

TOKEN_SEP = "|"
"""Separator espeak puts between phonemes with ``--sep``; absent from every English mnemonic."""
CLAUSE_BREAKS = re.compile(r"[.,;:!?\n\r]+")
TIMEOUT_S = 60
PHONEMIZE_TIMEOUT_S = 600


def _binary() -> str:
    path = shutil.which(ESPEAK)
    if path is None:
        raise ToolMissingError(f"{ESPEAK} is not installed or not on PATH. {INSTALL_HINT}")
    return path


def _run(args: Sequence[str], stdin: bytes, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [_binary(), *args], input=stdin, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise WakesmithError(f"{ESPEAK} did not finish within {timeout:.0f} s ({' '.join(args)}).") from None


@functools.lru_cache(maxsize=1)
def espeak_version() -> str:
    """The installed espeak-ng version, e.g. ``"1.51"``."""
    out = subprocess.run([_binary(), "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"text-to-speech:\s*(\S+)", out)
    return match.group(1) if match else "unknown"


@functools.lru_cache(maxsize=1)
def available_variants() -> frozenset[str]:
    """Variant names usable after ``+`` (the file names listed by ``espeak-ng --voices=variant``)."""
    out = subprocess.run([_binary(), "--voices=variant"], capture_output=True, text=True, check=False).stdout
    # The File column reads "!v/<name>"; a name may hold one space ("Mr serious"), columns are split
    # by two or more, and an "Other Languages" column may follow ("!v/Storm   (en-us 5)").
    return frozenset(m.group(1) for m in re.finditer(r"!v/(.+?)(?:\s{2,}|\s*$)", out, re.MULTILINE))


@functools.lru_cache(maxsize=256)
def check_voice(voice: str, variant: str = "") -> None:
    """Raise ConfigError unless ``voice`` (and ``variant``, if given) exist in this espeak-ng.

    espeak-ng ignores an unknown variant silently, so variants are checked against its list.
    """
    if not voice or any(c in voice for c in "+\n\r\0"):
        raise ConfigError(
            f"Bad espeak-ng voice name {voice!r}: use a name like 'en-us' (variant separately)."
        )
    if variant:
        known = sorted(available_variants())
        if variant not in known:
            from wakesmith.registry import did_you_mean

            raise ConfigError(
                f"Unknown espeak-ng variant {variant!r}.{did_you_mean(variant, known)} "
                f"Run `espeak-ng --voices=variant` for the list ({len(known)} installed)."
            )
    _check_voice_exists(voice)


@functools.lru_cache(maxsize=64)
def _check_voice_exists(voice: str) -> None:
    proc = _run(["-q", "-v", voice], b"")
    if proc.returncode != 0:
        raise ConfigError(
            f"Unknown espeak-ng voice {voice!r}. Run `espeak-ng --voices=en` to list English voices "
            f"(MBROLA voices need their own packages)."
        )


def _voice_arg(voice: str, variant: str) -> str:
    return f"{voice}+{variant}" if variant else voice


def _check_range(name: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise ConfigError(f"espeak-ng {name} must be in {lo}..{hi}; got {value}.")


def parse_wav_stream(data: bytes) -> tuple[np.ndarray, int]:
    """Parse the 16-bit PCM WAV espeak-ng writes to stdout (its size fields are placeholders)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError(f"{ESPEAK} did not write a WAV stream ({len(data)} bytes).")
    pos, rate, channels = 12, 0, 1
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        if chunk == b"fmt ":
            channels = int.from_bytes(data[pos + 10 : pos + 12], "little")
            rate = int.from_bytes(data[pos + 12 : pos + 16], "little")
        elif chunk == b"data":
            body = data[pos + 8 :]
            body = body[: len(body) - len(body) % (2 * channels)]
            pcm = np.frombuffer(body, dtype="<i2").reshape(-1, channels)[:, 0]
            return int16_to_float(pcm), rate
        pos += 8 + size + size % 2
    raise AudioError(f"{ESPEAK} wrote a WAV without a data chunk.")


def trim_silence(
    audio: np.ndarray, sample_rate: int = SAMPLE_RATE, keep_s: float = TRIM_KEEP_S
) -> np.ndarray:
    """Cut leading and trailing silence, keeping ``keep_s`` seconds on each side of the speech."""
    frame = max(1, int(TRIM_FRAME_S * sample_rate))
    n = len(audio) // frame
    if n == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1))
    peak = float(rms.max())
    if peak <= 0.0:
        return audio[:0]
    voiced = np.flatnonzero(rms > peak * 10 ** (TRIM_FLOOR_DB / 20))
    keep = int(keep_s * sample_rate)
    start = max(0, int(voiced[0]) * frame - keep)
    end = min(len(audio), (int(voiced[-1]) + 1) * frame + keep)
    return audio[start:end]


def synthesize(
    text: str,
    *,
    voice: str = "en-us",
    variant: str = "",
    speed: int = 160,
    pitch: int = 50,
    word_gap: int = 0,
    phonemes: bool = False,
) -> np.ndarray:
    """Speak ``text`` with espeak-ng; return float32 mono 16 kHz audio in [-1, 1], lightly trimmed.

    With ``phonemes=True`` the text is a string of espeak phoneme mnemonics (as :func:`phonemize`
    returns them) and is spoken exactly as written, bypassing the pronunciation rules.
    """
    _check_range("speed", speed, *SPEED_RANGE)
    _check_range("pitch", pitch, *PITCH_RANGE)
    _check_range("word gap", word_gap, 0, WORD_GAP_MAX)
    check_voice(voice, variant)
    if "[[" in text or "]]" in text:
        raise ConfigError(f"Text {text!r} contains '[[' or ']]'; pass phoneme strings with phonemes=True.")
    spoken = f"[[{text}]]" if phonemes else text
    if not spoken.strip("[] \t\n"):
        raise ConfigError("Nothing to speak: the text is empty.")
    args = ["--stdout", "--stdin", "-b", "1", "-v", _voice_arg(voice, variant),
            "-s", str(speed), "-p", str(pitch), "-g", str(word_gap)]  # fmt: skip
    proc = _run(args, spoken.encode("utf-8"))
    if proc.returncode != 0:
        raise WakesmithError(f"{ESPEAK} failed for {text!r}: {proc.stderr.decode(errors='replace').strip()}")
    audio, rate = parse_wav_stream(proc.stdout)
    if rate != SAMPLE_RATE:
        audio = soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ").astype(np.float32)
    audio = trim_silence(np.clip(audio, -1.0, 1.0))
    if audio.size == 0:
        raise AudioError(f"{ESPEAK} produced only silence for {text!r} ({_voice_arg(voice, variant)}).")
    return audio


def _phonemize_lines(lines: list[str], voice: str, flags: list[str]) -> list[str]:
    """One espeak-ng process for many lines; split and retry if its output does not line up."""
    proc = _run(["-q", "-b", "1", "-v", voice, *flags], ("\n".join(lines) + "\n").encode("utf-8"),
                timeout=PHONEMIZE_TIMEOUT_S)  # fmt: skip
    if proc.returncode != 0:
        raise WakesmithError(f"{ESPEAK} phonemization failed: {proc.stderr.decode(errors='replace').strip()}")
    out = [line.strip() for line in proc.stdout.decode("utf-8", errors="replace").splitlines()]
    if len(out) == len(lines):
        return out
    # A line that espeak splits into two clauses shifts everything after it: bisect to find it.
    if len(lines) == 1:
        return [" ".join(x for x in out if x)]
    mid = len(lines) // 2
    return _phonemize_lines(lines[:mid], voice, flags) + _phonemize_lines(lines[mid:], voice, flags)


def phonemize(
    texts: Sequence[str], voice: str = "en-us", *, ipa: bool = False, sep: str = "", workers: int = 1
) -> list[str]:
    """Phonemes of many texts with one espeak-ng process per worker (one line per text).

    Returns espeak mnemonics (``"h'eI k'at#I;@"``, the form ``[[...]]`` speaks) or, with ``ipa=True``,
    IPA. ``sep`` puts a separator between phonemes (words stay space-separated). Clause punctuation
    is dropped because it would make espeak emit one line per clause.
    """
    check_voice(voice)
    lines = [CLAUSE_BREAKS.sub(" ", t).strip() for t in texts]
    flags = ["--ipa" if ipa else "-x"] + ([f"--sep={sep}"] if sep else [])
    if not lines:
        return []
    n_jobs = max(1, min(workers if workers > 0 else os.cpu_count() or 1, len(lines)))
    bounds = np.linspace(0, len(lines), n_jobs + 1).astype(int)
    chunks = [lines[a:b] for a, b in itertools.pairwise(bounds)]
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:  # threads only wait on subprocesses
        parts = list(pool.map(lambda chunk: _phonemize_lines(chunk, voice, flags), chunks))
    return [p for part in parts for p in part]


def ipa_with_ties(text: str, voice: str = "en-us") -> str:
    """IPA of one text with espeak-ng's ``--ipa=3`` (multi-letter phonemes joined by U+200D)."""
    check_voice(voice)
    proc = _run(["-q", "--ipa=3", "-v", voice], text.encode("utf-8"))
    if proc.returncode != 0:
        raise WakesmithError(f"{ESPEAK} could not phonemize {text!r}: {proc.stderr.decode(errors='replace')}")
    return " ".join(proc.stdout.decode("utf-8", errors="replace").split())


def phoneme_words(texts: Sequence[str], voice: str = "en-us", *, workers: int = 1) -> list[list[list[str]]]:
    """Tokenized phonemes: per text, per word, the list of phonemes (stress marks stay attached)."""
    joined = phonemize(texts, voice, sep=TOKEN_SEP, workers=workers)
    return [[[t for t in w.split(TOKEN_SEP) if t] for w in line.split()] for line in joined]


def voice_licence(voice: str, variant: str = "") -> dict[str, str]:
    """Licence-manifest entry for clips made with this espeak-ng voice."""
    return {
        "engine": ESPEAK,
        "voice": _voice_arg(voice, variant),
        "version": espeak_version(),
        "licence": ESPEAK_LICENCE,
        "url": ESPEAK_URL,
    }
