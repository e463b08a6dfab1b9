"""NumPy's signal and polynomial functions on Tensors (autodiff/ops/signal.py and
polynomial.py): forwards equal to NumPy's on edge cases (dtypes, 0-d, empty, mixed
Tensor/ndarray arguments), the refusals, gradients by hand and against HIPS autograd.
The generated checks against finite differences are the specs in op_specs_signal.py."""

from __future__ import annotations

import warnings

import autograd
import autograd.numpy as anp
import autograd.scipy.signal as asignal
import numpy as np
import pytest

import autodiff as ad
from autodiff.ops import signal

T = ad.tensor


def _same(result, expected):
    """``result`` is a Tensor holding exactly NumPy's ``expected`` (values, shape, dtype)."""
    assert isinstance(result, ad.Tensor)
    expected = np.asarray(expected)
    assert result.dtype == expected.dtype, (result.dtype, expected.dtype)
    assert result.shape == expected.shape, (result.shape, expected.shape)
    np.testing.assert_array_equal(result.data, expected)


def _with_tensors(args, which):
    return [T(a) if i in which else a for i, a in enumerate(args)]


# --- forwards equal to NumPy's, every argument as Tensor or as ndarray -------------------

_SLIDING = [
    (np.arange(1.0, 6.0), np.array([1.0, 10.0, 100.0, 1000.0])),
    (np.array([1.0, 10.0, 100.0, 1000.0]), np.arange(1.0, 6.0)),     # NumPy swaps
    (np.array([2.0]), np.array([3.0, 4.0])),
    (np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5])),
    (np.array([100, 100], np.int8), np.array([1, 1], np.int8)),       # wraps, as NumPy
    (np.array([1, 2, 3]), np.array([1.5, 2.0])),
    (np.array([1.0, 2.0], np.float32), np.array([1.0, 2.0, 3.0])),
    (np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)),
    (np.array([True, False]), np.array([True, True])),
]


@pytest.mark.parametrize("which", [{0}, {1}, {0, 1}])
@pytest.mark.parametrize("mode", ["full", "same", "valid", 0, 1, 2])
@pytest.mark.parametrize("a, v", _SLIDING)
def test_convolve_and_correlate_match_numpy(a, v, mode, which):
    for func in (np.convolve, np.correlate):
        _same(func(*_with_tensors([a, v], which), mode), func(a, v, mode))


def test_convolve_takes_0d_arrays_as_length_one():
    _same(np.convolve(T(2.0), np.array([1.0, 2.0])), np.convolve(np.array(2.0), [1.0, 2.0]))
    _same(np.convolve([1.0, 2.0], T(3.0), "same"), np.convolve([1.0, 2.0], 3.0, "same"))


def test_correlate_conjugates_a_complex_v():
    a, v = np.array([1 + 1j, 2.0]), np.array([1j, 2.0, 3.0 - 1j])
    for mode in ("full", "same", "valid"):
        _same(np.correlate(T(a), v, mode), np.correlate(a, v, mode))
        _same(np.correlate(v, T(a), mode), np.correlate(v, a, mode))


