"""The small MLP training step, its batches and the state comparison shared by the
optimizer tests that check a compiled step against eager, or a resumed run against an
uninterrupted one."""

from __future__ import annotations

import numpy as np

from autodiff import nn
from autodiff.nn import functional as F


def mlp_training(make_optimizer, dtype):
    """A 5-12-3 MLP in ``dtype``, ``make_optimizer(model.parameters())`` and a
    cross-entropy training step ``step(xb, yb) -> loss`` over them."""
    model = nn.MLP([5, 12, 3], rng=0)
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    opt = make_optimizer(model.parameters())

    def step(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return model, opt, step


def mlp_batches(n, dtype, seed=0):
    """``n`` batches of 16 inputs in ``dtype`` for ``mlp_training``, with their classes."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(16, 5)).astype(dtype), rng.integers(0, 3, size=16))
            for _ in range(n)]


def assert_same_optimizer_state(opt, other):
    """Each parameter's state in ``opt`` and ``other`` has the same keys and bytes."""
    for s, t in zip(opt.state, other.state):
        assert sorted(s) == sorted(t)
        for key in s:
            assert np.asarray(s[key]).tobytes() == np.asarray(t[key]).tobytes(), key
