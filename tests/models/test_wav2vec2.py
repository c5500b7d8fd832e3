"""``wav2vec2``: pretrained checkpoints from local files only, a frozen encoder, the raw-audio front end.

A tiny random one is trained, exported to ONNX, served by the Judge and used as a teacher in
``tests/train/test_distillation.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from wakesmith.config import FeatureConfig
from wakesmith.errors import ConfigError
from wakesmith.features import create_frontend
from wakesmith.models import create_model

transformers = pytest.importorskip("transformers")

FRAME = 320
"""20 ms of samples: one wav2vec 2.0 hidden state."""
WAVEFORM = FeatureConfig(name="waveform", window_ms=20.0, hop_ms=20.0)


def test_the_waveform_front_end_tiles_the_audio() -> None:
    fe = create_frontend(WAVEFORM)
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, 16_000).astype(np.float32)
    frames = fe(audio)
    assert frames.shape == (50, FRAME) and fe.num_frames(16_000) == 50
    np.testing.assert_array_equal(frames.reshape(-1), audio)
    stream = fe.stream()
    parts = [stream.push(audio[a : a + 777]) for a in range(0, len(audio), 777)]
    np.testing.assert_array_equal(np.concatenate(parts), frames)
    with pytest.raises(ConfigError, match=r"window_ms equal to features\.hop_ms"):
        create_frontend(FeatureConfig(name="waveform"))
    with pytest.raises(ConfigError, match="cmvn"):
        create_frontend(WAVEFORM.model_copy(update={"cmvn": True}))


def _saved_encoder(path: Path) -> dict[str, torch.Tensor]:
    torch.manual_seed(3)
    config = transformers.Wav2Vec2Config(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(16,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
    )
    encoder = transformers.Wav2Vec2Model(config)
    encoder.save_pretrained(path)
    return {k: v.clone() for k, v in encoder.state_dict().items()}


def test_a_local_checkpoint_is_loaded_and_can_be_frozen(tmp_path: Path) -> None:
    saved = _saved_encoder(tmp_path / "encoder")
    model = create_model("wav2vec2", FRAME, checkpoint=str(tmp_path / "encoder"), freeze=True)
    loaded = model.encoder.state_dict()
    assert saved.keys() == loaded.keys()
    assert all(torch.equal(saved[k], loaded[k]) for k in saved)  # the checkpoint's weights, not random ones
    assert model.head.in_features == 16  # the head follows the checkpoint's width
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"head.weight", "head.bias"}
    model.train()
    model(torch.randn(2, 75, FRAME)).sum().backward()
    assert model.head.weight.grad is not None
    assert all(p.grad is None for p in model.encoder.parameters())


def test_a_missing_checkpoint_is_a_config_error_not_a_download(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no checkpoint"):
        create_model("wav2vec2", FRAME, checkpoint=str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="no checkpoint 'someone/not-cached'"):
        create_model("wav2vec2", FRAME, checkpoint="someone/not-cached")


def test_windows_shorter_than_the_encoder_field_are_refused() -> None:
    model = create_model("wav2vec2", FRAME).eval()
    with pytest.raises(ValueError, match="at least 400 samples"):
        model(torch.zeros(1, 1, FRAME))