def test_long_inputs_are_multiplied_a_block_of_taps_at_a_time(monkeypatch):
    monkeypatch.setattr(signal, "WINDOW_BUDGET", 64)       # several blocks, uneven last
    rng = np.random.default_rng(0)
    a, v = rng.normal(size=50), rng.normal(size=13)
    for mode in ("full", "same", "valid"):
        ta, tv = T(a, requires_grad=True), T(v, requires_grad=True)
        out = np.convolve(ta, tv, mode)
        np.testing.assert_allclose(out.data, np.convolve(a, v, mode), rtol=1e-12, atol=1e-12)
        g = rng.normal(size=out.shape)
        out.backward(g)
        ga, gv = autograd.grad(lambda s, t: anp.sum(asignal.convolve(s, t, mode=mode) * g),
                               (0, 1))(a, v)
        np.testing.assert_allclose(ta.grad, ga, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(tv.grad, gv, rtol=1e-10, atol=1e-12)


def test_a_long_convolution_records_few_nodes():
    rng = np.random.default_rng(1)
    a, v = T(rng.normal(size=20000), requires_grad=True), rng.normal(size=400)
    out = np.convolve(a, v)
    np.testing.assert_allclose(out.data, np.convolve(a.data, v), rtol=1e-9, atol=1e-9)
    out.sum().backward()
    np.testing.assert_allclose(a.grad, np.full(a.shape, v.sum()), rtol=1e-10)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n, m", [(6, 3), (5, 4), (3, 5), (1, 1), (4, 1)])
def test_gradients_match_autograd(n, m, mode):
    rng = np.random.default_rng(n * 10 + m)
    a, v = rng.normal(size=n), rng.normal(size=m)
    # scipy's convolve does not swap a shorter first input: compare with the longer first
    long, short = (a, v) if n >= m else (v, a)
    for func, reference in (
            (np.convolve, lambda s, t: asignal.convolve(s, t, mode=mode)),
            (np.correlate, lambda s, t: asignal.convolve(s, t[::-1], mode=mode))):
        tl, ts = T(long, requires_grad=True), T(short, requires_grad=True)
        out = func(tl, ts, mode)
        g = rng.normal(size=out.shape)
        np.testing.assert_allclose(out.data, reference(long, short), rtol=1e-12, atol=1e-12)
        out.backward(g)
        expected = autograd.grad(lambda s, t: anp.sum(reference(s, t) * g), (0, 1))(long, short)
        np.testing.assert_allclose(tl.grad, expected[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ts.grad, expected[1], rtol=1e-10, atol=1e-12)


def test_correlate_with_the_longer_second_argument_is_numpy_reversed_result():
    a, v = np.arange(1.0, 4.0), np.arange(1.0, 6.0)
    ta, tv = T(a, requires_grad=True), T(v, requires_grad=True)
    out = np.correlate(ta, tv, "same")
    _same(out.detach(), np.correlate(a, v, "same"))
    out.backward(np.array([1.0, 0.0, 0.0, 0.0, 0.0]))
    # out[0] = a[0] v[3] + a[1] v[4]
    np.testing.assert_array_equal(ta.grad, [4.0, 5.0, 0.0])
    np.testing.assert_array_equal(tv.grad, [0.0, 0.0, 0.0, 1.0, 2.0])


@pytest.mark.parametrize("x", [np.array([2.0, -1.0, 0.0, 3.0]), np.arange(4),
                               np.array([1.0, 2.0], np.float32), np.array([True, False]),
                               np.zeros(0)])
@pytest.mark.parametrize("N", [None, 0, 1, 3])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander_matches_numpy(x, N, increasing):
    _same(np.vander(T(x), N, increasing), np.vander(x, N, increasing))


def test_vander_gradient_at_zero():
    x = T([0.0, 2.0], requires_grad=True)
    np.vander(x, 4).sum().backward()           # d/dx (x^3 + x^2 + x + 1)
    np.testing.assert_array_equal(x.grad, [1.0, 17.0])


_FIT_X = np.linspace(0.0, 1.0, 6)
_FIT_Y = np.array([0.3, -1.2, 0.8, 2.0, 1.1, -0.4])


@pytest.mark.parametrize("which", [{0}, {1}, {0, 1}])
@pytest.mark.parametrize("deg", [0, 1, 3, 5])
def test_polyfit_matches_numpy(deg, which):
    x, y = _with_tensors([_FIT_X, _FIT_Y], which)
    np.testing.assert_allclose(np.polyfit(x, y, deg).data, np.polyfit(_FIT_X, _FIT_Y, deg),
                               rtol=1e-12, atol=1e-12)
    y2 = np.stack([_FIT_Y, _FIT_Y ** 2], axis=1)
    w = np.linspace(0.5, 2.0, 6)
    x, y2t, wt = _with_tensors([_FIT_X, y2, w], which | {2})
    np.testing.assert_allclose(np.polyfit(x, y2t, deg, w=wt).data,
                               np.polyfit(_FIT_X, y2, deg, w=w), rtol=1e-12, atol=1e-12)


def test_polyfit_keeps_numpy_dtypes_and_full_and_cov_results():
    y32 = _FIT_Y.astype(np.float32)
    w = np.linspace(0.5, 2.0, 6)
    _same(np.polyfit(T(np.arange(6)), T(y32), 2, w=w).detach(),
          np.polyfit(np.arange(6), y32, 2, w=w))
    ours = np.polyfit(T(_FIT_X), _FIT_Y, 2, full=True)
    theirs = np.polyfit(_FIT_X, _FIT_Y, 2, full=True)
    for mine, numpy_value in zip(ours, theirs):
        np.testing.assert_allclose(getattr(mine, "data", mine), numpy_value, rtol=1e-12)
    for cov in (True, "unscaled"):
        c, v = np.polyfit(T(_FIT_X), np.stack([_FIT_Y, -_FIT_Y], 1), 2, cov=cov)
        np.testing.assert_allclose(v.data, np.polyfit(_FIT_X, np.stack([_FIT_Y, -_FIT_Y], 1),
                                                      2, cov=cov)[1], rtol=1e-10)


def test_polyfit_warns_when_poorly_conditioned_as_numpy():
    with pytest.warns(np.exceptions.RankWarning, match="poorly conditioned"):
        np.polyfit(T([1.0, 1.0, 1.0]), T([1.0, 2.0, 3.0]), 2)


def test_polyfit_gradient_matches_autograd_normal_equations():
    def fit(x, y, w):
        v = anp.stack([x ** 3, x ** 2, x, anp.ones_like(x)], axis=1) * w[:, None]
        return anp.linalg.solve(anp.dot(v.T, v), anp.dot(v.T, y * w))

    w = np.linspace(0.5, 2.0, 6)
    g = np.array([1.0, -2.0, 0.5, 3.0])
    tx, ty, tw = (T(a, requires_grad=True) for a in (_FIT_X, _FIT_Y, w))
    (np.polyfit(tx, ty, 3, w=tw) * g).sum().backward()
    expected = autograd.grad(lambda *a: anp.sum(fit(*a) * g), (0, 1, 2))(_FIT_X, _FIT_Y, w)
    for t, e in zip((tx, ty, tw), expected):
        np.testing.assert_allclose(t.grad, e, rtol=1e-7, atol=1e-9)


_POLYS = [np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0]), np.arange(4), np.zeros(0),
          np.array([1.0, 2.0, 3.0], np.float32)]


