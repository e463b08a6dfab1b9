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
    assert value == pytest.approx(expected, rel=1e-13, abs=0)


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


def _erfcx_slope(mp, x):
    x = mp.mpf(x)
    return 2 * x * mp.exp(x * x) * mp.erfc(x) - 2 / mp.sqrt(mp.pi)


def test_erfcx_gradient_keeps_its_digits_for_large_x():
    # 2 x erfcx(x) - 2 / sqrt(pi) cancels to ~ -1 / (sqrt(pi) x**2): the formula's
    # relative error was 6e-8 at x = 1e4, 5e-5 at 1e6, and the slope 0 at 1e8
    mp = pytest.importorskip("mpmath")
    xs = np.array([2.0, 9.999999, 10.0, 10.000001, 30.0, 1e3, 1e4, 1e6, 1e8, -3.0])
    x = ad.tensor(xs, requires_grad=True)
    ad.special.erfcx(x).sum().backward()
    with mp.workdps(60):
        expected = np.array([float(_erfcx_slope(mp, v)) for v in xs])
    np.testing.assert_allclose(np.asarray(x.grad), expected, rtol=2e-14)


def test_erfcx_gradient_without_mpmath_and_at_the_edges():
    # -1 / (sqrt(pi) x**2) (1 - 3 / (2 x**2)) is exact to float64 at x = 1e8
    x = ad.tensor([1e8, 1e200, np.inf], requires_grad=True)
    ad.special.erfcx(x).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad)[0], -1.0 / (np.sqrt(np.pi) * 1e16), rtol=1e-15)
    assert np.all(np.asarray(x.grad)[1:] == 0.0)


def test_erfcx_gradient_matches_torch_and_finite_differences_on_both_sides_of_ten():
    torch = pytest.importorskip("torch")
    xs = np.array([-2.0, 0.3, 9.5, 9.999, 10.001, 12.0, 50.0])
    x = ad.tensor(xs, requires_grad=True)
    (first,) = ad.autograd.grad(ad.special.erfcx(x).sum(), x, create_graph=True)
    (second,) = ad.autograd.grad(first.sum(), x)
    tx = torch.tensor(xs, requires_grad=True)
    (t_first,) = torch.autograd.grad(torch.special.erfcx(tx).sum(), tx, create_graph=True)
    (t_second,) = torch.autograd.grad(t_first.sum(), tx)
    np.testing.assert_allclose(first.numpy(), t_first.detach().numpy(), rtol=1e-11)
    np.testing.assert_allclose(np.asarray(second), t_second.numpy(), rtol=1e-9)
    h = 1e-5
    central = (ad.special.erfcx(ad.tensor(xs + h)).numpy()
               - ad.special.erfcx(ad.tensor(xs - h)).numpy()) / (2 * h)
    np.testing.assert_allclose(first.numpy(), central, rtol=1e-7)


def test_incomplete_gamma_gradient_at_a_one_and_x_zero_is_the_density_there():
    # d/dx P(1, x) = exp(-x): 1 at x = 0 (0 * log 0 made it NaN, as PyTorch's is)
    x = ad.tensor([0.0, 0.0, 0.0, 2.0], requires_grad=True)
    a = ad.tensor([1.0, 0.5, 2.0, 1.0])
    ad.special.gammainc(a, x).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), [1.0, np.inf, 0.0, np.exp(-2.0)], rtol=1e-15)
    x_upper = ad.tensor([0.0], requires_grad=True)
    ad.special.gammaincc(1.0, x_upper).sum().backward()
    assert np.asarray(x_upper.grad)[0] == -1.0


def test_incomplete_gamma_gradient_stays_nan_for_negative_x():
    # P(a, x < 0) is NaN, and so is its slope (the xlogy above is for x = 0 only)
    x = ad.tensor([-1.0, -1.0], requires_grad=True)
    ad.special.gammainc(ad.tensor([1.0, 2.5]), x).sum().backward()
    assert np.all(np.isnan(np.asarray(x.grad)))


def test_triangular_solve_names_itself_when_b_has_the_wrong_rows():
    # the mismatch was reported by solve_triangular, a function the caller did not call
    with pytest.warns(UserWarning, match="deprecated"):
        with pytest.raises(ValueError, match=r"triangular_solve: A is 3 x 3, so b needs 3 rows"):
            ad.triangular_solve(ad.tensor(np.ones((4, 2))), ad.tensor(np.eye(3)))
