"""What the twenty-second round of NumPy programs found (test_numpy_programs_twentysecond*.py).

SciPy's ``beta``, ``loggamma``, ``exprel``, ``boxcox``, ``boxcox1p``, ``huber``,
``pseudo_huber`` and ``zeta(x, q)`` raised 'no differentiable rule' on a Tensor, and so
did their neighbours probed after them, ``erfcinv``, ``erfi``, ``dawsn``, ``cosm1``,
``exp1``, ``expi`` and ``powm1``; they now record (SciPy's values, the library's
gradients).  SciPy's ``logsumexp``, ``softmax``,
``log_softmax``, ``polygamma`` and ``multigammaln``, which make arrays of their
arguments, are refused as before, and the refusal now names autodiff's function that
computes the same on the tape; so does a scipy.stats distribution's method, now named
with its distribution (``scipy.stats.norm.logpdf``, was ``scipy.stats.logpdf``) and
the ad.distributions class of the same law.

Probes of writes into NumPy's results found two that were read-only views of their
input where NumPy gives a new array: ``np.tile(row, (n, 1))`` (the copies along
length-1 axes only) and ``np.choose`` of a single choice; a write into them was refused
as an update of a view.  They are new arrays now, as NumPy's."""

import math

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import central_difference

special = pytest.importorskip("scipy.special")

_X = np.array([0.35, 1.2, 2.7])

#: (name, the call with the Tensor in each differentiable place, its points)
_RECORDED = [
    ("beta", lambda t: special.beta(t, 2.5 - t), _X / 1.5),
    ("loggamma", lambda t: special.loggamma(t), _X),
    ("exprel", lambda t: special.exprel(t - 1.2), _X),
    ("boxcox", lambda t: special.boxcox(t, t - 1.0), _X),
    ("boxcox1p", lambda t: special.boxcox1p(t - 0.3, 0.5 - t), _X),
    ("huber", lambda t: special.huber(1.0 + 0.2 * t, 2.0 * t - 2.0), _X),
    ("pseudo_huber", lambda t: special.pseudo_huber(0.5 + t, 2.0 - t), _X),
    ("zeta", lambda t: special.zeta(3.0, t), _X),
    ("erfcinv", lambda t: special.erfcinv(t / 1.5), _X),
    ("erfi", lambda t: special.erfi(t - 1.0), _X),
    ("dawsn", lambda t: special.dawsn(2.0 * t - 2.5), _X),
    ("cosm1", lambda t: special.cosm1(t - 1.2), _X),
    ("exp1", lambda t: special.exp1(t), _X),
    ("expi", lambda t: special.expi(t - 1.0), _X),
    ("powm1", lambda t: special.powm1(t, 1.5 - t), _X),
]


@pytest.mark.parametrize("name, call, x", _RECORDED, ids=[r[0] for r in _RECORDED])
def test_scipy_functions_record_with_scipys_values_and_gradients(name, call, x):
    """On the old code each raised 'the ufunc ... has no differentiable rule'."""
    t = ad.tensor(x, requires_grad=True)
    y = call(t)
    assert isinstance(y, ad.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, call(x))            # SciPy's own forward
    gradient = ad.grad(lambda v: call(v).sum())(x)
    np.testing.assert_allclose(gradient, central_difference(lambda v: call(v).sum(), x),
                               rtol=1e-6, atol=1e-8)
    assert ad.gradgradcheck(lambda v: call(v), [x])


def _exprel_slope_series(u, terms=25):
    """``d/du expm1(u) / u = sum u^k / (k! (k + 2))``, summed in float64 (a reference
    without the cancellation of the closed form near 0)."""
    return sum(u ** k / (math.factorial(k) * (k + 2)) for k in range(terms))


@pytest.mark.parametrize("u", [0.0, 1e-9, -3e-4, 0.0099, 0.01, -0.0101, 0.3, -2.0])
def test_exprel_and_box_cox_slopes_hold_near_zero(u):
    """The slope ``(u e^u - expm1(u)) / u^2`` cancels near 0, so it switches to its
    series there: both sides of the switch agree with the series to 1e-13."""
    np.testing.assert_allclose(ad.grad(lambda t: special.exprel(t))(u),
                               _exprel_slope_series(u), rtol=1e-13)
    second = ad.grad(ad.grad(lambda t: special.exprel(t)))(u)
    np.testing.assert_allclose(second, sum(k * u ** (k - 1) / (math.factorial(k) * (k + 2))
                                           for k in range(1, 25)), rtol=1e-9)
    log_x = np.log(2.0)                         # d/dlmbda boxcox(2, lmbda) = L^2 exprel'(lmbda L)
    np.testing.assert_allclose(ad.grad(lambda lam: special.boxcox(2.0, lam))(u / log_x),
                               log_x ** 2 * _exprel_slope_series(u), rtol=1e-13)


