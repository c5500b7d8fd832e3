"""A long recording scored in spans on several processes scores as one stream from a reset: the INT8
ESPHome file in pymicro-wakeword to the bit, the float ONNX within the block-size tolerance; where a
scorer cannot be rebuilt in another process, or the file is short, it is scored in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from wakesmith.artifact import Artifact
from wakesmith.config import SAMPLE_RATE
from wakesmith.data.store import ClipStore
from wakesmith.errors import AudioError
from wakesmith.home import Home
from wakesmith.runtime import OnnxBackend, TorchBackend, make_scorer
from wakesmith.runtime.parallel import replica_of, score_file, spans
from wakesmith.runtime.pymicro import MicroWakeWordScorer

SECONDS = 100.0
SPAN_S = 30.0
"""3 spans of ~33 s, each with 30 s of warm-up before it (the defaults: 5 h spans on a 10 h stream)."""
FLOAT_ATOL = 1e-5


@pytest.fixture(scope="module")
def long_stream(edge_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 s of the session dataset's speech and positives run together, at varied levels."""
    store = ClipStore(edge_home)
    clips = [store.load_audio(c) for c in store.clips("hey_katya", split="test")]
    rng = np.random.default_rng(0)
    parts, total = [], 0
    while total < SECONDS * SAMPLE_RATE:
        clip = clips[int(rng.integers(len(clips)))] * float(rng.uniform(0.2, 1.5))
        parts += [clip, 0.003 * rng.standard_normal(int(rng.integers(0, SAMPLE_RATE)))]
        total += len(clip) + len(parts[-1])
    path = tmp_path_factory.mktemp("parallel") / "stream.wav"
    sf.write(path, np.clip(np.concatenate(parts)[: int(SECONDS * SAMPLE_RATE)], -1, 1), SAMPLE_RATE)
    return path


def _serial(scorer, path: Path) -> np.ndarray:  # type: ignore[no-untyped-def]
    audio, _ = sf.read(str(path), dtype="float32")
    return scorer.score(audio)


def test_the_int8_file_scores_the_same_in_spans(esphome_manifest: Path, long_stream: Path) -> None:
    scorer = MicroWakeWordScorer(esphome_manifest.with_suffix(".tflite"))
    want = _serial(scorer, long_stream)
    got = score_file(scorer, long_stream, workers=3, min_span_s=SPAN_S)
    np.testing.assert_array_equal(got, want)
    assert want.max() > 0.5 > want.min()  # it heard its phrase and the speech around it


def test_the_float_onnx_scores_the_same_in_spans(trained_sentry: Artifact, long_stream: Path) -> None:
    scorer = make_scorer(OnnxBackend.load(trained_sentry.onnx_path))
    want = _serial(scorer, long_stream)
    got = score_file(scorer, long_stream, workers=3, min_span_s=SPAN_S)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=FLOAT_ATOL)


def test_scorers_that_cannot_travel_and_short_files_are_scored_in_process(
    trained_sentry: Artifact, long_stream: Path
) -> None:
    torch_scorer = make_scorer(TorchBackend.load(trained_sentry.path))
    assert replica_of(torch_scorer) is None
    got = score_file(torch_scorer, long_stream, workers=3, min_span_s=SPAN_S)
    np.testing.assert_allclose(got, _serial(torch_scorer, long_stream), atol=FLOAT_ATOL)
    onnx = make_scorer(OnnxBackend.load(trained_sentry.onnx_path))
    assert replica_of(onnx) is not None
    np.testing.assert_allclose(score_file(onnx, long_stream), _serial(onnx, long_stream), atol=FLOAT_ATOL)


def test_spans_cover_every_step_once() -> None:
    step, first_end, warm = 480, 800, 480 * 1000
    frames = 10 * 3600 * SAMPLE_RATE + 123
    parts = spans(frames, step, first_end, 2, warm)
    assert parts[0][0] == 0 and parts[0][2] == 0 and parts[-1][1] == frames
    n_steps = lambda length: (length - first_end) // step + 1  # noqa: E731
    kept = [n_steps(stop - start) - keep for start, stop, keep in parts]
    assert sum(kept) == n_steps(frames)
    for (start, _, keep), (_, prev_stop, _) in zip(parts[1:], parts[:-1], strict=True):
        first_kept_end = start + first_end + keep * step  # the first step a span keeps ends one step
        assert first_kept_end == prev_stop + step  # after the last step the span before it kept
        assert keep * step == warm


def test_a_wrong_rate_or_a_corrupt_file_is_refused_with_what_to_do(
    trained_sentry: Artifact, tmp_path: Path
) -> None:
    scorer = make_scorer(OnnxBackend.load(trained_sentry.onnx_path))
    sf.write(tmp_path / "44k.wav", np.zeros(44_100, np.float32), 44_100)
    with pytest.raises(AudioError, match="44100 Hz; scorers take 16000 Hz audio: resample it"):
        score_file(scorer, tmp_path / "44k.wav")
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x01not a wave at all")
    with pytest.raises(AudioError, match="is not a readable WAV"):
        score_file(scorer, tmp_path / "broken.wav")
