"""torch.special's names in ad.special: values against 60-digit mpmath values (in ulp),
against SciPy over wide ranges (tails, zeros, infinities, NaN), values and gradients
against PyTorch (float64 and float32), gradients against finite differences to second
order, and the names PyTorch has under other names reachable."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import special

SEED = 20240611


def ulp_errors(got, want):
    """|got - want| in ulp of want (of the smallest normal number for subnormal or
    zero ``want``); inf where one is finite and the other not, or NaN differs."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    same_special = (np.isnan(got) & np.isnan(want)) | (got == want)
    finite = np.isfinite(got) & np.isfinite(want)
    errors = np.where(same_special, 0.0, np.inf)
    with np.errstate(invalid="ignore"):
        difference = np.abs(got - want)
    scale = np.spacing(np.maximum(np.abs(want[finite]), np.finfo(float).tiny))
    errors[finite & ~same_special] = (difference[finite & ~same_special]
                                      / scale[~same_special[finite]])
    return errors


def _values(function, x):
    return np.asarray(function(ad.tensor(x)).data)


# ----- against 60-digit values --------------------------------------------------------

def _mpmath_cases():
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(SEED)
    wide = np.concatenate([rng.uniform(-38, 38, 150), rng.standard_normal(150) * 2,
                           [0.5, -0.5, 1e-20, -1e-20, -1.0, 1.0]])
    bessel = np.concatenate([rng.uniform(-800, 800, 80), rng.uniform(-10, 10, 150),
                             [1e-10, 8.0, -8.0, 8.000001, 7.999999]])
    probabilities = np.concatenate([rng.uniform(0, 1, 150), 10.0 ** -rng.uniform(1, 320, 80),
                                    1 - 10.0 ** -rng.uniform(1, 16, 40)])

    def ndtri(p):
        # Newton on ncdf(x) = p at 60 digits, from a float64 start
        x = mp.mpf(float(special.ndtri(ad.tensor(float(p))).item()))
        if mp.isinf(x):
            return x
        for _ in range(4):
            x -= (mp.ncdf(x) - p) / mp.npdf(x)
        return x

    return mp, {
        "ndtr": (special.ndtr, mp.ncdf, wide, 4),
        "log_ndtr": (special.log_ndtr,
                     lambda x: mp.log(mp.ncdf(x)) if x < 0 else mp.log1p(-mp.ncdf(-x)),
                     np.concatenate([wide, -rng.uniform(38, 1e5, 30)]), 5),
        "erfcx": (special.erfcx, lambda x: mp.exp(x * x) * mp.erfc(x),
                  np.concatenate([rng.uniform(-26, 26, 150), rng.uniform(26, 1e6, 50),
                                  rng.standard_normal(100)]), 4),
        "i0e": (special.i0e, lambda x: mp.exp(-abs(x)) * mp.besseli(0, x), bessel, 4),
        "i1e": (special.i1e, lambda x: mp.exp(-abs(x)) * mp.besseli(1, x), bessel, 4),
        "ndtri": (special.ndtri, ndtri, probabilities, 4),
        "entr": (special.entr, lambda x: -x * mp.log(x), rng.uniform(1e-3, 1e3, 200), 2),
    }


@pytest.mark.parametrize("name", ["ndtr", "log_ndtr", "erfcx", "i0e", "i1e", "ndtri", "entr"])
def test_within_a_few_ulp_of_60_digit_values(name):
    mp, cases = _mpmath_cases()
    function, reference, points, bound = cases[name]
    with mp.workdps(60):
        want = np.array([float(reference(mp.mpf(float(x)))) for x in points])
    errors = ulp_errors(_values(function, points), want)
    worst = int(np.argmax(errors))
    assert errors[worst] <= bound, (name, points[worst], errors[worst])


@pytest.mark.parametrize("name, order, scaled", [
    ("modified_bessel_k0", 0, False), ("modified_bessel_k1", 1, False),
    ("scaled_modified_bessel_k0", 0, True), ("scaled_modified_bessel_k1", 1, True)])
def test_modified_bessel_k_within_a_few_ulp_of_30_digit_values(name, order, scaled):
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(SEED)
    x = np.concatenate([rng.uniform(1e-3, 2, 60), rng.uniform(2, 50, 40),
                        rng.uniform(50, 700, 20), 10.0 ** rng.uniform(-300, -3, 6),
                        [1.0, 0.999999, 1.000001]])
    with mp.workdps(30):
        want = np.array([float(mp.besselk(order, mp.mpf(v)) * (mp.exp(v) if scaled else 1))
                         for v in x])
    errors = ulp_errors(getattr(special, name)(ad.tensor(x)).data, want)
    assert errors.max() <= 8, (x[errors.argmax()], errors.max())


