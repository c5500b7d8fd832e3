"""HTTP: /verify answers with the verdict shape, /health and /metrics report what happened."""

from __future__ import annotations

import httpx
import numpy as np

from conftest import RunningJudge
from wakesmith.audio.io import to_pcm16, wav_bytes


def _wav(audio: np.ndarray, rate: int = 16000) -> bytes:
    return wav_bytes(to_pcm16(audio), sample_rate=rate)


def test_verify_accepts_positive_and_rejects_negative(
    judge: RunningJudge, positive: np.ndarray, negative: np.ndarray
) -> None:
    form = {"satellite": "hall", "sentry_score": "0.8"}
    pos = httpx.post(f"{judge.http}/verify", files={"audio": ("p.wav", _wav(positive))}, data=form).json()
    assert set(pos) == {"prediction", "confidence", "label", "model", "latency_ms"}
    assert pos["prediction"] is True and pos["label"] == "wake_word" and pos["model"] == "hey_katya"
    assert 0 < pos["latency_ms"] < 1000
    neg = httpx.post(f"{judge.http}/verify", files={"audio": ("n.wav", _wav(negative))}, data=form).json()
    assert neg["prediction"] is False and neg["label"] == "not_wake_word"
    assert neg["confidence"] < pos["confidence"]
    hall = judge.core.telemetry.stats["hall"]
    assert hall.accepts >= 1 and hall.rejects >= 1


def test_verify_with_a_named_model_and_unknown_model(judge: RunningJudge, positive: np.ndarray) -> None:
    files = {"audio": ("p.wav", _wav(positive))}
    strict = httpx.post(f"{judge.http}/verify", files=files, data={"model": "strict_katya"}).json()
    assert strict["model"] == "strict_katya" and strict["prediction"] is False
    r = httpx.post(f"{judge.http}/verify", files=files, data={"model": "nope"})
    assert r.status_code == 404 and "hey_katya" in r.json()["detail"]


def test_health_and_metrics(judge: RunningJudge, positive: np.ndarray) -> None:
    health = httpx.get(f"{judge.http}/health").json()
    assert health == {"status": "ok", "mqtt": None}  # only what a health check needs
    httpx.post(f"{judge.http}/verify", files={"audio": ("p.wav", _wav(positive))})
    text = httpx.get(f"{judge.http}/metrics").text
    prefix = 'wakesmith_judge_verdicts_total{model="hey_katya",result="wake_word"}'
    line = next(x for x in text.splitlines() if x.startswith(prefix))
    assert float(line.split()[-1]) >= 1
    assert "wakesmith_judge_verify_seconds_bucket" in text
