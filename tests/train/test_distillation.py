"""Distillation end to end on tiny data, with zoo models as teachers.

Four tiny judges are trained once — ``judge_resnet``; ``tinyconv`` with cross-entropy (a fixed-window
model whose window must survive the round trip through the artifact); ``wav2vec2`` on raw audio and
``conformer``, the dual teacher — then distilled into the tiny sentry: one teacher, two teachers with
feature alignment, and "off" (the plain run's weights exactly).
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from wakesmith import api
from wakesmith.artifact import Artifact
from wakesmith.errors import ArtifactError, ConfigError
from wakesmith.home import Home
from wakesmith.judge.engine import JudgeModel
from wakesmith.judge.settings import ModelSettings

pytestmark = pytest.mark.slow

STUDENT = ["train.epochs=1", "train.samples_per_epoch=176", "train.batch_size=16", "train.num_workers=0"]
"""11 steps: Lightning writes training metrics every 10th."""
JUDGE = [
    "train.epochs=1",
    "train.samples_per_epoch=64",
    "train.batch_size=16",
    "train.num_workers=0",
]
SETTLED = "reset_state_"
"""The tiny sentry's reset offsets, set after training (not trained weights)."""


WAV2VEC2 = [
    "model.name=wav2vec2",
    "model.params={}",
    "features.name=waveform",
    "features.window_ms=20",
    "features.hop_ms=20",
    "features.agc_dbfs=null",
    "features.cmvn=false",
    "augment.specaugment=false",
]


@dataclass
class Teachers:
    home: Home
    resnet: Artifact
    tinyconv: Artifact
    wav2vec2: Artifact
    conformer: Artifact


@pytest.fixture(scope="module")
def teachers(tiny_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Teachers:
    pytest.importorskip("transformers")
    target = tmp_path_factory.mktemp("distil") / "home"
    shutil.copytree(tiny_home.root, target, ignore=shutil.ignore_patterns("runs", "models", "streams"))
    home = Home.resolve(target).ensure()

    def judge(*overrides: str) -> Artifact:
        return api.train("judge", overrides=[*JUDGE, *overrides], home=home).artifact

    return Teachers(
        home,
        resnet=judge(),
        tinyconv=judge("model.name=tinyconv", "model.params={}", "loss.loss_function=cross_entropy"),
        wav2vec2=judge(*WAV2VEC2),
        conformer=judge("model.name=conformer", "model.params={}"),
    )


def _weights(artifact: Artifact) -> dict[str, torch.Tensor]:
    state = torch.load(artifact.weights_path, map_location="cpu", weights_only=False)["state_dict"]
    return {k: v for k, v in state.items() if not k.startswith(SETTLED)}


def _logged(run_dir: Path, key: str) -> list[float]:
    """Every value Lightning's CSV logger wrote for ``key`` (empty if it never logged it)."""
    with (run_dir / "logs" / "version_0" / "metrics.csv").open() as f:
        return [float(row[key]) for row in csv.DictReader(f) if row.get(key)]


def test_zoo_judges_are_served_from_their_files(teachers: Teachers) -> None:
    tiny = teachers.tinyconv
    assert tiny.metadata.model.name == "tinyconv" and tiny.metadata.window_frames == 148
    assert "window_frames" not in tiny.metadata.model.params  # it follows the window, not the recipe
    store = api.open_store(teachers.home)
    clip = store.load_audio(store.clips("hey_katya", split="test", label="positive")[0])
    audio = np.concatenate([np.zeros(8000, np.float32), clip, np.zeros(8000, np.float32)])
    w2v = teachers.wav2vec2.metadata
    assert (w2v.features.name, w2v.window_frames) == ("waveform", 75)  # 1.5 s of 20 ms frames of samples
    for artifact in (teachers.resnet, tiny, teachers.wav2vec2, teachers.conformer):
        verdict = JudgeModel(ModelSettings(path=artifact.onnx_path)).verify(audio)
        assert 0.0 < verdict.confidence < 1.0


def test_one_teacher_changes_training_and_off_is_the_plain_run(teachers: Teachers) -> None:
    home, resnet = teachers.home, teachers.resnet
    plain = api.train("tiny", overrides=STUDENT, home=home)
    off = api.train("tiny", overrides=[*STUDENT, f"distillation.teachers=[{resnet.model_id}]"], home=home)
    distilled = api.train(
        "tiny",
        overrides=[*STUDENT, "distillation.enabled=true", f"distillation.teachers=[{resnet.model_id}]"],
        home=home,
    )
    a, b, c = _weights(plain.artifact), _weights(off.artifact), _weights(distilled.artifact)
    assert all(torch.equal(a[k], b[k]) for k in a)  # listed but not enabled: exactly the plain run
    assert any(not torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())
    assert a.keys() == c.keys()  # the artifact holds the student alone
    kd = _logged(distilled.run_dir, "train/kd")
    assert kd and all(v > 0 for v in kd)
    assert not _logged(plain.run_dir, "train/kd")


def test_two_teachers_with_feature_alignment(teachers: Teachers) -> None:
    """wav2vec2 + conformer, each with a layer aligned to a student block ([B, T, C] outputs)."""
    w2v, conformer = teachers.wav2vec2, teachers.conformer
    align = (
        "distillation.align=["
        "{student: blocks.1, teacher: encoder.encoder.layers.1, teacher_layout: channels_last},"
        " {student: blocks.0.pointwise, teacher: blocks.0, teacher_index: 1, teacher_layout: channels_last}]"
    )
    summary = api.train(
        "tiny",
        overrides=[
            *STUDENT,
            "distillation.enabled=true",
            f"distillation.teachers=[{w2v.model_id}, {conformer.model_id}]",
            align,
        ],
        home=teachers.home,
    )
    ckpt = torch.load(summary.run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    projectors = {k: tuple(v.shape) for k, v in ckpt["state_dict"].items() if k.startswith("alignment.")}
    # sentry blocks: 16 channels; the tiny wav2vec2's hidden states: 32; the conformer's: 64.
    assert projectors == {
        "alignment.projectors.0.weight": (32, 16),
        "alignment.projectors.0.bias": (32,),
        "alignment.projectors.1.weight": (64, 16),
        "alignment.projectors.1.bias": (64,),
    }
    assert not any(k.startswith("alignment") for k in _weights(summary.artifact))
    align_loss = _logged(summary.run_dir, "train/align")
    assert align_loss and all(v > 0 for v in align_loss)
    assert _logged(summary.run_dir, "train/kd")


def test_teachers_are_checked_before_training(teachers: Teachers) -> None:
    home, resnet = teachers.home, teachers.resnet
    on = [*STUDENT, "distillation.enabled=true"]
    with pytest.raises(ConfigError, match="one or two teachers"):
        api.train("tiny", overrides=on, home=home)
    with pytest.raises(ConfigError, match="by its model id"):
        api.train("tiny", overrides=[*on, "distillation.teachers=[judge]"], home=home)
    with pytest.raises(ArtifactError, match="No model 'nope'"):
        api.train("tiny", overrides=[*on, "distillation.teachers=[nope]"], home=home)
    with pytest.raises(ConfigError, match=r"no layer 'blocks\.9'.*its layers: stem"):
        api.train(
            "tiny",
            overrides=[
                *on,
                f"distillation.teachers=[{resnet.model_id}]",
                "distillation.align=[{student: blocks.9, teacher: blocks.0}]",
            ],
            home=home,
        )
