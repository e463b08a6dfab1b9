"""gaussian_nll_loss and poisson_nll_loss: values against the loops of
tests/loss_reference.py, PyTorch's shape rules for var, the clamp of var at eps
(value only), gradients to second order, dtypes and errors."""

from __future__ import annotations

import math

import loss_reference as ref
import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F

RNG = np.random.default_rng(23)
REDUCTIONS = ["mean", "sum", "none"]


# ----- gaussian_nll_loss -----------------------------------------------------------------

# (input shape, var shape): PyTorch's accepted forms
VAR_SHAPES = [((4, 3), (4, 3)), ((4, 3), (4,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)),
              ((1, 3), (1,)), ((2, 3, 2), (2, 3)), ((2, 3, 2), (2, 1, 2)), ((5,), ()),
              ((5,), (5,)), ((5,), (1,))]


def _expanded(var, x_shape):
    if var.shape == x_shape[:-1]:
        var = var[..., None]
    return np.broadcast_to(var, x_shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("x_shape, var_shape", VAR_SHAPES, ids=str)
def test_gaussian_nll_matches_the_reference(x_shape, var_shape, full, reduction):
    x, t = RNG.standard_normal(x_shape), RNG.standard_normal(x_shape)
    var = RNG.uniform(0.1, 2.0, var_shape)
    expected = ref.reduce(ref.gaussian_nll(x, t, _expanded(var, x_shape), full), reduction)
    got = F.gaussian_nll_loss(ad.tensor(x), ad.tensor(t), ad.tensor(var), full=full,
                              reduction=reduction)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got.data, expected, rtol=1e-13)


@pytest.mark.parametrize("x_shape, var_shape", VAR_SHAPES, ids=str)
def test_gaussian_nll_gradients_in_input_target_and_var(x_shape, var_shape):
    x, t = RNG.standard_normal(x_shape), RNG.standard_normal(x_shape)
    var = RNG.uniform(0.2, 2.0, var_shape)
    for reduction in REDUCTIONS:
        def loss(a, b, v, reduction=reduction):
            return F.gaussian_nll_loss(a, b, v, full=True, reduction=reduction)
        assert ad.gradcheck(loss, [x, t, var])
        assert ad.gradgradcheck(loss, [x, t, var])


def test_gaussian_nll_a_number_as_var_and_a_broadcast_target():
    x, t = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 1))
    expected = ref.gaussian_nll(x, np.broadcast_to(t, x.shape), np.full(x.shape, 0.7))
    got = F.gaussian_nll_loss(ad.tensor(x), t, 0.7, reduction="none")
    np.testing.assert_allclose(got.data, expected, rtol=1e-13)
    np.testing.assert_allclose(F.gaussian_nll_loss(ad.tensor(x), t, 1).data,
                               ref.gaussian_nll(x, np.broadcast_to(t, x.shape),
                                                np.ones(x.shape)).mean(), rtol=1e-13)
    # a variance 0 is clamped to eps, as PyTorch's var * ones_like(input)
    np.testing.assert_allclose(F.gaussian_nll_loss(ad.tensor([1.0]), [0.0], 0.0).data,
                               0.5 * (math.log(1e-6) + 1e6), rtol=1e-13)


def test_gaussian_nll_clamps_var_in_value_only_as_pytorch():
    # PyTorch clamps a copy of var in place under no_grad: the gradient reaches var as
    # the derivative at the clamped value, also below eps (it is not cut to 0)
    var = ad.tensor([1e-8, 0.5, 1e-6, 0.0], requires_grad=True)
    x, eps = np.array([0.1, 0.2, 0.3, 0.4]), 1e-6
    loss = F.gaussian_nll_loss(ad.tensor(x), np.zeros(4), var, reduction="sum")
    clamped = np.maximum(var.data, eps)
    np.testing.assert_allclose(loss.data, ref.gaussian_nll(x, np.zeros(4), var.data).sum(),
                               rtol=1e-13)
    loss.backward()
    np.testing.assert_allclose(var.grad, 0.5 * (1 / clamped - x ** 2 / clamped ** 2),
                               rtol=1e-13)
    assert np.all(var.grad != 0)


def test_gaussian_nll_eps_is_the_clamp():
    x, t, var = np.array([0.5]), np.array([0.0]), np.array([0.01])
    got = F.gaussian_nll_loss(ad.tensor(x), t, var, eps=0.1)
    np.testing.assert_allclose(got.data, ref.gaussian_nll(x, t, var, eps=0.1)[0], rtol=1e-13)


@pytest.mark.parametrize("var_shape", [(3,), (), (1, 1), (4, 3, 1), (2, 3), (4, 2)])
def test_gaussian_nll_refuses_the_var_shapes_pytorch_refuses(var_shape):
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var of shape .* does not fit the "
                                         r"input of shape \(4, 3\); as in PyTorch"):
        F.gaussian_nll_loss(ad.tensor(np.zeros((4, 3))), np.zeros((4, 3)), np.ones(var_shape))


