"""Forgetting ``model.eval()`` is silent, as in PyTorch, but a graph shows the mode: in
training the dropout mask is a named constant (``dropout(p=0.5, training=True) mask``)
in ``viz.text``; in eval mode there is no such step."""

from __future__ import annotations

import numpy as np

import autodiff as ad
from autodiff import nn


def _model():
    return nn.Sequential(nn.Linear(3, 4, rng=0), nn.Dropout(0.5, rng=1))


def test_training_graph_names_the_dropout_mask_and_eval_graph_has_none():
    model = _model()
    x = ad.tensor(np.ones((2, 3)))
    assert "dropout(p=0.5, training=True) mask" in ad.viz.text(model(x))
    model.eval()
    assert "dropout" not in ad.viz.text(model(x))


def test_functional_and_inplace_dropout_name_the_mask_and_keep_the_gradient():
    x = ad.tensor(np.ones((4, 5)), requires_grad=True)
    out = nn.functional.dropout(x, p=0.25, rng=3)
    assert "dropout(p=0.25, training=True) mask" in ad.viz.text(out)
    out.sum().backward()
    kept = out.data != 0
    np.testing.assert_allclose(x.grad, np.where(kept, 1 / 0.75, 0.0))
    y = x * 1.0
    written = nn.functional.dropout(y, p=0.25, inplace=True, rng=3)
    assert written is y
    assert "dropout(p=0.25, training=True) mask" in ad.viz.text(written)
    np.testing.assert_array_equal(written.data, out.data)


def test_a_compiled_step_with_dropout_draws_a_new_mask_each_call():
    model = _model()
    step = ad.compile(lambda x: model(x).sum())
    x = ad.tensor(np.ones((8, 3)))
    values = {float(step(x).data) for _ in range(4)}
    assert len(values) > 1