@pytest.mark.parametrize("name, kind, order", [
    ("bessel_j0", "j", 0), ("bessel_j1", "j", 1), ("bessel_y0", "y", 0), ("bessel_y1", "y", 1)])
def test_bessel_first_and_second_kind_against_30_digit_values(name, kind, order):
    """Within 16 ulp, of the value or (near the zeros, where the value is much smaller
    than the terms it comes from) of the envelope min(1, sqrt(2 / (pi x)))."""
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(SEED)
    x = np.concatenate([rng.uniform(1e-3, 8, 120), rng.uniform(8, 50, 60),
                        rng.uniform(50, 1e4, 30), 10.0 ** rng.uniform(-300, -3, 5),
                        [8.0, 7.9999999, 8.0000001, 1e8]])
    if kind == "j":
        x = np.concatenate([x, -x[::7]])
    reference = mp.besselj if kind == "j" else mp.bessely
    with mp.workdps(30):
        want = np.array([float(reference(order, mp.mpf(v))) for v in x])
    got = getattr(special, name)(ad.tensor(x)).data
    envelope = np.minimum(1.0, np.sqrt(2 / (np.pi * np.abs(x))))
    scale = np.maximum(np.spacing(np.abs(want)), np.finfo(float).eps * envelope)
    errors = np.abs(got - want) / scale
    assert errors.max() <= 16, (x[errors.argmax()], errors.max())


def test_zeta_within_a_few_ulp_of_60_digit_values():
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(SEED)
    x = np.concatenate([rng.uniform(1.01, 20, 150), np.arange(2.0, 12.0)])
    q = np.concatenate([rng.uniform(0.01, 50, 150), rng.uniform(0.1, 3, 10)])
    with mp.workdps(60):
        want = np.array([float(mp.zeta(mp.mpf(float(a)), mp.mpf(float(b))))
                         for a, b in zip(x, q)])
    errors = ulp_errors(special.zeta(ad.tensor(x), ad.tensor(q)).data, want)
    assert errors.max() <= 4, (x[errors.argmax()], q[errors.argmax()], errors.max())


# ----- against SciPy ------------------------------------------------------------------

SPECIAL_VALUES = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 5e-324,
                           700.0, -700.0, 1e300, -1e300])


def _ulps(bound):
    return lambda x: np.full(x.shape, float(bound))


def _agree_with_scipy(got, want, x, allowed):
    """Same NaN/inf positions; elsewhere within ``allowed(x)`` ulp (SciPy's own error
    grows in places where the library's does not, so the bound follows SciPy's)."""
    errors = ulp_errors(got, want)
    nonfinite = ~np.isfinite(want) | ~np.isfinite(got)
    assert np.all(errors[nonfinite] == 0), (x[nonfinite & (errors > 0)],
                                           got[nonfinite & (errors > 0)])
    finite = ~nonfinite
    x, got, want, errors = x[finite], got[finite], want[finite], errors[finite]
    bound = allowed(x)
    worst = int(np.argmax(errors - bound))
    assert errors[worst] <= bound[worst], (x[worst], got[worst], want[worst], errors[worst])


def test_values_match_scipy_over_wide_ranges():
    scipy_special = pytest.importorskip("scipy.special")
    x = np.concatenate([np.linspace(-37, 37, 4001), SPECIAL_VALUES])
    # SciPy rounds x / sqrt 2 and x**2 before exp: x**2 ulp of error, which the library
    # avoids (its error against 60-digit values is in the test above)
    squares = lambda v: 4 + 2.5 * np.minimum(np.abs(v), 1e100) ** 2     # noqa: E731
    normal = np.abs(scipy_special.ndtr(x)) >= np.finfo(float).tiny     # SciPy flushes below
    _agree_with_scipy(_values(special.ndtr, x)[normal], scipy_special.ndtr(x)[normal],
                      x[normal], squares)
    _agree_with_scipy(_values(special.log_ndtr, x), scipy_special.log_ndtr(x), x, squares)
    _agree_with_scipy(_values(special.erfcx, x), scipy_special.erfcx(x), x, squares)
    wide = np.concatenate([np.linspace(-800, 800, 4001), SPECIAL_VALUES, [1e10, -1e10]])
    for ours, theirs in [(special.i0e, scipy_special.i0e), (special.i1e, scipy_special.i1e)]:
        _agree_with_scipy(_values(ours, wide), theirs(wide), wide, _ulps(16))
    # (-x log x: NumPy's log is a SIMD loop on some CPUs, 1 ulp from SciPy's own: 2 in all)
    _agree_with_scipy(_values(special.entr, x), scipy_special.entr(x), x, _ulps(2))
    p = np.concatenate([np.linspace(0, 1, 20001), 10.0 ** -np.linspace(1, 300, 600),
                        1 - 10.0 ** -np.linspace(1, 16, 100), [-1.0, 2.0, np.nan, -np.inf]])
    _agree_with_scipy(_values(special.ndtri, p), scipy_special.ndtri(p), p,
                      _ulps(8))


