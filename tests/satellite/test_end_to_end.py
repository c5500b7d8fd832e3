"""The cascade end to end: a WAV → the virtual satellite (INT8 sentry in pymicro-wakeword) → a real Judge
process over loopback → the expected accept/reject sequence, with the Judge's MQTT sensors on a real
mosquitto and its capture folder updated.

Models: the session's tiny sentry (``calibrated_sentry``), exported for ESPHome at the cutoff its export
calibrated on the INT8 file, and the judge fixture's ``calibrated.onnx`` at the threshold
``api.evaluate`` calibrated. No threshold is set by hand.

Clips: the tiny models are far from perfect, so the test **chooses clips they separate**, in store
order (test split first, then validation, then training speakers), each heard alone between
:data:`GAP_S` of silence exactly as in the stream: positives on which the sentry fires once and the
Judge accepts, phonetic confusables on which the sentry fires once and the Judge rejects (the
cascade's point), and ordinary speech on which the sentry stays silent. The stream interleaves them;
the evaluation's own cascade path (``trigger_samples`` + ``trigger_buffer`` + the Judge model) must
give the label-expected sequence on it, and the satellite must reproduce it over the wire sample for
sample: same triggers, same buffers, same scores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from model_fixture import JudgeFixture
from satellite_support import JudgeProcess, Subscriber

from wakesmith import api
from wakesmith.audio.io import read_audio, write_wav
from wakesmith.config import DetectorConfig, validate
from wakesmith.home import Home
from wakesmith.runtime.cascade import trigger_buffer, trigger_samples
from wakesmith.runtime.pymicro import MicroWakeWordScorer
from wakesmith.satellite import SatelliteConfig, VerdictKind, device_rule, read_shipped

pytestmark = pytest.mark.slow

GAP_S = 3.0
"""Silence before and after every clip: longer than the sentry's 3 s refractory period and its 1.8 s
receptive field, so each clip is heard as it was when chosen."""
SPLITS = ("test", "val", "train")
PER_KIND = 2
SATELLITE = "kitchen"


@dataclass(frozen=True)
class Chosen:
    kind: str  # positive, confusable, speech
    text: str
    audio: np.ndarray

    @property
    def expected(self) -> list[str]:
        return {"positive": ["accept"], "confusable": ["reject"], "speech": []}[self.kind]


class Cascade:
    """The evaluation's path: INT8 sentry at the shipped cutoff → trigger_buffer → the Judge model."""

    def __init__(self, manifest: Path, judge_model: Path) -> None:
        from wakesmith.judge.engine import JudgeModel
        from wakesmith.judge.settings import ModelSettings

        shipped = read_shipped(manifest)
        self.rule: DetectorConfig = device_rule(shipped)
        self.sentry = MicroWakeWordScorer(shipped.tflite, shipped.wake_word)
        self.judge = JudgeModel(ModelSettings(path=judge_model, name="hey_katya"))

    def triggers(self, audio: np.ndarray) -> list[tuple[int, bool, float]]:
        """(sample, accepted, Judge score) of each trigger in ``audio`` as one fresh stream."""
        out = []
        for at in trigger_samples(self.sentry.score(audio), self.sentry, self.rule):
            verdict = self.judge.verify(trigger_buffer(audio, at))
            out.append((at, verdict.prediction, verdict.confidence))
        return out


def _gap() -> np.ndarray:
    return np.zeros(round(GAP_S * 16000), np.float32)


def _choose(home: Home, cascade: Cascade) -> list[Chosen]:
    store = api.open_store(home)
    wanted = {"positive": PER_KIND, "confusable": PER_KIND, "speech": PER_KIND}
    found: dict[str, list[Chosen]] = {k: [] for k in wanted}
    for split in SPLITS:
        for label in ("positive", "negative"):
            for clip in store.clips("hey_katya", split=split, label=label):
                kind = "positive" if label == "positive" else str(clip.meta_dict().get("kind", ""))
                if kind not in wanted or len(found[kind]) >= wanted[kind]:
                    continue
                audio = store.load_audio(clip)
                verdicts = [ok for _, ok, _ in cascade.triggers(np.concatenate([_gap(), audio, _gap()]))]
                expected = {"positive": [True], "confusable": [False], "speech": []}[kind]
                if verdicts == expected:
                    found[kind].append(Chosen(kind, clip.text, audio))
    missing = {k: wanted[k] - len(v) for k, v in found.items() if len(v) < wanted[k]}
    if missing:
        pytest.fail(f"The tiny models separate too few clips (short by {missing}); train them longer.")
    return [c for pair in zip(*found.values(), strict=True) for c in pair]


