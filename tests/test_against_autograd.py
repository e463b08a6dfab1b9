"""Random programs differentiated by autodiff and by HIPS autograd must agree.

Each program is a random composition of ops on two inputs of broadcastable shapes,
written once with a generic namespace ``xp`` so the same code runs under both
libraries; the gradients must match to float64 round-off.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad

autograd = pytest.importorskip("autograd")
anp = autograd.numpy

UNARY = [
    lambda xp, a: xp.tanh(a), lambda xp, a: xp.sin(a) * a, lambda xp, a: xp.exp(-a * a),
    lambda xp, a: xp.sqrt(a * a + 1.0), lambda xp, a: xp.log(a * a + 0.5),
    lambda xp, a: a ** 3 - 2.0 * a, lambda xp, a: xp.maximum(a, 0.3 * a),
    lambda xp, a: xp.where(a > 0, a, xp.exp(a) - 1.0), lambda xp, a: 1.0 / (1.0 + a * a),
    lambda xp, a: xp.abs(a) * xp.cos(a),
]
BINARY = [
    lambda xp, a, b: a * b, lambda xp, a, b: a + b, lambda xp, a, b: a - 2.0 * b,
    lambda xp, a, b: a / (1.5 + b * b), lambda xp, a, b: xp.maximum(a, b),
    lambda xp, a, b: xp.where(a > b, a * b, a - b),
]
REDUCE = [
    lambda xp, a: xp.sum(a), lambda xp, a: xp.mean(a * a),
    lambda xp, a: xp.sum(xp.max(a, axis=-1)) if a.ndim else a,
    lambda xp, a: xp.sum(xp.mean(a, axis=0, keepdims=True) * 2.0) if a.ndim else a,
]


def run_program(xp, plan, a, b):
    u_ops, b_ops, reduce = plan
    x, y = a, b
    for i, (u, bo) in enumerate(zip(u_ops, b_ops)):
        x = UNARY[u](xp, x)
        x = BINARY[bo](xp, x, y)
        y = UNARY[(u + i) % len(UNARY)](xp, y)
    return REDUCE[reduce](xp, x + y)


@pytest.mark.filterwarnings("ignore:Output seems independent of input")
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       depth=st.integers(1, 4), data=st.data())
def test_random_programs_match_autograd(shapes, depth, data):
    u_ops = data.draw(st.lists(st.integers(0, len(UNARY) - 1), min_size=depth, max_size=depth))
    b_ops = data.draw(st.lists(st.integers(0, len(BINARY) - 1), min_size=depth, max_size=depth))
    reduce = data.draw(st.integers(0, len(REDUCE) - 1))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.5, 1.5, shapes.input_shapes[0])
    b = rng.uniform(-1.5, 1.5, shapes.input_shapes[1])
    plan = (u_ops, b_ops, reduce)

    ours = ad.grad(lambda s, t: run_program(np, plan, s, t), argnums=(0, 1))(a, b)
    theirs = autograd.grad(lambda s, t: run_program(anp, plan, s, t), argnum=(0, 1))(a, b)
    for mine, ref in zip(ours, theirs):
        assert mine.shape == np.shape(ref)
        np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-14)

    second = ad.grad(lambda s: ad.sum(ad.grad(lambda t: run_program(np, plan, t, b))(s) ** 2))(a)
    second_ref = autograd.grad(
        lambda s: anp.sum(autograd.grad(lambda t: run_program(anp, plan, t, b))(s) ** 2))(a)
    np.testing.assert_allclose(second, second_ref, rtol=1e-10, atol=1e-12)
