"""Loss functions beyond the task's BCE, as pure functions (the task picks them by recipe).

- :func:`two_class_logits`: the (not-wake, wake) logits of any zoo model, for ``cross_entropy``;
- :func:`triplet_loss`: batch-hard or semi-hard triplet loss over L2-normalized embeddings
  (Schroff et al. 2015, FaceNet; Hermans et al. 2017 for batch-hard);
- :func:`soft_binary_kl`: the KL divergence between two softened Bernoulli distributions
  (Hinton et al. 2015 for two classes), distillation's soft-target term.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def two_class_logits(model: nn.Module, x: Tensor) -> tuple[Tensor, Tensor]:
    """``(logits [B, S], class logits [B, S, 2])`` of a zoo model.

    A model with a softmax head (``classes = 2``, e.g. ``resnet18``) gives its own two outputs; a
    one-logit model ``z`` is the two-class model ``(0, z)``, whose softmax is ``sigmoid(z)``.
    """
    if getattr(model, "classes", 1) == 2:
        z = model.class_logits(x)  # type: ignore[operator]
        return z[..., 1] - z[..., 0], z
    logits = model(x)
    return logits, torch.stack([torch.zeros_like(logits), logits], dim=-1)


def pairwise_distances(embeddings: Tensor) -> Tensor:
    """``[B, B]`` Euclidean distances between L2-normalized rows (0 … 2)."""
    z = F.normalize(embeddings.float(), dim=1)
    return (2.0 - 2.0 * z @ z.T).clamp_min(0.0).add(1e-12).sqrt()


def triplet_loss(embeddings: Tensor, labels: Tensor, *, margin: float, mining: str = "semi_hard") -> Tensor:
    """Mean triplet loss ``max(0, d(a, p) − d(a, n) + margin)`` over the batch's mined triplets.

    ``hard``: per anchor, its farthest positive and nearest negative. ``semi_hard``: per
    (anchor, positive) pair, the nearest negative that is farther than the positive but within the
    margin, or the nearest negative when none is. Anchors without a positive (a label seen once) or
    without a negative are skipped; a batch with no valid triplet gives 0 (with a gradient path).
    """
    d = pairwise_distances(embeddings)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pos_mask, neg_mask = same & ~eye, ~same
    inf = torch.tensor(float("inf"), device=d.device)
    if mining == "hard":
        valid = pos_mask.any(1) & neg_mask.any(1)
        hardest_pos = torch.where(pos_mask, d, torch.zeros_like(d)).amax(1)
        hardest_neg = torch.where(neg_mask, d, inf).amin(1)
        losses = F.relu(hardest_pos - hardest_neg + margin)[valid]
    elif mining == "semi_hard":
        a, p = torch.nonzero(pos_mask, as_tuple=True)
        d_ap = d[a, p][:, None]  # [pairs, 1]
        d_an = d[a]  # [pairs, B]
        negatives = neg_mask[a]
        semi = negatives & (d_an > d_ap) & (d_an < d_ap + margin)
        nearest_semi = torch.where(semi, d_an, inf).amin(1)
        nearest = torch.where(negatives, d_an, inf).amin(1)
        chosen = torch.where(torch.isfinite(nearest_semi), nearest_semi, nearest)
        valid = torch.isfinite(chosen)
        losses = F.relu(d_ap[:, 0] - chosen + margin)[valid]
    else:
        raise ValueError(f"unknown triplet mining {mining!r} (hard, semi_hard)")
    if losses.numel() == 0:
        return embeddings.sum() * 0.0
    return losses.mean()


def soft_binary_kl(student_logit: Tensor, teacher_prob: Tensor, temperature: float) -> Tensor:
    """Per-example ``KL(teacher ‖ student)`` between Bernoulli distributions at ``temperature``.

    ``teacher_prob`` is already softened (``sigmoid(teacher_logit / T)``, or a mixture of such);
    the result is scaled by ``T²`` so its gradient keeps the hard loss's scale (Hinton et al.).
    """
    q = teacher_prob.float().clamp(1e-6, 1 - 1e-6)
    log_p = F.logsigmoid(student_logit.float() / temperature)
    log_not_p = F.logsigmoid(-student_logit.float() / temperature)
    kl = q * (q.log() - log_p) + (1 - q) * ((1 - q).log() - log_not_p)
    return kl * temperature**2
