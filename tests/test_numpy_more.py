"""np.nanvar, nanstd, nanprod, nancumsum, nancumprod, cumulative_prod, interp, polyval,
the np.linalg spellings of matrix_transpose/diagonal/trace/matmul, and matrix_rank on
Tensors: values, dtypes and shapes against NumPy; gradients against HIPS autograd
where it has a gradient for the function, central differences (float64) otherwise."""

from __future__ import annotations

import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(7)


def _with_nans(shape, where):
    a = RNG.normal(size=shape) + 0.5
    for index in where:
        a[index] = np.nan
    return a


def _same(got, ref):
    ref = np.asarray(ref)
    assert isinstance(got, ad.Tensor)
    assert got.shape == ref.shape and got.dtype == ref.dtype, (got, ref)
    np.testing.assert_array_equal(got.data, ref)


def _warnings_of(f, *args, **kwargs):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = f(*args, **kwargs)
    return out, sorted(str(w.message) for w in seen if issubclass(w.category, RuntimeWarning))


# --- NaN reductions ----------------------------------------------------------------

NAN_CASES = [
    ((3, 4), [(0, 1), (2, 3)]),
    ((3, 4), [(1, slice(None))]),          # an all-NaN row
    ((), []),
    ((1,), []),
    ((1, 1), [(0, 0)]),
    ((2, 1, 3), [(1, 0, 2)]),
]
AXES = [None, 0, -1, (0, 1), 1]


def _axes_for(ndim):
    out = []
    for axis in AXES:
        axes = axis if isinstance(axis, tuple) else (axis,)
        if axis is None or all(-max(ndim, 1) <= a < ndim for a in axes):
            out.append(axis)
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,nans", NAN_CASES)
@pytest.mark.parametrize("name", ["nanvar", "nanstd", "nanprod"])
def test_nan_reductions_match_numpy(name, shape, nans, dtype):
    f = getattr(np, name)
    a = _with_nans(shape, nans).astype(dtype)
    for axis in _axes_for(a.ndim):
        if a.ndim == 0 and axis is not None:
            continue
        for keepdims in (False, True):
            kwargs = dict(axis=axis, keepdims=keepdims)
            ddofs = (0, 1) if name != "nanprod" else (None,)
            for ddof in ddofs:
                if ddof is not None:
                    kwargs["ddof"] = ddof
                ref, ref_warned = _warnings_of(f, a, **kwargs)
                got, got_warned = _warnings_of(f, ad.tensor(a), **kwargs)
                _same(got, ref)
                assert got_warned == ref_warned


def test_nanvar_and_nanstd_warn_as_numpy_for_an_all_nan_lane():
    a = np.array([[np.nan, np.nan], [1.0, 2.0]])
    for f in (np.nanvar, np.nanstd):
        with pytest.warns(RuntimeWarning, match="Degrees of freedom <= 0 for slice"):
            y = f(ad.tensor(a), axis=1)
        assert np.isnan(y.data[0]) and not np.isnan(y.data[1])


@pytest.mark.parametrize("name", ["nanvar", "nanstd", "nanprod", "nancumsum", "nancumprod"])
def test_integer_inputs_as_numpy(name):
    a = np.arange(6).reshape(2, 3) + 1
    f = getattr(np, name)
    _same(f(ad.tensor(a), axis=1), f(a, axis=1))


@pytest.mark.parametrize("name,plain", [("nanvar", anp.var), ("nanstd", anp.std)])
def test_nanvar_nanstd_gradient_is_autograds_on_the_entries_kept(name, plain):
    a = _with_nans((4, 3), [(0, 1), (3, 2), (2, 0)])
    kept = ~np.isnan(a)
    for ddof in (0, 1):
        x = ad.tensor(a, requires_grad=True)
        getattr(np, name)(x, ddof=ddof).backward()
        expected = np.zeros_like(a)
        expected[kept] = autograd.grad(lambda v: plain(v, ddof=ddof))(a[kept])
        np.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["nanvar", "nanstd"])
