"""``wav2vec2``: a wav2vec 2.0 encoder (Baevski et al. 2020) with a pooled head — a Judge and a teacher.

Input: ``features.name: waveform`` frames (20 ms of raw samples each), which flatten back to the
window's waveform ``[B, T·D]``; normalized per window to zero mean and unit variance (as wav2vec 2.0's
feature extractor does), encoded to hidden states ``[B, T', H]`` (one per 20 ms), mean-pooled,
dropout, linear → one logit per window.

``checkpoint`` names a pretrained encoder: a local directory (``save_pretrained`` output) or a model
id already in the Hugging Face cache — loaded with ``local_files_only``, never downloaded. Empty, the
encoder is randomly initialized at the size the other parameters give (tests build tiny ones; a real
Judge names a checkpoint). ``freeze: true`` keeps the encoder's weights fixed (only the head learns).

``transformers`` (the ``teacher`` extra) is imported when a model is built, never by the package.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from wakesmith.errors import ConfigError
from wakesmith.models.base import WakeModel, register_model

CONV_LAYERS = 7
"""wav2vec 2.0's convolutional feature encoder: 7 layers, 320 samples (20 ms) per output frame."""
CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)
CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)
MIN_SAMPLES = 400
"""The encoder's receptive field: the shortest window that gives one hidden state."""
NORM_EPS = 1e-5


def _transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise ConfigError(
            'model.name=wav2vec2 needs transformers: pip install -e ".[teacher]" (with constraints.txt).'
        ) from None
    return transformers


def build_encoder(
    checkpoint: str, *, hidden_size: int, layers: int, heads: int, intermediate_size: int, conv_dim: int
) -> nn.Module:
    """A ``Wav2Vec2Model``: pretrained from ``checkpoint`` (local files only), else random at this size."""
    tf = _transformers()
    if checkpoint:
        try:
            return tf.Wav2Vec2Model.from_pretrained(checkpoint, local_files_only=True)
        except OSError as exc:
            raise ConfigError(
                f"wav2vec2: no checkpoint {checkpoint!r} on this machine (a directory written by "
                f"save_pretrained, or a model id already in the Hugging Face cache): {exc}"
            ) from None
    config = tf.Wav2Vec2Config(
        hidden_size=hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate_size,
        conv_dim=(conv_dim,) * CONV_LAYERS,
        conv_kernel=CONV_KERNELS,
        conv_stride=CONV_STRIDES,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
        feat_extract_norm="group",
        mask_time_prob=0.0,  # no masking inside the encoder (its learnt mask vector would go unused)
        layerdrop=0.0,
    )
    return tf.Wav2Vec2Model(config)


@register_model("wav2vec2")
class Wav2Vec2Judge(WakeModel):
    """Window classifier over raw audio: ``[B, T, D] -> [B, 1]`` for any window of ≥ 400 samples."""

    def __init__(
        self,
        input_dim: int,
        checkpoint: str = "",
        freeze: bool = False,
        hidden_size: int = 32,
        layers: int = 2,
        heads: int = 2,
        intermediate_size: int = 64,
        conv_dim: int = 32,
        dropout: float = 0.1,
    ) -> None:
        super().__init__(input_dim)
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"wav2vec2: dropout must be in [0, 1) (got {dropout}).")
        if hidden_size % heads:
            raise ConfigError(
                f"wav2vec2: hidden_size must be a multiple of heads (got {hidden_size}, {heads})."
            )
        encoder: Any = build_encoder(  # a transformers Wav2Vec2Model
            checkpoint,
            hidden_size=hidden_size,
            layers=layers,
            heads=heads,
            intermediate_size=intermediate_size,
            conv_dim=conv_dim,
        )
        if freeze:
            encoder.requires_grad_(False)
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(int(encoder.config.hidden_size), 1)

    def embed(self, x: Tensor) -> Tensor:
        self._check_input(x)
        wave = x.flatten(1)
        if wave.shape[1] < MIN_SAMPLES:
            raise ValueError(f"wav2vec2 needs windows of at least {MIN_SAMPLES} samples, got {wave.shape[1]}")
        wave = (wave - wave.mean(1, keepdim=True)) / (wave.std(1, keepdim=True) + NORM_EPS)
        return self.encoder(wave).last_hidden_state.mean(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.dropout(self.embed(x)))
