"""Regression tests for findings of a review of the torch.special ops, LU, matrix_exp
and the linear-algebra ``_ex`` functions."""

import numpy as np
import pytest

import autodiff as ad

# Q(a, x) = Gamma(a, x) / Gamma(a) at small a, from mpmath at 30 digits
# (mpmath.gammainc(a, x, mpmath.inf, regularized=True)).
SMALL_A_UPPER_GAMMA = [
    (1e-10, 1.0, 2.1938393441796778e-11),
    (1e-10, 0.5, 5.597735948054988e-11),
    (1e-10, 1e-10, 2.244863524002411e-09),
    (1e-6, 1.0, 2.1938415887051047e-07),
]


@pytest.mark.parametrize("a, x, expected", SMALL_A_UPPER_GAMMA)
def test_gammaincc_keeps_its_digits_when_p_is_near_one(a, x, expected):
    # Q was 1 - P, which kept only ~eps / Q of Q's digits (1.8e-5 relative at a = 1e-10)
    value = ad.special.gammaincc(ad.tensor([a]), ad.tensor([x])).numpy()[0]
    assert value == pytest.approx(expected, rel=1e-13)


def test_gammaincc_small_a_matches_one_minus_gammainc_where_that_is_exact():
    # away from the cancellation both ways agree, on both sides of the switch's edges
    a = np.array([0.5, 0.4999, 0.3, 0.3, 0.05, 0.05, 0.2])
    x = np.array([1.0999, 1.1001, 0.4999, 0.5001, 0.2, 1e-3, 0.3])
    q = ad.special.gammaincc(ad.tensor(a), ad.tensor(x)).numpy()
    p = ad.special.gammainc(ad.tensor(a), ad.tensor(x)).numpy()
    np.testing.assert_allclose(q + p, 1.0, rtol=0, atol=4e-16)


def test_gammaincc_small_a_against_scipy():
    special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(0)
    a = 10.0 ** rng.uniform(-12, np.log10(0.5), 200)
    x = 10.0 ** rng.uniform(-6, np.log10(1.1), 200)
    ours = ad.special.gammaincc(ad.tensor(a), ad.tensor(x)).numpy()
    np.testing.assert_allclose(ours, special.gammaincc(a, x), rtol=1e-12)


def test_gammaincc_small_a_gradient_against_torch():
    torch = pytest.importorskip("torch")
    a = np.array([1e-8, 0.01, 0.3])
    x = np.array([0.5, 1.0, 0.05])
    xs = ad.tensor(x, requires_grad=True)
    out = ad.special.gammaincc(ad.tensor(a), xs)
    out.sum().backward()
    txs = torch.tensor(x, requires_grad=True)
    reference = torch.special.gammaincc(torch.tensor(a), txs)
    reference.sum().backward()
    np.testing.assert_allclose(out.numpy(), reference.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(xs.grad), txs.grad.numpy(), rtol=1e-12)
