"""The opt-in objectives: cross-entropy, triplet loss with P×K batches, distillation's soft targets.

Each is checked against its definition on small hand-made tensors, and "off" against the plain
task: the same seeded optimizer step gives the same weights.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from wakesmith.config import Recipe
from wakesmith.models import create_model
from wakesmith.train.data import ClipItem, EpochSampler
from wakesmith.train.losses import pairwise_distances, soft_binary_kl, triplet_loss, two_class_logits
from wakesmith.train.task import WakeWordTask

DIM = 40
FRAMES = 148


def _recipe(**sections: dict) -> Recipe:
    return Recipe.model_validate(sections)


def _batch(n: int = 8, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, FRAMES, DIM, generator=g)
    target = (torch.arange(n) % 2).float()
    hard = torch.arange(n) % 4 == 2  # half the negatives are confusables
    return x, target, torch.ones(n), hard, torch.where(target > 0.5, 100, -1)


def _stepped(
    name: str, recipe: Recipe, batch: tuple[torch.Tensor, ...], **params: object
) -> dict[str, torch.Tensor]:
    """The model's weights after one seeded SGD step of the task's training loss on ``batch`` (SGD: a
    weight moves in proportion to its gradient, so close gradients give close weights)."""
    torch.manual_seed(0)
    model = create_model(name, DIM, window_frames=FRAMES, **params)
    task = WakeWordTask(model, recipe, val_hours=1.0, steps_per_epoch=1)
    task.log = lambda *a, **k: None  # type: ignore[method-assign]  # no trainer to log to
    opt = torch.optim.SGD(task.parameters(), lr=0.1)
    torch.manual_seed(1)  # dropout
    task.training_step(batch, 0).backward()
    opt.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 0.0) -> bool:
    return all(torch.allclose(a[k].float(), b[k].float(), rtol=0, atol=atol) for k in a)


# ----------------------------------------------------------------------------- cross-entropy


@pytest.mark.parametrize("name", ["resnet18", "judge_resnet"])
def test_cross_entropy_over_two_classes_is_bce_on_their_difference(name: str) -> None:
    """The classic baseline's loss, on a softmax head (resnet18) and on a one-logit model alike."""
    torch.manual_seed(0)
    model = create_model(name, DIM).eval()
    x, target, weight, _, end = _batch()
    with torch.no_grad():
        logits, classes = two_class_logits(model, x)
        torch.testing.assert_close(logits, model(x))
        torch.testing.assert_close(torch.softmax(classes, -1)[..., 1], torch.sigmoid(logits))
        task = WakeWordTask(
            model, _recipe(loss={"loss_function": "cross_entropy"}), val_hours=1, steps_per_epoch=1
        )
        ce = task._loss(logits, target, weight, end, classes)
        bce = task._loss(logits, target, weight, end)
        torch.testing.assert_close(ce, bce)
        smooth = WakeWordTask(
            model,
            _recipe(loss={"loss_function": "cross_entropy", "label_smoothing": 0.2}),
            val_hours=1,
            steps_per_epoch=1,
        )
        smoothed = smooth._loss(logits, target, weight, end, classes)
        expected = F.cross_entropy(
            classes[:, 0], target.long(), label_smoothing=0.2
        )  # one step per window, equal weights
    torch.testing.assert_close(smoothed, expected)
    assert not torch.allclose(smoothed, ce)


def test_label_smoothing_changes_training_and_plain_cross_entropy_does_not() -> None:
    batch = _batch()
    plain = _stepped("resnet18", Recipe(), batch)
    # The same loss by other operations: equal up to float rounding.
    assert _same(plain, _stepped("resnet18", _recipe(loss={"loss_function": "cross_entropy"}), batch), 1e-6)
    smoothed = _stepped(
        "resnet18", _recipe(loss={"loss_function": "cross_entropy", "label_smoothing": 0.3}), batch
    )
    assert not _same(plain, smoothed)


# ----------------------------------------------------------------------------- triplet loss