def test_nan_and_degenerate_lanes_get_zero_gradient(name):
    a = np.array([[np.nan, np.nan, np.nan], [1.0, np.nan, 1.0], [2.0, np.nan, np.nan],
                  [1.0, 2.0, 4.0]])
    x = ad.tensor(a, requires_grad=True)
    # (the lane of one entry: PyTorch's var of it has a NaN gradient, so it warns)
    with pytest.warns(RuntimeWarning), pytest.warns(ad.ConventionWarning, match="1 lane"):
        y = getattr(np, name)(x, axis=1, ddof=1)
    y.sum().backward()
    assert np.isfinite(x.grad).all()
    np.testing.assert_array_equal(x.grad[:3], 0.0)       # all NaN, equal values, n - ddof = 0
    assert (x.grad[3] != 0).all()


def _central_checks(f, *inputs):
    assert ad.gradcheck(f, list(inputs))
    assert ad.gradgradcheck(f, list(inputs))


@pytest.mark.parametrize("shape,nans", [((3, 4), [(0, 1), (2, 3)]), ((), []), ((1,), []),
                                        ((2, 1, 3), []), ((2, 3, 2), [(0, 1, 1)])])
def test_nan_reductions_gradients_by_central_differences(shape, nans):
    a = _with_nans(shape, nans)
    for axis in _axes_for(a.ndim):
        if a.ndim == 0 and axis is not None:
            continue
        _central_checks(lambda t: np.nanvar(t, axis=axis, keepdims=True), a)
        _central_checks(lambda t: np.nanstd(t, axis=axis), a)
        _central_checks(lambda t: np.nanprod(t, axis=axis), a)
        if a.ndim == 0 or not isinstance(axis, tuple):
            ax = axis if a.ndim else None
            _central_checks(lambda t: np.nancumsum(t, axis=ax), a)
            _central_checks(lambda t: np.nancumprod(t, axis=ax), a)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("name", ["nancumsum", "nancumprod"])
def test_nan_running_reductions_match_numpy(name, dtype):
    f = getattr(np, name)
    a = _with_nans((3, 4), [(0, 0), (1, 2)])
    a = np.nan_to_num(a, nan=0.0).astype(dtype) + 1 if dtype is np.int64 else a.astype(dtype)
    for axis in (None, 0, 1, -1):
        _same(f(ad.tensor(a), axis=axis), f(a, axis=axis))
    _same(f(ad.tensor(np.float64(np.nan))), f(np.float64(np.nan)))


def test_nan_entries_get_zero_gradient_in_running_reductions():
    a = np.array([2.0, np.nan, 3.0, 0.5])
    for f in (np.nancumsum, np.nancumprod, np.nanprod):
        x = ad.tensor(a, requires_grad=True)
        f(x).sum().backward()
        assert x.grad[1] == 0.0 and np.isfinite(x.grad).all()


@pytest.mark.parametrize("name", ["nanprod", "nancumsum", "nancumprod"])
def test_out_and_an_integer_dtype_are_refused(name):   # (nanvar, nanstd: test_var_dtype_out.py)
    f = getattr(np, name)
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="dtype=int64 would compute a float64 tensor"):
        f(x, dtype=np.int64)
    with pytest.raises(TypeError, match="with out= an ndarray on a Tensor"):
        f(x, out=np.zeros(()))
    single = f(x, dtype=np.float32)         # (a float dtype: computed in it, on the tape)
    assert single.requires_grad
    np.testing.assert_array_equal(single.data, f(x.data, dtype=np.float32))


def test_nanstd_takes_a_given_mean():
    x = ad.tensor([1.0, np.nan, 2.0])
    assert np.nanstd(x, mean=np.array(1.0)).data == np.nanstd(x.data, mean=np.array(1.0))


# --- cumulative_prod (and the existing cumulative_sum) --------------------------------