def test_xlog1py_and_zeta_match_scipy():
    scipy_special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(SEED)
    x = np.concatenate([rng.uniform(-3, 3, 500), [0.0, 0.0, 0.0, 2.0, 0.0, np.nan, np.inf]])
    y = np.concatenate([rng.uniform(-1, 5, 500), [-1.0, -2.0, np.nan, -1.0, 0.0, 1.0, 1.0]])
    _agree_with_scipy(special.xlog1py(ad.tensor(x), ad.tensor(y)).data,
                      scipy_special.xlog1py(x, y), x, _ulps(2))
    s = np.concatenate([rng.uniform(1, 30, 500), [1.0, 0.5, 2.0, 3.0, np.inf, 30.0, np.inf]])
    q = np.concatenate([rng.uniform(0.01, 1e3, 500), [1.0, 1.0, -1.0, 0.0, 1.0, 1.0, 0.5]])
    _agree_with_scipy(special.zeta(ad.tensor(s), ad.tensor(q)).data,
                      scipy_special.zeta(s, q), s, _ulps(16))
    # zeta(inf, q > 1) is 0 (every term is); SciPy's and PyTorch's sums give NaN there
    assert special.zeta(ad.tensor([np.inf]), ad.tensor([2.0])).item() == 0.0


def test_multigammaln_matches_scipy_and_refuses_p_below_one():
    scipy_special = pytest.importorskip("scipy.special")
    a = np.array([2.25, 3.5, 7.25, 40.0])         # SciPy's needs a > (p - 1) / 2
    for p in (1, 2, 3, 5):
        got = special.multigammaln(ad.tensor(a), p).data
        want = np.array([scipy_special.multigammaln(v, p) for v in a])
        np.testing.assert_allclose(got, want, rtol=1e-14)
    with pytest.raises(ValueError, match="multigammaln: p has to be greater than or equal"):
        special.multigammaln(ad.tensor(a), 0)


# ----- against PyTorch ----------------------------------------------------------------

UNARY = ["ndtr", "log_ndtr", "erfcx", "i0e", "i1", "i1e", "entr"]


def _torch_pair(torch, name, x):
    ours = ad.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, expected = getattr(special, name)(ours), getattr(torch.special, name)(theirs)
    out.sum().backward()
    expected.sum().backward()
    return out, expected, ours.grad, theirs.grad


@pytest.mark.parametrize("name", UNARY + ["ndtri"])
def test_float64_values_and_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(SEED)
    if name == "ndtri":
        x = np.concatenate([rng.uniform(0, 1, 300), 10.0 ** -rng.uniform(1, 200, 50),
                            [0.0, 1.0, 0.5]])
    else:
        x = np.concatenate([rng.uniform(-30, 30, 300), rng.standard_normal(200),
                            [0.0, 1.0, -1.0, 0.5]])
    out, expected, grad, expected_grad = _torch_pair(torch, name, x)
    assert out.dtype == np.float64 and expected.dtype == torch.float64
    # PyTorch computes exp(x**2) from a rounded x**2 (log_ndtr, erfcx): x**2 ulp
    scale = 8 + 2.5 * x * x
    if name == "ndtr":
        # PyTorch's lower tail is 1 + erf(x / sqrt 2), which cancels (0 below -8.3,
        # where the library keeps the relative accuracy): equal to an ulp of 1
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=0, atol=3e-16)
    else:
        assert np.all(ulp_errors(out.data, expected.detach().numpy()) <= scale)
    np.testing.assert_allclose(grad, expected_grad.numpy(), rtol=1e-10 + 1e-14 * x.max() ** 2,
                               atol=1e-300)