def test_triplet_loss_follows_its_definition() -> None:
    # Four 2-D points on the unit circle: labels 0, 0, 1, 1.
    angles = torch.tensor([0.0, 0.3, 0.5, 2.0])
    emb = torch.stack([angles.cos(), angles.sin()], 1)
    labels = torch.tensor([0, 0, 1, 1])
    d = pairwise_distances(emb)
    margin = 0.5
    # hard: per anchor, farthest positive minus nearest negative, plus the margin
    expected_hard = torch.stack(
        [
            F.relu(d[0, 1] - d[0, 2] + margin),
            F.relu(d[1, 0] - d[1, 2] + margin),
            F.relu(d[2, 3] - d[2, 1] + margin),
            F.relu(d[3, 2] - d[3, 1] + margin),
        ]
    ).mean()
    torch.testing.assert_close(triplet_loss(emb, labels, margin=margin, mining="hard"), expected_hard)
    # semi-hard, pair (0, 1): d01 = 0.30; negatives at d02 = 0.50 (inside the margin) and d03 = 1.68
    semi = triplet_loss(emb, labels, margin=margin, mining="semi_hard")
    pairs = {
        (0, 1): d[0, 2],  # semi-hard: farther than the positive, within the margin
        (1, 0): d[1, 2],  # d12 = 0.2 < d10 = 0.3: no semi-hard negative → the nearest one
        (2, 3): d[2, 1],
        (3, 2): d[3, 1],
    }
    expected_semi = torch.stack([F.relu(d[a, p] - n + margin) for (a, p), n in pairs.items()]).mean()
    torch.testing.assert_close(semi, expected_semi)
    # Separated clusters cost nothing; a batch of one label has no triplet (0, yet differentiable).
    far = torch.tensor([[1.0, 0.0], [0.99, 0.1], [-1.0, 0.0], [-0.99, -0.1]], requires_grad=True)
    assert float(triplet_loss(far, labels, margin=0.2).detach()) == 0.0
    alone = triplet_loss(far, torch.zeros(4, dtype=torch.long), margin=0.2)
    alone.backward()
    assert float(alone.detach()) == 0.0 and far.grad is not None
    with pytest.raises(ValueError, match="mining"):
        triplet_loss(emb, labels, margin=0.2, mining="easy")


def test_triplet_steps_pull_a_label_together() -> None:
    torch.manual_seed(0)
    emb = torch.randn(12, 8, requires_grad=True)
    labels = torch.arange(12) % 3
    opt = torch.optim.SGD([emb], lr=1.0)
    assert float(triplet_loss(emb, labels, margin=0.5).detach()) > 0.4
    for _ in range(80):
        opt.zero_grad()
        triplet_loss(emb, labels, margin=0.5, mining="hard").backward()
        opt.step()
    # Every clip is now nearer its own label than any other by the margin.
    assert float(triplet_loss(emb, labels, margin=0.5, mining="hard").detach()) == 0.0


def test_triplet_loss_changes_training_from_its_start_epoch_only() -> None:
    batch = _batch()
    plain = _stepped("judge_resnet", Recipe(), batch)
    triplet = _recipe(loss={"loss_function": "triplet_loss"})
    assert not _same(plain, _stepped("judge_resnet", triplet, batch))
    later = _recipe(loss={"loss_function": "triplet_loss", "triplet_start_epoch": 1})
    assert _same(plain, _stepped("judge_resnet", later, batch))  # epoch 0: BCE alone


def test_triplet_loss_needs_a_window_embedding() -> None:
    from wakesmith.errors import ConfigError

    with pytest.raises(ConfigError, match="no window embedding"):
        _stepped("sentry_tcn", _recipe(loss={"loss_function": "triplet_loss"}), _batch())


def _items(positives: int, confusables: int, negatives: int) -> list[ClipItem]:
    pcm = np.zeros(10, np.int16)
    kinds = ["positive"] * positives + ["confusable"] * confusables + ["negative"] * negatives
    return [ClipItem(f"c{i}", pcm, k == "positive", 1.0, k) for i, k in enumerate(kinds)]


def test_triplet_batches_hold_k_clips_of_every_label() -> None:
    items = _items(5, 3, 40)
    recipe = _recipe(
        loss={"loss_function": "triplet_loss"}, train={"batch_size": 16, "samples_per_epoch": 64}
    )
    picks = [i for i, _, _ in EpochSampler(items, recipe)]
    assert len(picks) == 64
    kinds = np.array([items[i].kind for i in picks]).reshape(4, 16)
    for batch in kinds:  # K = 16 // 3 = 5 of each label, the 16th drawn uniformly
        for kind in ("positive", "confusable", "negative"):
            assert 5 <= (batch == kind).sum() <= 6
    # Without confusables, two labels share the batch; the plain sampler is untouched.
    two = [items[i].kind for i, _, _ in EpochSampler(_items(5, 0, 40), recipe)][:16]
    assert two.count("positive") == 8
    plain = [i for i, _, _ in EpochSampler(items, _recipe(train={"batch_size": 16, "samples_per_epoch": 64}))]
    assert plain != picks


# ----------------------------------------------------------------------------- distillation's soft targets


def test_soft_binary_kl_is_the_bernoulli_kl_scaled_by_t_squared() -> None:
    student = torch.tensor([-2.0, 0.0, 3.0])
    teacher = torch.tensor([1.0, 0.0, 3.0])
    t = 2.0
    q = torch.sigmoid(teacher / t)
    p = torch.sigmoid(student / t)
    expected = (
        torch.distributions.kl_divergence(
            torch.distributions.Bernoulli(probs=q), torch.distributions.Bernoulli(probs=p)
        )
        * t**2
    )
    torch.testing.assert_close(soft_binary_kl(student, q, t), expected)
    assert float(soft_binary_kl(teacher, q, t)[0]) == pytest.approx(0.0, abs=1e-6)