@pytest.mark.parametrize("p", _POLYS)
@pytest.mark.parametrize("m", [0, 1, 2, 5])
def test_polyder_and_polyint_match_numpy(p, m):
    _same(np.polyder(T(p), m), np.polyder(p, m))
    _same(np.polyint(T(p), m), np.polyint(p, m))
    for k in (3.0, [1.0, 2.0, 3.0, 4.0, 5.0], np.array([7])):
        _same(np.polyint(T(p), m, k), np.polyint(p, m, k))
        _same(np.polyint(T(p), m, T(k)), np.polyint(p, m, k))


_PAIRS = [(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])), (np.array(2.0), np.array([1, 2])),
          (np.array([0.0, 0.0, 1.0, 2.0]), np.array([0.0, 3.0])),
          (np.array([0.0, 0.0]), np.array([1.0, 2.0])), (np.zeros(0), np.array([1.0, 2.0])),
          (np.array([1.0, 2.0], np.float32), np.array([1, 2, 3])),
          (np.array([0, 0, 2]), np.array([0, 3], np.int8))]


@pytest.mark.parametrize("which", [{0}, {1}, {0, 1}])
@pytest.mark.parametrize("a1, a2", _PAIRS)
def test_polyadd_polysub_polymul_match_numpy(a1, a2, which):
    for func in (np.polyadd, np.polysub, np.polymul):
        _same(func(*_with_tensors([a1, a2], which)), func(a1, a2))
        _same(func(*_with_tensors([a2, a1], which)), func(a2, a1))


def test_polymul_drops_leading_zeros_and_their_gradient():
    a = T([0.0, 1.0, 2.0], requires_grad=True)
    out = np.polymul(a, [1.0, 3.0])
    _same(out.detach(), np.polymul([0.0, 1.0, 2.0], [1.0, 3.0]))
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 4.0, 4.0])
    zero = T([0.0, 0.0], requires_grad=True)
    np.polymul(zero, [1.0, 3.0]).sum().backward()     # the constant term still counts
    np.testing.assert_array_equal(zero.grad, [0.0, 4.0])