def test_gaussian_nll_refuses_negative_var_and_bad_options():
    x = ad.tensor(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var has negative entries "
                                         r"\(smallest -0.5, shape \(2, 2\)\)"):
        F.gaussian_nll_loss(x, np.zeros((2, 2)), np.array([[1.0, -0.5], [1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var=-1.0 is negative"):
        F.gaussian_nll_loss(x, np.zeros((2, 2)), -1.0)
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: reduction must be"):
        F.gaussian_nll_loss(x, np.zeros((2, 2)), 1.0, reduction="avg")
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: target of shape \(2, 3\) does "
                                         r"not broadcast to the input's shape \(2, 2\)"):
        F.gaussian_nll_loss(x, np.zeros((2, 3)), 1.0)
    with pytest.raises(ValueError, match=r"together they make \(3, 2, 2\)"):
        F.gaussian_nll_loss(x, np.zeros((3, 1, 1)), 1.0)
    with pytest.raises(TypeError, match=r"gaussian_nll_loss: expected floating-point"):
        F.gaussian_nll_loss(np.zeros(2, dtype=int), np.zeros(2), 1.0)
    with pytest.raises(TypeError, match=r"gaussian_nll_loss: var must be a number"):
        F.gaussian_nll_loss(x, np.zeros((2, 2)), True)


def test_gaussian_nll_keeps_float32():
    x = ad.tensor(RNG.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    var = ad.tensor(RNG.uniform(0.5, 1, 3).astype(np.float32), requires_grad=True)
    for v in (var, 0.5, np.ones(3), np.ones((3, 2), np.float64)):
        x.zero_grad()
        loss = F.gaussian_nll_loss(x, np.zeros((3, 2)), v, full=True)
        assert loss.dtype == np.float32
        loss.backward()
        assert x.grad.dtype == np.float32
    assert var.grad.dtype == np.float32


# ----- poisson_nll_loss ------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", [(4, 3), (1,), (2, 1, 3), ()], ids=str)
def test_poisson_nll_matches_the_reference(shape, full, log_input, reduction):
    x = RNG.standard_normal(shape) if log_input else RNG.uniform(0.1, 3, shape)
    t = RNG.integers(0, 6, shape)
    expected = ref.reduce(ref.poisson_nll(np.asarray(x), np.asarray(t), log_input, full),
                          reduction)
    got = F.poisson_nll_loss(ad.tensor(x), t, log_input=log_input, full=full,
                             reduction=reduction)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got.data, expected, rtol=1e-13)


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_gradients(log_input, full):
    x = RNG.standard_normal((3, 4)) if log_input else RNG.uniform(0.1, 3, (3, 4))
    t = RNG.uniform(1.2, 5, (3, 4))           # targets > 1: the Stirling term is smooth
    t_small = RNG.uniform(0, 1, (3, 4))      # and <= 1: masked to 0
    for target in (t, t_small):
        for reduction in REDUCTIONS:
            def loss(a, b, reduction=reduction):
                return F.poisson_nll_loss(a, b, log_input, full, reduction=reduction)
            assert ad.gradcheck(loss, [x, target])
            assert ad.gradgradcheck(loss, [x, target])


def test_poisson_nll_eps_and_the_masked_stirling_term():
    x, t = ad.tensor([0.0, 2.0], requires_grad=True), ad.tensor([0.0, 1.0], requires_grad=True)
    loss = F.poisson_nll_loss(x, t, log_input=False, full=True, eps=0.5, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 2.0 - math.log(2.5)], rtol=1e-14)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1 - 1 / 2.5], rtol=1e-14)
    # d/dt of -t log(x + eps); the Stirling term is 0 for t <= 1 and gives no gradient
    # (PyTorch's gradient there is NaN at t = 0, from 0 * log(0) under its mask)
    np.testing.assert_allclose(t.grad, [-math.log(0.5), -math.log(2.5)], rtol=1e-14)


def test_poisson_nll_targets_and_dtypes():
    x = ad.tensor(RNG.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    for target in (np.array([[0, 1, 2], [3, 4, 5]]), np.ones((2, 3)), 2.0):
        loss = F.poisson_nll_loss(x, target, full=True)
        assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32
    with pytest.raises(ValueError, match=r"poisson_nll_loss: input has shape \(2, 3\) but "
                                         r"target has shape \(3,\); they must match"):
        F.poisson_nll_loss(x, np.ones(3))
    with pytest.raises(ValueError, match=r"poisson_nll_loss: reduction must be"):
        F.poisson_nll_loss(x, np.ones((2, 3)), reduction="batchmean")
    with pytest.raises(TypeError, match=r"poisson_nll_loss: target must hold numbers, got "
                                        r"dtype bool"):
        F.poisson_nll_loss(x, np.ones((2, 3), bool))
    with pytest.raises(TypeError, match=r"poisson_nll_loss: eps must be a real number"):
        F.poisson_nll_loss(x, np.ones((2, 3)), eps="small")