@pytest.mark.parametrize("name", ["cumulative_prod", "cumulative_sum"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_cumulative_match_numpy(name, dtype):
    f = getattr(np, name)
    for a in (np.array([1.5, -2.0, 0.0, 3.0]), RNG.normal(size=(2, 3)), np.array([2.5])):
        a = a.astype(dtype)
        axes = [None] if a.ndim == 1 else [0, 1, -1]
        for axis in axes:
            for initial in (False, True):
                kwargs = dict(axis=axis, include_initial=initial)
                _same(f(ad.tensor(a), **kwargs), f(a, **kwargs))


def test_cumulative_prod_errors_as_numpy():
    with pytest.raises(ValueError, match="axis"):
        np.cumulative_prod(ad.tensor(np.ones((2, 2))))
    with pytest.raises(TypeError, match="dtype=int64 would compute a float64 tensor"):
        np.cumulative_prod(ad.tensor([1.0]), dtype=np.int64)


def test_cumulative_prod_gradients():
    a = np.array([[1.5, 0.0, -2.0], [0.5, 2.0, 3.0]])
    for axis in (0, 1):
        for initial in (False, True):
            _central_checks(lambda t: np.cumulative_prod(t, axis=axis,
                                                         include_initial=initial), a)
    _central_checks(lambda t: np.cumulative_prod(t, include_initial=True), np.array([0.7]))


# --- interp ----------------------------------------------------------------------------

XP = np.array([-1.0, 0.0, 0.5, 2.0, 3.0])
FP = np.array([1.0, -1.0, 2.0, 2.5, 0.0])


@pytest.mark.parametrize("left,right", [(None, None), (-5.0, 7.0)])
def test_interp_matches_numpy(left, right):
    x = np.array([-3.0, -1.0, -0.3, 0.0, 0.25, 0.5, 1.7, 2.0, 3.0, 4.0, np.nan])
    _same(np.interp(ad.tensor(x), XP, FP, left, right), np.interp(x, XP, FP, left, right))
    _same(np.interp(ad.tensor(x.astype(np.float32)), XP, ad.tensor(FP.astype(np.float32))),
          np.interp(x.astype(np.float32), XP, FP.astype(np.float32)))
    _same(np.interp(ad.tensor(0.3), XP, FP), np.asarray(np.interp(0.3, XP, FP)))
    x2 = RNG.uniform(-2, 4, size=(2, 3))
    _same(np.interp(ad.tensor(x2), ad.tensor(XP), FP), np.interp(x2, XP, FP))
    _same(np.interp(ad.tensor(x), [1.0], [2.0]), np.interp(x, [1.0], [2.0]))


def test_interp_gradients_in_x_and_fp():
    x = np.array([-3.0, -0.3, 0.25, 1.7, 2.9, 4.0])       # away from the knots
    _central_checks(lambda t, f: np.interp(t, XP, f), x, FP)
    _central_checks(lambda t, f, lo, hi: np.interp(t, XP, f, lo, hi), x, FP,
                    np.array(-5.0), np.array(7.0))
    _central_checks(lambda t: np.interp(t, XP, FP), np.array(0.7))


def test_interp_slope_at_knots():
    x = ad.tensor(np.array([0.0, 0.5, 3.0]), requires_grad=True)
    np.interp(x, XP, FP).sum().backward()
    # right-hand segment inside, left-hand segment at the last knot
    np.testing.assert_allclose(x.grad, [6.0, (2.5 - 2.0) / 1.5, (0.0 - 2.5) / 1.0])


def test_interp_refuses_a_differentiable_period_and_xp_with_a_period():
    with pytest.raises(TypeError, match="no gradient with respect to xp .* with a period"):
        np.interp(ad.tensor([0.5]), ad.tensor(XP, requires_grad=True), FP, period=4.0)
    with pytest.raises(TypeError, match="period"):
        np.interp(ad.tensor([0.5]), XP, FP, period=ad.tensor(2.0, requires_grad=True))
    with pytest.raises(ValueError):
        np.interp(ad.tensor([0.5]), XP, FP[:-1])

def test_interp_with_a_period_is_numpys_and_differentiates_in_x_and_fp():
    # compass headings: knots and points on both sides of the wrap-around
    x0 = np.array([-170.0, -30.0, 0.0, 45.0, 190.0, 359.0])
    knots, fp0 = [-180.0, -90.0, 10.0, 100.0, 170.0], np.array([4.0, 2.0, 1.0, 3.0, 5.0])
    x, fp = ad.tensor(x0, requires_grad=True), ad.tensor(fp0, requires_grad=True)
    y = np.interp(x, knots, fp, period=360)
    np.testing.assert_array_equal(y.data, np.interp(x0, knots, fp0, period=360))
    (y * np.arange(1.0, 7.0)).sum().backward()

    def weighted(a, b):
        return np.sum(np.interp(a, knots, b, period=360) * np.arange(1.0, 7.0))
    step = 1e-6 * np.eye(6)
    np.testing.assert_allclose(
        x.grad, [(weighted(x0 + e, fp0) - weighted(x0 - e, fp0)) / 2e-6 for e in step],
        rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        fp.grad, [(weighted(x0, fp0 + e) - weighted(x0, fp0 - e)) / 2e-6 for e in step[:5, :5]],
        rtol=1e-6, atol=1e-9)
    # and second derivatives (x's slopes are piecewise constant; fp enters linearly)
    assert ad.gradgradcheck(lambda a: np.interp(a, knots, fp0 ** 2, period=360), [x0 + 0.5])
    with pytest.raises(ValueError, match="period must be a non-zero value"):
        np.interp(x, knots, fp, period=0)
    with pytest.raises(TypeError, match="interp: no gradient with respect to period"):
        np.interp(x, knots, fp, period=ad.tensor(360.0, requires_grad=True))


def test_interp_with_a_period_replays_under_compile():
    knots = [-180.0, -90.0, 10.0, 100.0, 170.0]
    fp = ad.tensor(np.arange(5.0) ** 2, requires_grad=True)

    def step(x):
        fp.grad = None
        y = np.interp(x, knots, fp, period=360).sum()
        y.backward()
        return y
    compiled = ad.compile(step)
    for seed in range(3):
        x0 = np.random.default_rng(seed).uniform(-400, 400, 6)
        y = compiled(ad.tensor(x0))
        compiled_grad = fp.grad.copy()
        assert y.data == np.interp(x0, knots, fp.data, period=360).sum()
        step(ad.tensor(x0))
        np.testing.assert_array_equal(compiled_grad, fp.grad)
    assert compiled.traces == 1


# --- polyval ---------------------------------------------------------------------------

@pytest.mark.parametrize("x", [np.array(1.3), np.array([0.5, -2.0, 3.0]),
                               np.arange(6.0).reshape(2, 3) / 3, np.array([2, 3])])
def test_polyval_matches_numpy_and_autograd(x):
    p = np.array([0.5, -1.0, 2.0, 3.0])
    _same(np.polyval(ad.tensor(p), ad.tensor(x)), np.polyval(p, x))
    _same(np.polyval([1, 2], ad.tensor(x)), np.polyval([1, 2], x))
    _same(np.polyval(ad.tensor(p.astype(np.float32)), ad.tensor(x.astype(np.float32))),
          np.polyval(p.astype(np.float32), x.astype(np.float32)))
    if x.dtype.kind != "f":
        return

    def horner(c, v):
        y = anp.zeros_like(v)
        for k in range(len(c)):
            y = y * v + c[k]
        return anp.sum(y)
    pt, xt = ad.tensor(p, requires_grad=True), ad.tensor(x, requires_grad=True)
    np.polyval(pt, xt).sum().backward()
    gp, gx = autograd.grad(horner, (0, 1))(p, x)
    np.testing.assert_allclose(pt.grad, gp, rtol=1e-12)
    np.testing.assert_allclose(xt.grad, gx, rtol=1e-12)
    _central_checks(lambda c, v: np.polyval(c, v), p, x)


def test_polyval_broadcasts_and_refuses_0d_coefficients():
    p = RNG.normal(size=(3, 2))                 # NumPy iterates over the first axis
    x = RNG.normal(size=(4, 1))
    _same(np.polyval(ad.tensor(p), ad.tensor(x)), np.polyval(p, x))
    with pytest.raises(TypeError):
        np.polyval(ad.tensor(2.0), ad.tensor(1.0))


# --- np.linalg spellings ---------------------------------------------------------------

def test_linalg_aliases_match_numpy():
    a = RNG.normal(size=(2, 3, 4))
    b = RNG.normal(size=(4, 5))
    _same(np.linalg.matrix_transpose(ad.tensor(a)), np.linalg.matrix_transpose(a))
    for offset in (-1, 0, 2):
        _same(np.linalg.diagonal(ad.tensor(a), offset=offset), np.linalg.diagonal(a, offset=offset))
        _same(np.linalg.trace(ad.tensor(a), offset=offset), np.linalg.trace(a, offset=offset))
    _same(np.linalg.matmul(ad.tensor(a), ad.tensor(b)), np.linalg.matmul(a, b))
    _same(np.linalg.matmul(ad.tensor(a[0, 0]), ad.tensor(b)), np.linalg.matmul(a[0, 0], b))
    for f in (np.linalg.matrix_transpose, np.linalg.diagonal, np.linalg.trace):
        with pytest.raises(ValueError):
            f(ad.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="dtype=int64 would compute a float64 tensor"):
        np.linalg.trace(ad.tensor(a), dtype=np.int64)


def test_linalg_alias_gradients_against_autograd():
    a = RNG.normal(size=(2, 3, 3))
    b = RNG.normal(size=(3, 2))
    w = RNG.normal(size=(2, 3))
    cases = [
        # (autograd's diagonal gradient takes offset 0 only, and axes (-1, -2))
        (lambda t: (np.linalg.diagonal(t) * w).sum(),
         lambda t: anp.sum(anp.diagonal(t, 0, -1, -2) * w)),
        (lambda t: (np.linalg.trace(t) * w[:, 0]).sum(),
         lambda t: anp.sum(anp.sum(anp.diagonal(t, 0, -1, -2), -1) * w[:, 0])),
        (lambda t: (np.linalg.matrix_transpose(t) ** 2 * a).sum(),
         lambda t: anp.sum(anp.swapaxes(t, -1, -2) ** 2 * a)),
        (lambda t: (np.linalg.matmul(t, b) ** 2).sum(),
         lambda t: anp.sum(anp.matmul(t, b) ** 2)),
    ]
    for ours, theirs in cases:
        x = ad.tensor(a, requires_grad=True)
        ours(x).backward()
        np.testing.assert_allclose(x.grad, autograd.grad(theirs)(a), rtol=1e-12)
        _central_checks(ours, a)
    _central_checks(lambda t: (np.linalg.diagonal(t, offset=1) * w[:, :2]).sum(), a)
    _central_checks(lambda t: np.linalg.trace(t, offset=-1), a)


def test_matrix_rank_runs_without_gradient():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    x = ad.tensor(a, requires_grad=True)
    assert np.linalg.matrix_rank(x) == np.linalg.matrix_rank(a) == 1
    stack = np.stack([a, np.eye(2)])
    r = np.linalg.matrix_rank(ad.tensor(stack, requires_grad=True))
    np.testing.assert_array_equal(r.data if isinstance(r, ad.Tensor) else r, [1, 2])
    assert not getattr(r, "requires_grad", False)
    assert np.linalg.matrix_rank(x, tol=10.0) == 0


def test_interp_refuses_non_finite_fp_instead_of_giving_nan():
    with pytest.raises(ValueError, match="fp holds inf or NaN"):
        np.interp(ad.tensor(0.5, requires_grad=True), [0.0, 1.0], [np.inf, 1.0])