def test_polyint_gradient_in_k():
    k = T([1.0, 2.0], requires_grad=True)
    np.polyint(T([6.0]), 2, k).backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(k.grad, [10.0, 100.0])


def test_poly_functions_refuse_what_they_cannot_take():
    with pytest.raises(TypeError, match=r"polymul: poly1d arguments .*p\.coeffs"):
        np.polymul(np.poly1d([1.0, 2.0]), T([1.0]))
    with pytest.raises(ValueError, match=r"polyadd: the coefficients must be a 1-D .*"
                                         r"shape \(2, 2\)"):
        np.polyadd(T(np.ones((2, 2))), [1.0])
    with pytest.raises(TypeError, match=r"polyder: the coefficients .*shape \(\)"):
        np.polyder(T(2.0))
    with pytest.raises(ValueError, match=r"polyder: the order of the derivative must be "
                                         r"positive .*m=-1"):
        np.polyder(T([1.0]), -1)
    with pytest.raises(ValueError, match=r"polyint: k must be a scalar or a rank-1 array "
                                         r"of length 1 or >= m; got length 2 for m=3"):
        np.polyint(T([1.0]), 3, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"vander: x must be a one-dimensional .*\(2, 2\)"):
        np.vander(T(np.ones((2, 2))))
    with pytest.raises(TypeError, match=r"polyfit: expected x \(shape \(3,\)\) and y "
                                        r"\(shape \(2,\)\) to have the same length"):
        np.polyfit(T([1.0, 2.0, 3.0]), [1.0, 2.0], 1)
    with pytest.raises(ValueError, match=r"polyfit: the number of data points \(2\) must "
                                         r"exceed order \(2\).*cov='unscaled'"):
        np.polyfit(T([1.0, 2.0]), [1.0, 2.0], 1, cov=True)


def test_polymul_and_trim_zeros_are_refused_while_compiling():
    for func in (lambda t: np.polymul(t, [1.0, 2.0]), lambda t: np.trim_zeros(t)):
        compiled = ad.compile(func)
        with pytest.raises(ad.TraceError, match=r"depend.* on the values|leading zeros"):
            compiled(T([1.0, 2.0], requires_grad=True))


# --- unwrap, ediff1d, trim_zeros ---------------------------------------------------------

_PHASES = np.cumsum(np.random.default_rng(3).normal(size=(3, 7)) * 3, axis=1)