def test_box_cox_at_lambda_zero_is_the_logarithm_with_its_slope():
    lam = ad.tensor(0.0, requires_grad=True)
    y = special.boxcox(ad.tensor([0.5, 3.0]), lam)
    np.testing.assert_array_equal(y.data, np.log([0.5, 3.0]))
    y.sum().backward()
    np.testing.assert_allclose(lam.grad, np.sum(np.log([0.5, 3.0]) ** 2) / 2, rtol=1e-15)


def test_huber_slopes_match_pytorchs_huber_loss():
    """``scipy.special.huber(delta, r)`` is ``torch.nn.functional.huber_loss(r, 0,
    delta=delta, reduction='none')``; their slopes in r agree, inside and outside the
    quadratic part."""
    torch = pytest.importorskip("torch")
    r = np.array([-3.0, -0.4, 0.2, 1.5, 2.5])
    ours = ad.grad(lambda t: special.huber(1.2, t).sum())(r)
    tr = torch.tensor(r, requires_grad=True)
    torch.nn.functional.huber_loss(tr, torch.zeros(5, dtype=torch.float64), delta=1.2,
                                   reduction="sum").backward()
    np.testing.assert_allclose(ours, tr.grad.numpy(), rtol=1e-15)


def test_beta_matches_hips_autograd_to_second_order():
    autograd = pytest.importorskip("autograd")
    from autograd.scipy import special as aspecial
    for a, b in [(0.4, 2.0), (1.5, 0.7), (3.0, 3.0)]:
        for argnum in (0, 1):
            ours = ad.grad(lambda u, v: special.beta(u, v), argnums=argnum)(a, b)
            theirs = autograd.grad(aspecial.beta, argnum)(a, b)
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)
        np.testing.assert_allclose(ad.grad(ad.grad(lambda u: special.beta(u, b)))(a),
                                   autograd.grad(autograd.grad(aspecial.beta))(a, b),
                                   rtol=1e-10)


def test_a_negative_huber_delta_gives_scipys_inf_and_a_nan_slope_not_a_finite_one():
    for function in (special.huber, special.pseudo_huber):
        delta = ad.tensor(-1.0, requires_grad=True)
        r = ad.tensor([0.5, 2.0], requires_grad=True)
        y = function(delta, r)
        assert np.isposinf(y.data).all()
        with np.errstate(invalid="ignore"):
            y.sum().backward()
        assert np.isnan(delta.grad) and np.isnan(r.grad).all()


def test_pseudo_huber_at_delta_zero_has_its_one_sided_slopes():
    """At delta = 0 SciPy's pseudo-Huber is 0 for every r; its slope in delta there is
    |r| (pseudo_huber ~ delta |r| for small delta > 0) and in r is 0."""
    delta = ad.tensor(0.0, requires_grad=True)
    r = ad.tensor([-2.0, 0.5], requires_grad=True)
    special.pseudo_huber(delta, r).sum().backward()
    np.testing.assert_allclose(delta.grad, 2.5, rtol=1e-15)
    np.testing.assert_array_equal(r.grad, [0.0, 0.0])


def test_float32_stays_float32():
    x = ad.tensor(np.float32([0.5, 1.5]), requires_grad=True)
    for y in (special.boxcox(x, np.float32(0.3)), special.exprel(x), special.loggamma(x),
              special.beta(x, np.float32(2.0)), special.huber(np.float32(1.0), x)):
        assert y.dtype == np.float32 == special.exprel(np.float32(0.5)).dtype
        x.grad = None
        y.sum().backward()
        assert x.grad.dtype == np.float32


def test_zeta_refuses_the_slope_in_x_naming_what_records():
    with pytest.raises(NotImplementedError, match=r"zeta: the derivative with respect to x"):
        ad.grad(lambda s: special.zeta(s, 1.0))(2.5)


def _logsumexp(t):
    return special.logsumexp(t)


def _softmax(t):
    return special.softmax(t)[0]


def _log_softmax(t):
    return special.log_softmax(t)[1]


def _polygamma(t):
    return special.polygamma(1, t).sum()


def _multigammaln(t):
    return special.multigammaln(t[0] + 3.0, 2)