@pytest.mark.parametrize("name", UNARY + ["ndtri"])
def test_float32_values_and_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(SEED)
    x = (rng.uniform(0.01, 0.99, 200) if name == "ndtri"
         else rng.uniform(-6, 6, 200)).astype(np.float32)
    out, expected, grad, expected_grad = _torch_pair(torch, name, x)
    assert out.dtype == np.float32 and expected.dtype == torch.float32
    assert grad.dtype == np.float32
    # (ndtr: PyTorch's lower tail cancels, so equal to an ulp of 1)
    atol = 2e-7 if name == "ndtr" else 1e-37
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=4e-6, atol=atol)
    np.testing.assert_allclose(grad, expected_grad.numpy(), rtol=2e-5, atol=1e-6)


def test_edge_gradients_match_torch():
    torch = pytest.importorskip("torch")
    cases = {"i0e": [0.0, -1.0, 0.5], "i1e": [0.0, -1.0, 0.5], "entr": [0.0, 0.5],
             "ndtri": [0.0, 0.5, 0.3], "log_ndtr": [-40.0, 40.0, 0.0], "i1": [0.0, -2.0]}
    for name, x in cases.items():
        _, _, grad, expected_grad = _torch_pair(torch, name, np.array(x))
        np.testing.assert_allclose(grad, expected_grad.numpy(), rtol=1e-12, err_msg=name)


def test_xlog1py_values_and_gradients_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array([0.0, 0.0, 0.0, 2.0, 1.5, -0.7])
    y = np.array([1.0, -1.0, -2.0, -1.0, 0.3, 4.0])
    ours = [ad.tensor(x, requires_grad=True), ad.tensor(y, requires_grad=True)]
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)]
    out, expected = special.xlog1py(*ours), torch.special.xlog1py(*theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-15)
    out.sum().backward()
    expected.sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-15)


def test_zeta_matches_torch_and_has_no_gradient_in_x():
    torch = pytest.importorskip("torch")
    x = np.array([0.5, 1.0, 2.0, -2.0, 2.0, 2.5, 3.0, 2.0, 30.0, np.inf, 4.5, 2.0])
    q = np.array([1.0, 1.0, -1.0, 1.0, 0.0, -1.5, -2.5, 1e10, 1.0, 1.0, 0.25, np.inf])
    got = special.zeta(ad.tensor(x), ad.tensor(q)).data
    want = torch.special.zeta(torch.tensor(x), torch.tensor(q)).numpy()
    # zeta(3, -2.5) sums terms of both signs, 150 times the result: ulp of the terms
    np.testing.assert_allclose(got, want, rtol=1e-13)
    q_ours, q_theirs = ad.tensor([1.5, 0.5], requires_grad=True), torch.tensor(
        [1.5, 0.5], dtype=torch.float64, requires_grad=True)
    special.zeta(ad.tensor([2.5, 3.0]), q_ours).sum().backward()
    torch.special.zeta(torch.tensor([2.5, 3.0], dtype=torch.float64), q_theirs).sum().backward()
    np.testing.assert_allclose(q_ours.grad, q_theirs.grad.numpy(), rtol=1e-13)
    x_leaf = ad.tensor([2.5], requires_grad=True)
    with pytest.raises(NotImplementedError, match="zeta: the derivative with respect to x"):
        special.zeta(x_leaf, ad.tensor([1.5])).sum().backward()


#: The largest error of gammainc / gammaincc against 60-digit values, in ulp, by range
#: of a (x from a / 50 to 3a): large where 1 - P or 1 - Q cancels (the small one of
#: the two taken from the large one), as in SciPy's, whose error is about as large.
INCOMPLETE_GAMMA_BOUNDS = {(0.01, 1.0): 200, (1.0, 10.0): 40, (10.0, 100.0): 250}