@pytest.mark.parametrize("p, kwargs", [
    (_PHASES, {}), (_PHASES, {"axis": 0}), (_PHASES, {"discont": 4.0}),
    (_PHASES, {"period": 5.0}), (_PHASES.astype(np.float32), {}),
    (np.array([0, 5, 10, 3]), {"period": 6}), (np.array([0, 5, 10, 3]), {"period": 7}),
    (np.array([0, 5, 10, 3]), {}), (np.zeros((2, 0)), {}), (np.array([1.0]), {}),
    (np.array([-0.0, 4.0]), {}), (np.array([0.0, np.inf, 1.0]), {}),
])
def test_unwrap_matches_numpy(p, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(np.unwrap(T(p), **kwargs), np.unwrap(p, **kwargs))


def test_unwrap_gradient_is_the_identity():
    p = T(_PHASES, requires_grad=True)
    np.unwrap(p).backward(np.full(p.shape, 2.0))
    np.testing.assert_array_equal(p.grad, np.full(p.shape, 2.0))
    with pytest.raises(TypeError, match=r"unwrap: period must be a number"):
        np.unwrap(p, period=T(3.0))


@pytest.mark.parametrize("a", [np.array([1.0, 4.0, 9.0]), np.arange(6).reshape(2, 3),
                               np.array(3.0), np.zeros(0), np.array([1, 5], np.int8)])
@pytest.mark.parametrize("ends", [{}, {"to_begin": [7, 8]}, {"to_end": np.array(2)},
                                  {"to_end": [[1, 2]], "to_begin": -1}])
def test_ediff1d_matches_numpy(a, ends):
    _same(np.ediff1d(T(a), **ends), np.ediff1d(a, **ends))
    if ends:
        tensors = {k: T(v) for k, v in ends.items()}        # Tensors only in the ends
        _same(np.ediff1d(a, **tensors), np.ediff1d(a, **ends))


def test_ediff1d_gradients_and_refusal():
    a, begin, end = (T(v, requires_grad=True) for v in ([1.0, 4.0, 9.0], [0.0], 5.0))
    np.ediff1d(a, to_end=end, to_begin=begin).backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(a.grad, [-2.0, -1.0, 3.0])
    assert begin.grad.tolist() == [1.0] and end.grad == 4.0
    with pytest.raises(TypeError, match=r"ediff1d: dtype of `to_end` \(float64\) must be "
                                        r"compatible with the input's dtype \(int64\)"):
        np.ediff1d(T(np.arange(3)), to_end=T(1.5))


_TRIMMED = [np.array([0.0, 1.0, 0.0, 2.0, 0.0]), np.zeros(3), np.array([0, 0, 1]),
            np.array([[0, 0, 0], [0, 1, 2], [0, 3, 0]]), np.zeros(0), np.array([-0.0, 3.0])]


@pytest.mark.parametrize("a", _TRIMMED)
@pytest.mark.parametrize("trim", ["f", "b", "fb", "BF"])
def test_trim_zeros_matches_numpy(a, trim):
    _same(np.trim_zeros(T(a), trim), np.trim_zeros(a, trim))
    if a.ndim == 2:
        for axis in (0, -1, (0, 1)):
            _same(np.trim_zeros(T(a), trim, axis=axis), np.trim_zeros(a, trim, axis=axis))


def test_trim_zeros_gradient_and_refusal():
    x = T([0.0, 2.0, 0.0, 3.0, 0.0], requires_grad=True)
    np.trim_zeros(x, "f").backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=r"trim_zeros: unexpected character\(s\) in `trim`: "
                                         r"'x'"):
        np.trim_zeros(x, "x")


# --- bincount, apply_along_axis, piecewise -----------------------------------------------

def test_bincount_matches_numpy_and_gathers_the_gradient():
    x, w = np.array([0, 2, 2, 5]), np.array([0.5, 1.0, -2.0, 4.0])
    _same(np.bincount(T(x)), np.bincount(x))
    _same(np.bincount(T(x), minlength=8), np.bincount(x, minlength=8))
    _same(np.bincount(x, weights=T(w)), np.bincount(x, weights=w))
    _same(np.bincount(T(x), weights=T(w.astype(np.float32)), minlength=9),
          np.bincount(x, weights=w.astype(np.float32), minlength=9))
    _same(np.bincount(x, weights=T(np.arange(4))), np.bincount(x, weights=np.arange(4)))
    for minlength in (0, 3):              # (NumPy's integer result for no entries)
        _same(np.bincount(T(np.zeros(0, int)), weights=np.zeros(0), minlength=minlength),
              np.bincount(np.zeros(0, int), weights=np.zeros(0), minlength=minlength))
    tw = T(w, requires_grad=True)
    np.bincount(x, weights=tw).backward(np.arange(6.0))
    np.testing.assert_array_equal(tw.grad, [0.0, 2.0, 2.0, 5.0])