@pytest.mark.parametrize("call, named", [
    (_logsumexp, r"autodiff's ad\.logsumexp\(t, axis, keepdims=\.\.\.\) \(positive weights "
                 r"b: ad\.logsumexp\(t \+ np\.log\(b\), axis\)\); or set SCIPY_ARRAY_API=1"),
    (_softmax, r"autodiff's ad\.softmax\(t, axis\); or set SCIPY_ARRAY_API=1"),
    (_log_softmax, r"autodiff's ad\.log_softmax\(t, axis\)"),
    (_polygamma, r"autodiff's ad\.special\.polygamma\(n, t\)"),
    (_multigammaln, r"autodiff's ad\.special\.multigammaln\(t, d\)"),
])
def test_scipy_functions_that_make_arrays_name_autodiffs_own(call, named):
    """They named only docs/ops.md; the function named is checked to compute the same."""
    with pytest.raises(TypeError, match=f"by scipy.special.{call.__name__[1:]}, .*{named}"):
        ad.grad(call)(_X)


def test_the_named_replacements_compute_scipys_values():
    a, b = np.array([[0.3, -1.0, 2.0], [1.5, 0.2, 0.0]]), np.array([0.5, 2.0, 1.0])
    t = ad.tensor(a)
    np.testing.assert_allclose(ad.logsumexp(t + np.log(b), 1).data,
                               special.logsumexp(a, axis=1, b=b), rtol=1e-15)
    np.testing.assert_allclose(ad.softmax(t, 1).data, special.softmax(a, axis=1), rtol=1e-15)
    np.testing.assert_allclose(ad.log_softmax(t, 1).data, special.log_softmax(a, axis=1),
                               rtol=1e-15)
    np.testing.assert_allclose(ad.special.polygamma(1, ad.tensor(_X)).data,
                               special.polygamma(1, _X), rtol=1e-13)
    np.testing.assert_allclose(ad.special.multigammaln(ad.tensor(3.5), 2).data,
                               special.multigammaln(3.5, 2), rtol=1e-14)


def _grid_with_a_written_corner(a):
    grid = np.tile(a, (4, 1))               # (NumPy: a new array, free to write)
    grid[0, 0] = 0.0
    grid[1:, -1] *= 2.0
    return grid


@pytest.mark.parametrize("reps, shape", [((4, 1), (1, 3)), ((3, 1, 1), (1, 3)),
                                         ((1, 1), (2, 3)), ((2, 1), (1, 1))])
def test_tile_along_length_one_axes_gives_a_new_array_to_write_into(reps, shape):
    """It gave a read-only view of its input, and the write was refused ('tensor of
    shape (4, 3) views, through broadcast_to, ...')."""
    a = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    t = ad.tensor(a.copy(), requires_grad=True)
    tiled = np.tile(t, reps)
    assert not np.shares_memory(tiled.data, t.data) and tiled.data.flags.writeable
    tiled[(0,) * tiled.ndim] = -1.0
    expected = np.tile(a, reps)
    expected[(0,) * expected.ndim] = -1.0
    np.testing.assert_array_equal(tiled.data, expected)
    np.testing.assert_array_equal(t.data, a)        # the input is untouched, as NumPy's
    tiled.sum().backward()
    copies = np.ones(expected.shape)
    copies[(0,) * copies.ndim] = 0.0         # (the written entry gets no gradient)
    padded = (1,) * (len(reps) - len(shape)) + shape
    interleaved = [n for r, size in zip(reps, padded) for n in (r, size)]
    per_entry = copies.reshape(interleaved).sum(axis=tuple(range(0, 2 * len(reps), 2)))
    np.testing.assert_array_equal(t.grad, per_entry.reshape(shape))


def test_a_grid_tiled_from_a_row_and_written_differentiates_as_its_numpy_code():
    row = np.array([[0.5, -1.0, 2.0]])
    np.testing.assert_allclose(
        ad.grad(lambda v: (_grid_with_a_written_corner(v) ** 2).sum())(row).ravel(),
        central_difference(lambda v: (_grid_with_a_written_corner(v.reshape(1, 3)) ** 2).sum(),
                           row.ravel()), rtol=1e-7)


def test_choose_of_one_choice_gives_a_new_array_to_write_into():
    a = np.array([1.0, 2.0, 3.0])
    t = ad.tensor(a.copy(), requires_grad=True)
    chosen = np.choose([0, 0, 0], [t])
    assert not np.shares_memory(chosen.data, t.data)
    chosen[1] = 10.0
    chosen.sum().backward()
    np.testing.assert_array_equal(chosen.data, [1.0, 10.0, 3.0])
    np.testing.assert_array_equal(t.data, a)
    np.testing.assert_array_equal(t.grad, [1.0, 0.0, 1.0])


def _normal_logpdf(t):
    from scipy import stats
    return stats.norm.logpdf(np.array([0.1, 0.5]), loc=t[0], scale=2.0).sum()


