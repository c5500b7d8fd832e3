"""Scorers: chunk size never changes scores; ONNX and torch score alike; windows sit where they should."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from wakesmith.artifact import ModelMetadata
from wakesmith.audio.pcm import float_to_int16, int16_to_float
from wakesmith.config import SAMPLE_RATE, DetectorConfig, FeatureConfig, ModelConfig
from wakesmith.errors import ArtifactError, ConfigError
from wakesmith.export import export_onnx
from wakesmith.features import create_frontend
from wakesmith.models import StreamingWakeModel, create_model
from wakesmith.runtime import (
    FakeBackend,
    OnnxBackend,
    StreamingScorer,
    TorchBackend,
    WindowScorer,
    fake_metadata,
    make_scorer,
)

CHUNK_ATOL = 1e-6
BACKEND_ATOL = 1e-4
CLIP_SECONDS = 3.2
ModelParams = dict[str, int | float | bool | str]
SPECS: dict[str, tuple[str, FeatureConfig, ModelParams]] = {
    "sentry": ("sentry_tcn", FeatureConfig(name="micro"), {"channels": 16, "blocks": 3}),
    "judge": ("judge_resnet", FeatureConfig(name="logmel", window_ms=25.0), {"channels": 8, "blocks": 2}),
}


def _audio(seconds: float, seed: int = 0) -> np.ndarray:
    """Chirps, a tone and noise bursts: audio whose features change over time."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    chirp = np.sin(2 * np.pi * (200 + 900 * (t % 0.7)) * t)
    bursts = rng.standard_normal(len(t)) * (np.sin(2 * np.pi * 1.3 * t) > 0.5)
    return (0.3 * chirp + 0.1 * bursts + 0.05 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def _build(role: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An untrained model of ``role`` as an exported ONNX file and as a torch module."""
    name, features, params = SPECS[role]
    torch.manual_seed(0)
    model = create_model(name, create_frontend(features).dim, **params).eval()
    streaming = isinstance(model, StreamingWakeModel)
    meta = ModelMetadata(
        model_id=f"test-{role}",
        role=role,  # type: ignore[arg-type]
        phrase="hey katya",
        features=features,
        model=ModelConfig(name=name, params=params),
        streaming=streaming,
        stride=model.stride,
        window_frames=None if streaming else create_frontend(features).num_frames(24_000),
        state_shapes=[list(s.shape) for s in model.initial_state(1)]
        if isinstance(model, StreamingWakeModel)
        else [],
        detector=DetectorConfig(judge_hop_ms=100.0),
    )
    path = export_onnx(model, meta, tmp_path_factory.mktemp(role) / "model.onnx")
    return {"role": role, "onnx": OnnxBackend.load(path), "torch": TorchBackend(model, meta)}


@pytest.fixture(scope="module")
def sentry(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _build("sentry", tmp_path_factory)


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _build("judge", tmp_path_factory)


@pytest.fixture(params=list(SPECS))
def backends(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(request.getfixturevalue(str(request.param)))


def _push_in_chunks(
    scorer: StreamingScorer | WindowScorer, audio: np.ndarray, sizes: list[int]
) -> np.ndarray:
    scorer.reset()
    out, start, i = [], 0, 0
    while start < len(audio):
        n = sizes[i % len(sizes)]
        out.append(scorer.push(audio[start : start + n]))
        start, i = start + n, i + 1
    return np.concatenate(out)


CHUNKINGS = {
    "1ms": [16],
    "37ms": [592],
    "1s": [SAMPLE_RATE],
    "random": [int(n) for n in np.random.default_rng(7).integers(1, 9000, 50)],
}


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
def test_chunk_size_never_changes_scores(backends: dict[str, Any], chunking: str) -> None:
    scorer = make_scorer(backends["onnx"])
    audio = _audio(CLIP_SECONDS)
    whole = scorer.score(audio)
    assert len(whole) > 5
    np.testing.assert_allclose(
        _push_in_chunks(scorer, audio, CHUNKINGS[chunking]), whole, atol=CHUNK_ATOL, rtol=0
    )


def test_onnx_and_torch_backends_score_alike(backends: dict[str, Any]) -> None:
    audio = _audio(CLIP_SECONDS, seed=1)
    from_onnx = make_scorer(backends["onnx"]).score(audio)
    from_torch = make_scorer(backends["torch"]).score(audio)
    assert from_onnx.shape == from_torch.shape
    np.testing.assert_allclose(from_torch, from_onnx, atol=BACKEND_ATOL, rtol=0)
    assert from_onnx.std() > 0, "scores should move with the audio"


def test_score_count_and_timing(backends: dict[str, Any]) -> None:
    scorer = make_scorer(backends["onnx"])
    n = int(CLIP_SECONDS * SAMPLE_RATE)
    scores = scorer.score(_audio(CLIP_SECONDS))
    if isinstance(scorer, StreamingScorer):
        assert scorer.step_seconds == pytest.approx(0.03)
        assert scorer.first_end_s == pytest.approx(0.05)  # 3 frames of 30 ms windows, 10 ms apart
        assert len(scores) == scorer.frontend.num_frames(n) // 3
    else:
        assert isinstance(scorer, WindowScorer)
        assert scorer.step_seconds == pytest.approx(0.1)
        assert scorer.window_samples == 23_920  # 148 frames of 25 ms, 10 ms apart
        assert scorer.first_end_s == pytest.approx(1.5)  # the first multiple of the hop that holds a window
        assert len(scores) == int((n / SAMPLE_RATE - 1.5) / 0.1 + 1e-9) + 1
    # first_end_s + i * step_seconds never passes the audio pushed so far
    assert scorer.first_end_s + (len(scores) - 1) * scorer.step_seconds <= n / SAMPLE_RATE + 1e-9


def test_streaming_block_size_does_not_change_scores(sentry: dict[str, Any]) -> None:
    audio = _audio(CLIP_SECONDS, seed=2)
    big = StreamingScorer(sentry["onnx"]).score(audio)
    small = StreamingScorer(sentry["onnx"], block_steps=1).score(audio)
    np.testing.assert_allclose(small, big, atol=CHUNK_ATOL, rtol=0)


def test_window_scores_are_the_windows_ending_on_the_hop_grid(judge: dict[str, Any]) -> None:
    scorer = WindowScorer(judge["onnx"], hop_s=0.25)
    audio = _audio(CLIP_SECONDS, seed=3)
    scores = scorer.score(audio)
    hop, w = 4_000, scorer.window_samples
    ends = list(range(hop * -(-w // hop), len(audio) + 1, hop))
    feats = np.stack([scorer.frontend(audio[e - w : e]) for e in ends])
    expected = judge["onnx"].forward({"features": feats})["scores"].ravel()
    np.testing.assert_allclose(scores, expected, atol=CHUNK_ATOL, rtol=0)


def test_score_buffer_pads_at_the_start_and_takes_the_max(judge: dict[str, Any]) -> None:
    scorer = make_scorer(judge["onnx"])
    assert isinstance(scorer, WindowScorer)
    w = scorer.window_samples
    short = _audio(1.0, seed=4)
    padded = np.concatenate([np.zeros(w - len(short), np.float32), short])
    assert scorer.score_buffer(short) == pytest.approx(scorer.score_buffer(padded), abs=CHUNK_ATOL)
    assert scorer.score_buffer(short) != pytest.approx(scorer.score_buffer(short[::-1].copy()), abs=1e-4)
    two_seconds = _audio(2.0, seed=5)
    windows = [two_seconds[e - w : e] for e in range(len(two_seconds), w - 1, -scorer.hop_samples)]
    best = max(scorer.score_buffer(x) for x in windows)
    assert scorer.score_buffer(two_seconds) == pytest.approx(best, abs=CHUNK_ATOL)


def test_fake_backend_scores_flow_through_in_order() -> None:
    fake_judge = FakeBackend([0.1, 0.2, 0.95, 0.3])
    scorer = make_scorer(fake_judge)
    assert isinstance(scorer, WindowScorer)
    # a 2 s buffer holds 6 windows (ends 2.0, 1.9, … 1.5 s); their scripted scores peak at 0.95
    assert scorer.score_buffer(np.zeros(2 * SAMPLE_RATE, np.float32)) == pytest.approx(0.95)
    assert fake_judge.consumed == 6

    streaming = make_scorer(FakeBackend(np.linspace(0, 1, 11), fake_metadata("sentry")))
    got = _push_in_chunks(streaming, np.zeros(SAMPLE_RATE // 3, np.float32), [123])
    assert got.tolist() == pytest.approx(np.linspace(0, 1, 11)[: len(got)].tolist())
    assert len(got) == 10  # 5333 samples → 31 micro frames → 10 steps of 3


def test_scorer_choice_and_options() -> None:
    fake_judge = FakeBackend([], fake_metadata("judge"))
    fake_sentry = FakeBackend([], fake_metadata("sentry"))
    assert isinstance(make_scorer(fake_sentry), StreamingScorer)
    assert make_scorer(fake_judge, hop_s=0.05).step_seconds == pytest.approx(0.05)
    with pytest.raises(ConfigError, match="hop_s"):
        make_scorer(fake_sentry, hop_s=0.1)
    with pytest.raises(ArtifactError, match="StreamingScorer"):
        WindowScorer(fake_sentry)
    with pytest.raises(ArtifactError, match="WindowScorer"):
        StreamingScorer(fake_judge)


def test_scorers_take_int16_pcm_too(backends: dict[str, Any]) -> None:
    scorer = make_scorer(backends["onnx"])
    pcm = float_to_int16(_audio(2.0))
    from_pcm = scorer.score(pcm)
    np.testing.assert_array_equal(from_pcm, scorer.score(int16_to_float(pcm)))
    assert len(from_pcm) > 0
