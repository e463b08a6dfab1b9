"""The new layers inside compiled steps: what they draw or compute off the tape (rrelu
slopes, alpha dropout masks, Gumbel noise, pooling indices, bag matrices, sampling
pixels) is made again at each replay, so compiled steps agree with eager twins."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F


def _layers(case):
    """A fresh (parameter, step) pair for ``case``; the step returns values and the
    parameter's gradient."""
    w = ad.tensor(np.linspace(0.5, 1.5, 24).reshape(1, 2, 3, 4), requires_grad=True)
    gen = np.random.default_rng(3)
    table = ad.tensor(np.linspace(-1.0, 1.0, 30).reshape(10, 3), requires_grad=True)
    ids, offsets = np.array([3, 1, 4, 1, 5, 9]), np.array([0, 2, 2])

    def step(x):
        h = w * x
        if case == "rrelu_":
            h = h - 1.0
            F.rrelu_(h, 0.1, 0.3, training=True, rng=gen)
        elif case == "alpha_dropout":
            h = F.alpha_dropout(h, 0.3, True, rng=gen)
        elif case == "gumbel_softmax":
            h = F.gumbel_softmax(h, tau=0.5, hard=True, rng=gen)
        elif case == "max_unpool2d":
            pooled, indices = F.max_pool2d(h, 2, return_indices=True)
            h = F.max_unpool2d(pooled * 2.0, indices, 2)
        elif case == "max_pool3d indices":
            pooled, indices = F.max_pool3d(h[None], (1, 2, 2), return_indices=True)
            h = F.max_unpool3d(pooled, indices, (1, 2, 2), output_size=(2, 3, 4))[0]
        elif case == "embedding_bag":
            h = F.embedding_bag(ids, table * w.sum(), offsets, mode="max") * ad.tensor(x).sum()
        elif case == "pdist":
            h = F.pdist(h.reshape(6, 4))
        elif case == "grid_sample":
            grid = ad.transpose(ad.tanh(h[0]), (1, 2, 0))[None]        # (1, 3, 4, 2)
            h = F.grid_sample(h, grid, align_corners=False)
        w.grad, table.grad = None, None
        (h * h).sum().backward()
        return h, w.grad
    return step


CASES = ["rrelu_", "alpha_dropout", "gumbel_softmax", "max_unpool2d", "max_pool3d indices",
         "embedding_bag", "grid_sample", "pdist"]


@pytest.mark.parametrize("case", CASES)
def test_compiled_steps_agree_with_eager_at_every_replay(case):
    inputs = [np.random.default_rng(k).standard_normal((1, 2, 3, 4)) for k in range(4)]
    eager_step, compiled_step = _layers(case), ad.compile(_layers(case))
    for x in inputs:
        for a, b in zip(eager_step(x), compiled_step(x)):
            np.testing.assert_allclose(np.asarray(getattr(b, "data", b)),
                                       np.asarray(getattr(a, "data", a)), rtol=1e-12,
                                       atol=1e-300)


def test_unpool_indices_are_checked_at_each_replay():
    def step(values, indices):
        return F.max_unpool1d(ad.tensor(values), ad.tensor(indices), 2)
    compiled = ad.compile(step)
    compiled(np.ones((1, 1, 2)), np.array([[[0, 3]]]))
    with pytest.raises(ValueError, match="max_unpool1d: index 9 is outside the output plane"):
        compiled(np.ones((1, 1, 2)), np.array([[[0, 9]]]))


def test_a_compiled_model_with_the_new_layers_trains_as_eager():
    def make():
        model = nn.Sequential(nn.Conv3d(1, 2, 2, rng=0), nn.Hardshrink(0.1),
                              nn.MaxPool3d((1, 2, 2)), nn.Flatten(), nn.Linear(16, 3, rng=1))
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(ad.tensor(x)), y)
            loss.backward()
            opt.step()
            return loss
        return model, step
    (eager_model, eager_step), (compiled_model, step) = make(), make()
    compiled = ad.compile(step)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x, y = rng.standard_normal((2, 1, 3, 5, 5)), np.array([0, 2])
        np.testing.assert_allclose(compiled(x, y).data, eager_step(x, y).data, rtol=1e-12)
    for a, b in zip(eager_model.parameters(), compiled_model.parameters()):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-12)