@pytest.mark.parametrize("a_range", sorted(INCOMPLETE_GAMMA_BOUNDS))
def test_incomplete_gamma_against_60_digit_values(a_range):
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(SEED)
    a = rng.uniform(*a_range, 60)
    x = a * rng.uniform(0.02, 3, 60)
    p = special.gammainc(ad.tensor(a), ad.tensor(x)).data
    q = special.gammaincc(ad.tensor(a), ad.tensor(x)).data
    with mp.workdps(60):
        want_p = np.array([float(mp.gammainc(mp.mpf(u), 0, mp.mpf(v), regularized=True))
                           for u, v in zip(a, x)])
        want_q = np.array([float(mp.gammainc(mp.mpf(u), mp.mpf(v), mp.inf, regularized=True))
                           for u, v in zip(a, x)])
    bound = INCOMPLETE_GAMMA_BOUNDS[a_range]
    assert ulp_errors(p, want_p).max() <= bound
    assert ulp_errors(q, want_q).max() <= bound
    assert np.all(np.abs(p + q - 1) <= 4e-16)


def test_incomplete_gamma_matches_torch_and_scipy_with_gradient_in_x():
    torch = pytest.importorskip("torch")
    scipy_special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(SEED)
    a = np.concatenate([rng.uniform(0.05, 30, 300), [0.0, 0.0, -1.0, 1.0, 1.0, np.inf, np.inf,
                                                     2.0, np.nan, 1.0, 0.0]])
    x = np.concatenate([rng.uniform(0.0, 40, 300), [0.0, 1.0, 1.0, -1.0, 0.0, 1.0, np.inf,
                                                    np.inf, 1.0, np.nan, np.inf]])
    for name in ("gammainc", "gammaincc"):
        leaf = ad.tensor(x, requires_grad=True)
        out = getattr(special, name)(ad.tensor(a), leaf)
        torch_leaf = torch.tensor(x, requires_grad=True)
        want = getattr(torch.special, name)(torch.tensor(a), torch_leaf)
        # PyTorch's float64 values are off by up to 1e-9 for a near 20..30 (SciPy's and
        # 60-digit values agree with the library's there)
        np.testing.assert_allclose(out.data, want.detach().numpy(), rtol=1e-8, atol=1e-15)
        np.testing.assert_allclose(out.data, getattr(scipy_special, name)(a, x), rtol=1e-12,
                                   atol=1e-15)
        inside = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
        out[inside].sum().backward()
        want[torch.tensor(inside)].sum().backward()
        # PyTorch's density is NaN at a = 1, x = 0 (0 * log 0), the library's 1 there
        density_one = (a == 1) & (x == 0)
        np.testing.assert_allclose(leaf.grad[~density_one], torch_leaf.grad.numpy()[~density_one],
                                   rtol=1e-11, atol=1e-300)
        assert np.all(leaf.grad[density_one] == 0.0)      # outside the summed entries
        a_leaf = ad.tensor([2.5], requires_grad=True)
        with pytest.raises(NotImplementedError, match=f"{name}: the derivative with respect to a"):
            getattr(special, name)(a_leaf, ad.tensor([1.5])).sum().backward()


def test_multigammaln_matches_torch_with_gradient():
    torch = pytest.importorskip("torch")
    a = np.array([2.2, 3.5, 10.0])
    ours, theirs = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, expected = special.multigammaln(ours, 3), torch.special.multigammaln(theirs, 3)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-14)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-13)


ALIASES = {
    "expit": ([-1.0, 0.5],), "logit": ([0.2, 0.7],), "erfinv": ([-0.5, 0.3],),
    "gammaln": ([0.5, 3.0],), "digamma": ([0.5, 3.0],), "psi": ([0.5, 3.0],),
    "sinc": ([0.0, 0.3],), "i0": ([0.0, 2.0],), "exp2": ([0.5, 3.0],),
    "expm1": ([1e-8, 1.0],), "log1p": ([1e-8, 1.0],), "erf": ([0.1, 1.0],),
    "erfc": ([0.1, 3.0],), "round": ([2.5, -0.5, 1.4],),
}


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_torch_names_reachable_with_torch_values(name):
    torch = pytest.importorskip("torch")
    x = np.array(ALIASES[name][0])
    got = getattr(special, name)(ad.tensor(x))
    want = getattr(torch.special, name)(torch.tensor(x))
    np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-14)