def _frozen_gamma_cdf(t):
    from scipy import stats
    return stats.gamma(2.5, scale=1.5).cdf(t).sum()


def _skew_normal_pdf(t):
    from scipy import stats
    return stats.skewnorm.pdf(t, 3.0).sum()


@pytest.mark.parametrize("call, named", [
    (_normal_logpdf, r"by scipy\.stats\.norm\.logpdf, .* with "
                     r"ad\.distributions\.Normal\(\.\.\.\)\.log_prob\(x\), in PyTorch's"),
    (_frozen_gamma_cdf, r"by scipy\.stats\.gamma\.cdf, .* with "
                        r"ad\.distributions\.Gamma\(\.\.\.\)\.cdf\(x\), in PyTorch's parameters "
                        r"\(scipy\.stats' scale= is 1 / rate"),
    (_skew_normal_pdf, r"by scipy\.stats\.skewnorm\.pdf, .* with ad\.distributions' classes"),
])
def test_scipy_stats_methods_name_the_distribution_and_autodiffs_class(call, named):
    """They were named 'scipy.stats.logpdf' (the method without its distribution), with
    docs/ops.md to read."""
    pytest.importorskip("scipy.stats")
    with pytest.raises(TypeError, match=named):
        ad.grad(call)(np.array([0.3, 1.2]))


def test_the_named_distributions_compute_scipy_stats_values():
    stats = pytest.importorskip("scipy.stats")
    x = np.array([0.1, 0.5, 2.0])
    np.testing.assert_allclose(ad.distributions.Normal(0.3, 2.0).log_prob(ad.tensor(x)).data,
                               stats.norm.logpdf(x, loc=0.3, scale=2.0), rtol=1e-14)
    np.testing.assert_allclose(ad.distributions.Gamma(2.5, 1 / 1.5).cdf(ad.tensor(x)).data,
                               stats.gamma(2.5, scale=1.5).cdf(x), rtol=1e-12)


def test_powm1_at_a_zero_base_has_the_slopes_of_power():
    """``powm1(x, y) = x**y - 1`` takes np.power's slopes where the base is 0: none in y
    (not 0 * log 0 = NaN) and none in x where y == 0 (not 0 * 0**-1), as PyTorch's pow."""
    torch = pytest.importorskip("torch")
    base, exponent = np.array([0.0, 0.0, 2.0, 1.5]), np.array([0.0, 2.0, 0.0, -0.5])
    x, y = ad.tensor(base, requires_grad=True), ad.tensor(exponent, requires_grad=True)
    special.powm1(x, y).sum().backward()
    tx, ty = (torch.tensor(v, requires_grad=True) for v in (base, exponent))
    (tx ** ty).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("function, shift", [(special.boxcox, 0.0), (special.boxcox1p, -1.0)])
def test_box_cox_at_a_zero_base_has_its_finite_slopes(function, shift):
    """At x = 0 (boxcox) or x = -1 (boxcox1p) the transform is ``-1 / lmbda`` for
    lmbda > 0: its slope in lmbda is ``1 / lmbda^2`` (was NaN, 0 * log 0), and in x
    ``0**(lmbda - 1)``, 1 at lmbda = 1 (was NaN)."""
    x = ad.tensor([shift] * 3, requires_grad=True)
    lam = ad.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = function(x, lam)
    np.testing.assert_array_equal(y.data, [-2.0, -1.0, -0.5])
    with np.errstate(divide="ignore"):
        y.sum().backward()
    np.testing.assert_allclose(lam.grad, [4.0, 1.0, 0.25], rtol=1e-15)
    np.testing.assert_array_equal(x.grad, [np.inf, 1.0, 0.0])


def _exprel_slope_by_positive_terms(u, terms=1500):
    """The series of exprel's slope summed term by term (every term positive for u > 0,
    so the sum is accurate to rounding even where e^u is large)."""
    total, term = 0.0, 1.0
    for k in range(terms):
        total += term / (k + 2)
        term *= u / (k + 1)
    return total


@pytest.mark.parametrize("u", [0.999, 1.0, 1.001, 5.0, 50.0, 300.0])
def test_exprel_slope_above_one_is_accurate_and_overflows_to_inf_not_nan(u):
    """Above 1 the slope is ``(e^u (u - 1) + 1) / u^2``: ``u e^u - expm1(u)`` was inf - inf,
    NaN, once e^u overflows."""
    np.testing.assert_allclose(ad.grad(lambda t: special.exprel(t))(u),
                               _exprel_slope_by_positive_terms(u), rtol=1e-14)
    with np.errstate(over="ignore"):
        assert np.isposinf(ad.grad(lambda t: special.exprel(t))(800.0))