def test_bincount_refusals():
    with pytest.raises(ValueError, match=r"bincount: weights \(shape \(3,\)\) and x \(shape "
                                         r"\(2,\)\) must have the same length"):
        np.bincount([0, 1], weights=T([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match=r"bincount: weights of dtype complex128 .*weights\.real"):
        np.bincount([0, 1], weights=T(np.array([1j, 2.0])))
    with pytest.raises(ValueError, match="negative"):                   # NumPy's own check
        np.bincount(T(np.array([-1, 2])))


_LANE_FUNCTIONS = [np.sum, np.cumsum, lambda r: np.outer(r, r), lambda r: r[0],
                   lambda r: np.sort(r), lambda r: [r[0] * 2, r[-1]]]


@pytest.mark.parametrize("func", _LANE_FUNCTIONS)
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("a", [np.random.default_rng(4).normal(size=(2, 3, 4)),
                               np.arange(6).reshape(2, 3)])
def test_apply_along_axis_matches_numpy(func, axis, a):
    _same(np.apply_along_axis(func, axis, T(a)), np.apply_along_axis(func, axis, a))


def test_apply_along_axis_passes_arguments_on_and_refuses_ragged_results():
    a = np.arange(6.0).reshape(2, 3)
    _same(np.apply_along_axis(np.sum, 1, T(a), keepdims=True, dtype=np.float32),
          np.apply_along_axis(np.sum, 1, a, keepdims=True, dtype=np.float32))
    x = T(a, requires_grad=True)
    np.apply_along_axis(lambda r, s: np.sum(r * r) * s, 0, x, 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, 4.0 * a)
    x = T(a, requires_grad=True)
    np.apply_along_axis(lambda r: [r[0], r[2] * 3.0], 1, x).sum().backward()   # a list
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 3.0], [1.0, 0.0, 3.0]])
    with pytest.raises(ValueError, match=r"apply_along_axis: func1d returned shape \(2,\) "
                                         r"for the slice at \(1,\), but \(1,\)"):
        np.apply_along_axis(lambda r: r[: int(r.data[0]) % 2 + 1], 1, T(a))
    with pytest.raises(ValueError, match=r"apply_along_axis: .*shape \(0, 3\).*empty"):
        np.apply_along_axis(np.sum, 1, T(np.zeros((0, 3))))


_X = np.linspace(-2.0, 2.0, 7)


@pytest.mark.parametrize("x, condlist, funclist", [
    (_X, [_X < 0, _X > 1], [lambda t: -t, lambda t: t * t, 0.5]),
    (_X, [_X < 0, _X > 1], [lambda t: -t, lambda t: t * t]),
    (_X, _X < 0, [lambda t: -t, 3]),
    (_X, [_X < 0], [-1, 1]),
    (_X, [_X < 1, _X > -1], [1.0, 2.0]),                              # the later wins
    (np.array(1.5), [True], [lambda t: t * 3]),
    (np.array(1.5), [False, True], [lambda t: t * 3, lambda t: t + 1]),
    (np.arange(5), [np.arange(5) < 2], [lambda t: t * 1.5, 7]),       # int: truncated
    (_X.reshape(7, 1), [_X.reshape(7, 1) > 0], [lambda t: t * 3, 1]),
    (_X.astype(np.float32), [_X < 0], [lambda t: t * 2.0, 1.0]),
])
def test_piecewise_matches_numpy(x, condlist, funclist):
    _same(np.piecewise(T(x), condlist, funclist), np.piecewise(x, condlist, funclist))


def test_piecewise_gradient_with_tensor_conditions_and_values():
    x = T([-2.0, 1.0, 3.0], requires_grad=True)
    value = T(0.5, requires_grad=True)
    out = np.piecewise(x, [x < 0, x > 2], [lambda t: t * t, lambda t: np.sin(t), value])
    np.testing.assert_allclose(out.data, [4.0, 0.5, np.sin(3.0)])
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [-4.0, 0.0, np.cos(3.0)])
    assert value.grad == 1.0
    with pytest.raises(ValueError, match=r"piecewise: with 2 condition\(s\), either 2 or 3 "
                                         r"functions are expected, got 1"):
        np.piecewise(x, [x < 0, x > 2], [1.0])


# --- refusals of convolve / correlate ----------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: np.convolve(T([]), [1.0]), ValueError, r"convolve: a cannot be empty"),
    (lambda: np.convolve([1.0], T([])), ValueError, r"convolve: v cannot be empty"),
    (lambda: np.correlate(T(2.0), [1.0]), ValueError,
     r"correlate: a \(the first argument\) must be 1-D, got shape \(\)"),
    (lambda: np.convolve(T(np.ones((2, 2))), [1.0]), ValueError,
     r"convolve: a must be 1-D, got shape \(2, 2\).*apply_along_axis"),
    (lambda: np.convolve(T([1.0]), [1.0], mode="f"), ValueError,
     r"convolve: mode must be one of 'valid', 'same', 'full' \(or 0, 1, 2\), got 'f'"),
    (lambda: np.correlate(T([1.0]), [1.0], mode=3), ValueError, r"correlate: mode must be"),
])
def test_convolve_and_correlate_refusals(call, error, message):
    with pytest.raises(error, match=message):
        call()