def test_torch_names_with_more_arguments():
    torch = pytest.importorskip("torch")
    x = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]])
    t = torch.tensor(x)
    pairs = [
        (special.polygamma(2, ad.tensor(x)), torch.special.polygamma(2, t)),
        (special.xlogy(ad.tensor(x), ad.tensor(np.abs(x))), torch.special.xlogy(t, t.abs())),
        (special.softmax(ad.tensor(x), 1), torch.special.softmax(t, 1)),
        (special.log_softmax(ad.tensor(x), 0), torch.special.log_softmax(t, 0)),
        (special.logsumexp(ad.tensor(x), 1), torch.special.logsumexp(t, 1)),
        (special.logsumexp(ad.tensor(x), 0, keepdim=True),
         torch.special.logsumexp(t, 0, keepdim=True)),
        (special.round(ad.tensor(x * 1.2345), decimals=2),
         torch.special.round(t * 1.2345, decimals=2)),
        (special.logit(ad.tensor(np.abs(x) / 4), eps=0.1),
         torch.special.logit(t.abs() / 4, eps=0.1)),
    ]
    for got, want in pairs:
        assert got.shape == tuple(want.shape)
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-13)


def test_every_torch_special_function_is_reachable():
    torch = pytest.importorskip("torch")
    names = {n for n in dir(torch.special) if not n.startswith("_")
             and callable(getattr(torch.special, n)) and n != "Tensor"}
    assert sorted(n for n in names if not hasattr(special, n)) == []


