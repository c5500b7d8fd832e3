"""Streaming building blocks: explicit state is exactly zero left-padding, and it carries over."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from wakesmith.models.layers import CausalConv1d


def test_causal_conv_from_zero_state_is_a_left_padded_conv() -> None:
    torch.manual_seed(0)
    conv = CausalConv1d(4, 4, kernel=3, dilation=2, groups=4)
    x = torch.randn(2, 4, 20)
    y, state = conv(x, torch.zeros(2, 4, conv.context))
    expected = conv.conv(F.pad(x, (conv.context, 0)))
    torch.testing.assert_close(y, expected)
    assert conv.context == 4
    torch.testing.assert_close(state, x[:, :, -4:])


def test_causal_conv_state_carries_the_left_context() -> None:
    torch.manual_seed(0)
    conv = CausalConv1d(3, 5, kernel=4)
    x = torch.randn(1, 3, 12)
    whole, _ = conv(x, torch.zeros(1, 3, conv.context))
    # Chunks shorter than the context still work: the state is the last `context` frames seen.
    state = torch.zeros(1, 3, conv.context)
    parts = []
    for chunk in x.split(2, dim=2):
        y, state = conv(chunk, state)
        parts.append(y)
    torch.testing.assert_close(torch.cat(parts, dim=2), whole)
    # Output at t depends on inputs t-3..t only.
    x2 = x.clone()
    x2[0, :, 0] += 1.0
    moved, _ = conv(x2, torch.zeros(1, 3, conv.context))
    changed = (moved - whole).abs().sum(dim=1)[0] > 0
    assert changed.tolist() == [True] * 4 + [False] * 8