@pytest.fixture(scope="module")
def stream(
    sentry_manifest: Path,
    judge_fixture: JudgeFixture,
    sentry_home: Home,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[Chosen], list[tuple[int, bool, float]]]:
    """The WAV, its clips in order, and what the evaluation's cascade path finds in it."""
    cascade = Cascade(sentry_manifest, judge_fixture.calibrated)
    chosen = _choose(sentry_home, cascade)
    audio = np.concatenate([_gap(), *(np.concatenate([c.audio, _gap()]) for c in chosen)])
    wav = write_wav(tmp_path_factory.mktemp("satellite") / "living_room.wav", audio)
    offline = cascade.triggers(read_audio(wav))
    expected = [v for c in chosen for v in c.expected]
    got = ["accept" if ok else "reject" for _, ok, _ in offline]
    assert got == expected, (
        f"in the stream the models no longer separate {[(c.kind, c.text) for c in chosen]}"
    )
    return wav, chosen, offline


def test_the_satellite_gets_the_expected_verdicts_from_a_real_judge(
    stream: tuple[Path, list[Chosen], list[tuple[int, bool, float]]],
    sentry_manifest: Path,
    judge_process: JudgeProcess,
) -> None:
    from wakesmith.judge.capture import REJECTED

    wav, chosen, offline = stream
    broker_port = judge_process.mqtt_port
    events = Subscriber(
        broker_port, [f"wakesmith/{SATELLITE}/#", f"homeassistant/sensor/wakesmith_{SATELLITE}/#"]
    )
    try:
        cfg = validate(
            SatelliteConfig,
            {
                "model": sentry_manifest,
                "wav": wav,
                "judge": judge_process.uri,
                "satellite": SATELLITE,
                "timeout_s": 20,
            },
        )
        heard = []
        report = api.satellite(cfg, on_verdict=heard.append)

        # the expected sequence: each positive accepted, each confusable rejected, speech never forwarded
        expected = [VerdictKind(v) for c in chosen for v in c.expected]
        assert [v.kind for v in report.verdicts] == expected, [(v.kind, v.detail) for v in report.verdicts]
        assert heard == report.verdicts  # printed / logged as they came
        # ... at the evaluation's trigger samples, with the Judge's score of the evaluation's buffer
        assert [v.sample for v in report.verdicts] == [at for at, _, _ in offline]
        for v, (_, _, score) in zip(report.verdicts, offline, strict=True):
            assert v.judge_score == pytest.approx(score, abs=1e-4)
            assert v.wakes == (v.kind == VerdictKind.ACCEPT)

        # the Judge's MQTT sensors for this satellite
        accepts, rejects = expected.count(VerdictKind.ACCEPT), expected.count(VerdictKind.REJECT)
        _, state, _ = events.wait_for(
            lambda m: (
                m[0] == f"wakesmith/{SATELLITE}/state" and json.loads(m[1]).get("triggers") == len(expected)
            ),
            "state with every trigger",
        )
        assert json.loads(state)["accepts"] == accepts and json.loads(state)["rejects"] == rejects
        verdict_events = [t for t in events.topics() if t == f"wakesmith/{SATELLITE}/verdict"]
        assert len(verdict_events) == len(expected)
        # Home Assistant discovers the satellite's sensors (published when the Judge first heard of it)
        events.wait_for(lambda m: m[0].endswith("/triggers/config"), "discovery of the triggers sensor")
    finally:
        events.close()

    # the capture folder holds each rejected trigger's buffer, as the satellite cut it
    rejected = sorted((judge_process.capture / REJECTED).glob("*.wav"))
    assert len(rejected) == rejects
    audio = read_audio(wav)
    for path, (at, _, _) in zip(rejected, [t for t in offline if not t[1]], strict=True):
        np.testing.assert_array_equal(read_audio(path), trigger_buffer(audio, at))
        assert json.loads(path.with_suffix(".json").read_text())["satellite"] == SATELLITE