POLYNOMIALS = sorted(n for n in dir(special) if n.endswith(tuple("_polynomial_" + letter
                     for letter in ("t", "u", "v", "w", "h", "he", "l", "p"))))


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_match_torch_without_gradient(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(SEED)
    x = np.concatenate([rng.uniform(-1.5, 1.5, 200), [0.0, 1.0, -1.0, 0.5, 1e-8, np.inf]])
    n = np.array([-2, -1, 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 15, 30, 2.7, -0.5])
    grid_x, grid_n = np.meshgrid(x, n)
    leaf = ad.tensor(grid_x, requires_grad=True)
    got = getattr(special, name)(leaf, ad.tensor(grid_n))
    want = getattr(torch.special, name)(torch.tensor(grid_x), torch.tensor(grid_n)).numpy()
    assert not got.requires_grad
    assert np.array_equal(np.isfinite(got.data), np.isfinite(want))
    assert np.array_equal(got.data[~np.isfinite(want)], want[~np.isfinite(want)],
                          equal_nan=True)
    # near a root the recurrence and PyTorch's trigonometric forms differ by ulp of the
    # terms, not of the (small) result
    scale = np.maximum(np.abs(want), 1.0)
    finite = np.isfinite(want)
    assert np.max(np.abs(got.data - want)[finite] / scale[finite]) < 1e-12
    # n as a number keeps x's dtype, as PyTorch's
    x32 = rng.uniform(-1, 1, 5).astype(np.float32)
    ours, theirs = (getattr(special, name)(ad.tensor(x32), 4),
                    getattr(torch.special, name)(torch.tensor(x32), 4))
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_airy_ai_against_30_digit_values_and_torch():
    """Within 8 ulp of the value or (near the zeros, for x < 0) of the envelope
    |x|**(-1/4) / sqrt(pi), times zeta / 4 for |x| > 4 (zeta = 2/3 |x|**1.5: its
    rounding in exp(-zeta) and in the phase)."""
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(SEED)
    x = np.concatenate([rng.uniform(-4, 1, 80), rng.uniform(1, 100, 60),
                        rng.uniform(-100, -4, 60), rng.uniform(-1e4, -100, 10),
                        [1.0, 1.0000001, -4.0, -4.0000001, 0.0]])
    with mp.workdps(30):
        want = np.array([float(mp.airyai(mp.mpf(v))) for v in x])
    got = special.airy_ai(ad.tensor(x, requires_grad=True))
    assert not got.requires_grad
    envelope = np.where(x < 0, np.minimum(0.54, np.abs(x) ** -0.25 / np.sqrt(np.pi)),
                        np.abs(want))
    scale = np.maximum(np.spacing(np.abs(want)), np.finfo(float).eps * envelope)
    zeta = 2 / 3 * np.abs(x) ** 1.5
    errors = np.abs(got.data - want) / scale / np.maximum(1.0, zeta / 4)
    assert errors.max() <= 8, (x[errors.argmax()], errors.max())
    torch = pytest.importorskip("torch")
    # PyTorch's float64 values are off by up to 1e-5 (-2.3 < x < -2: 30-digit values
    # agree with the library's above)
    np.testing.assert_allclose(got.data, torch.special.airy_ai(torch.tensor(x)).numpy(),
                               rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"])
def test_bessel_first_and_second_kind_match_torch_without_gradient(name):
    torch = pytest.importorskip("torch")
    x = np.concatenate([np.linspace(-60, 60, 2401), [0.0, -0.0, np.nan, 1e-300]])
    got = getattr(special, name)(ad.tensor(x, requires_grad=True))
    want = getattr(torch.special, name)(torch.tensor(x)).numpy()
    assert not got.requires_grad and got.dtype == np.float64
    # PyTorch's float64 values are off by up to 1e-6 between 5 and 25 (60-digit values
    # agree with the library's: the test above); NaN and ±inf at the same places
    np.testing.assert_allclose(got.data, want, rtol=0, atol=2e-6)
    assert np.array_equal(np.isnan(got.data), np.isnan(want))
    # ±inf: 0, the limit (PyTorch's give NaN)
    assert np.all(getattr(special, name)(ad.tensor([np.inf])).data == 0)


@pytest.mark.parametrize("name", ["modified_bessel_i0", "modified_bessel_i1",
                                  "modified_bessel_k0", "modified_bessel_k1",
                                  "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
                                  "spherical_bessel_j0"])
def test_bessel_functions_without_gradient_match_torch(name):
    torch = pytest.importorskip("torch")
    x = np.concatenate([np.linspace(-700, 700, 2001), np.linspace(-1, 1, 201),
                        [0.0, np.inf, -np.inf, np.nan, 1e-300]])
    got = getattr(special, name)(ad.tensor(x, requires_grad=True))
    want = getattr(torch.special, name)(torch.tensor(x)).numpy()
    assert not got.requires_grad and got.dtype == np.float64
    if name == "modified_bessel_i1":
        # I1(±inf) = ±inf (ad.special.i1's values); PyTorch's series gives NaN there
        np.testing.assert_array_equal(got.data[np.isinf(x)], x[np.isinf(x)])
        want[np.isinf(x)] = x[np.isinf(x)]
    errors = ulp_errors(got.data, want)
    assert errors.max() <= 16, (x[errors.argmax()], errors.max())
    x32 = x.astype(np.float32)[np.abs(x) < 80]
    got32 = getattr(special, name)(ad.tensor(x32)).data
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, getattr(torch.special, name)(torch.tensor(x32)).numpy(),
                               rtol=4e-6, atol=1e-30)


# ----- finite differences, to second order --------------------------------------------

SECOND_ORDER = {
    "ndtr": (special.ndtr, [-3.0, -0.4, 0.7, 2.5]),
    "log_ndtr": (special.log_ndtr, [-12.0, -3.0, -0.4, 0.7, 4.0]),
    "ndtri": (special.ndtri, [0.01, 0.3, 0.6, 0.97]),
    "erfcx": (special.erfcx, [-2.0, -0.3, 0.8, 5.0, 30.0]),
    "i0e": (special.i0e, [-12.0, -0.4, 0.7, 9.0]),
    "i1e": (special.i1e, [-12.0, -0.4, 0.7, 9.0]),
    "entr": (special.entr, [0.1, 0.6, 3.0]),
    "multigammaln": (lambda a: special.multigammaln(a, 3), [1.2, 2.5, 7.0]),
    "zeta(q)": (lambda q: special.zeta(2.5, q), [0.3, 1.5, 9.0]),
    "gammainc(x)": (lambda x: special.gammainc(3.5, x), [0.3, 2.5, 9.0]),
    "gammaincc(x)": (lambda x: special.gammaincc(0.4, x), [0.3, 1.5, 5.0]),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_gradients_match_finite_differences_to_second_order(name):
    function, x = SECOND_ORDER[name]
    x = np.array(x)
    assert ad.gradcheck(function, [x], eps=1e-6, atol=1e-7, rtol=1e-6)
    assert ad.gradgradcheck(function, [x], eps=1e-6, atol=1e-6, rtol=1e-5)


def test_xlog1py_gradients_match_finite_differences_to_second_order():
    x, y = np.array([0.5, -1.2, 2.0]), np.array([0.3, 2.0, -0.6])
    assert ad.gradcheck(special.xlog1py, [x, y], eps=1e-6, atol=1e-7, rtol=1e-6)
    assert ad.gradgradcheck(special.xlog1py, [x, y], eps=1e-6, atol=1e-6, rtol=1e-5)


def test_i1e_gradient_at_zero_is_one_half():
    x = ad.tensor([0.0, -0.0], requires_grad=True)
    special.i1e(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.5])
    assert math.isclose(special.i0e(ad.tensor(0.0)).item(), 1.0)
