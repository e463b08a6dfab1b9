"""The NumPy functions added to the surface together (the NaN-ignoring reductions,
average, median, quantile, percentile, ptp, cov, corrcoef, gradient, trapezoid, sinc,
cbrt, float_power, copysign, heaviside, cumulative_sum, matrix_transpose, angle,
real_if_close and the ones that run without gradient) on Tensors: NumPy's results bit
for bit (values, dtype, shape, warnings), the all-NaN cases, compiled replays, and the
errors.
Gradients on generated shapes are checked from tests/op_specs_stats.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4))
WITH_NAN = X.copy()
WITH_NAN[0, 1] = np.nan
WITH_NAN[2, :] = np.nan                 # a whole row
COORDINATES = np.array([0.0, 1.0, 3.0, 3.5])

CASES = [
    ("nansum", lambda m, a: m.nansum(a, axis=1)),
    ("nanmean", lambda m, a: m.nanmean(a, axis=1)),
    ("nanmean all", lambda m, a: m.nanmean(a)),
    ("nanmax", lambda m, a: m.nanmax(a, axis=1)),
    ("nanmin keepdims", lambda m, a: m.nanmin(a, axis=0, keepdims=True)),
    ("average", lambda m, a: m.average(a, axis=1)),
    ("average weights", lambda m, a: m.average(a, axis=1, weights=COORDINATES + 1)),
    ("average weights tuple", lambda m, a: m.average(a, axis=(0, 1), weights=np.abs(a) + 1,
                                                     keepdims=True)),
    ("average returned", lambda m, a: m.average(a, axis=0, weights=np.arange(1.0, 4.0),
                                                returned=True)),
    ("median", lambda m, a: m.median(a)),
    ("median axis", lambda m, a: m.median(a, axis=1, keepdims=True)),
    ("median axes", lambda m, a: m.median(a, axis=(0, 1))),
    ("ptp", lambda m, a: m.ptp(a, axis=0)),
    ("quantile", lambda m, a: m.quantile(a, 0.3)),
    ("quantile q list", lambda m, a: m.quantile(a, [0.25, 0.5, 1.0], axis=1, keepdims=True)),
    ("quantile lower", lambda m, a: m.quantile(a, np.array(0.7), axis=0, method="lower")),
    ("percentile nearest", lambda m, a: m.percentile(a, 90, axis=0, method="nearest")),
    ("percentile 2-d q", lambda m, a: m.percentile(a, np.array([[10.0, 50.0], [75.0, 100.0]]),
                                                   axis=(0, 1), method="hazen")),
    ("gradient", lambda m, a: m.gradient(a)),
    ("gradient spacing", lambda m, a: m.gradient(a, 0.5, COORDINATES, edge_order=2)),
    ("gradient axis", lambda m, a: m.gradient(a, COORDINATES, axis=-1)),
    ("angle", lambda m, a: m.angle(a, deg=True)),
    ("trapezoid", lambda m, a: m.trapezoid(a, COORDINATES)),
    ("trapezoid dx", lambda m, a: m.trapezoid(a, dx=0.3, axis=0)),
    ("cov", lambda m, a: m.cov(a)),
    ("cov weights", lambda m, a: m.cov(a, rowvar=False, aweights=np.arange(1.0, 4.0),
                                       fweights=[1, 2, 1])),
    ("corrcoef", lambda m, a: m.corrcoef(a[:, :3], a[:, 1:])),
    ("sinc", lambda m, a: m.sinc(a)),
    ("cbrt", lambda m, a: m.cbrt(a)),
    ("float_power", lambda m, a: m.float_power(m.abs(a), 1.5)),
    ("copysign", lambda m, a: m.copysign(a, a[:, ::-1])),
    ("heaviside", lambda m, a: m.heaviside(a, 0.5)),
    ("cumulative_sum", lambda m, a: m.cumulative_sum(a, axis=1, include_initial=True)),
    ("matrix_transpose", lambda m, a: m.matrix_transpose(a)),
    ("real_if_close", lambda m, a: m.real_if_close(a)),
]


def _arrays(result):
    items = result if isinstance(result, tuple) else (result,)
    return [item.data if isinstance(item, ad.Tensor) else np.asarray(item) for item in items]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("source", [X, WITH_NAN], ids=["finite", "with NaN"])
@pytest.mark.parametrize("name, call", CASES, ids=[name for name, _ in CASES])
def test_results_equal_numpys_bit_for_bit(name, call, source, dtype):
    a = source.astype(dtype)
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = _arrays(call(np, a))
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = _arrays(call(np, ad.tensor(a, requires_grad=True)))
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine.dtype == reference.dtype and mine.shape == reference.shape
        np.testing.assert_array_equal(mine, reference)
    assert {str(w.message) for w in ours_warned} == {str(w.message) for w in theirs_warned}


@pytest.mark.filterwarnings("error")
def test_an_all_nan_lane_is_nan_and_gets_no_gradient():
    x = ad.tensor(WITH_NAN, requires_grad=True)
    for reduce in (np.nanmean, np.nanmax, np.nanmin):
        x.grad = None
        with pytest.warns(RuntimeWarning):
            y = reduce(x, axis=1)
        assert np.isnan(y.data[2]) and not np.isnan(y.data[:2]).any()
        ad.nansum(y).backward()
        assert (x.grad[2] == 0).all() and x.grad[0, 1] == 0
        assert (x.grad[:2][~np.isnan(WITH_NAN[:2])] != 0).any()


def test_nan_reductions_of_integers_keep_numpys_dtype():
    a = np.arange(6).reshape(2, 3)
    for reduce in (np.nansum, np.nanmean, np.nanmax, np.nanmin):
        ours, theirs = reduce(ad.tensor(a), axis=0), reduce(a, axis=0)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours.data, theirs)


def test_median_of_a_lane_with_nan_is_nan_without_gradient():
    x = ad.tensor(WITH_NAN, requires_grad=True)
    y = np.median(x, axis=1)
    np.testing.assert_array_equal(y.data, np.median(WITH_NAN, axis=1))
    ad.nansum(y).backward()
    assert (x.grad[0] == 0).all() and (x.grad[2] == 0).all()
    np.testing.assert_array_equal(x.grad[1], np.where(
        np.isin(X[1], np.sort(X[1])[1:3]), 0.5, 0.0))


def test_quantile_splits_the_gradient_between_the_two_neighbours():
    x = ad.tensor([4.0, 1.0, 3.0, 2.0, 5.0], requires_grad=True)
    y = np.quantile(x, [0.1, 0.5, 0.9])         # positions 0.4, 2 and 3.6 in the sorted lane
    np.testing.assert_array_equal(y.data, np.quantile(x.data, [0.1, 0.5, 0.9]))
    (y * np.array([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_allclose(x.grad, [40.0, 0.6, 10.0, 0.4, 60.0], rtol=1e-12)
    x.grad = None
    np.percentile(x, 90, method="higher").backward()   # all of it to one input
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 0.0, 1.0])


def test_quantile_of_a_lane_with_nan_is_nan_without_gradient():
    x = ad.tensor(WITH_NAN, requires_grad=True)
    y = np.quantile(x, 0.5, axis=1)
    np.testing.assert_array_equal(y.data, np.quantile(WITH_NAN, 0.5, axis=1))
    ad.nansum(y).backward()
    assert (x.grad[0] == 0).all() and (x.grad[2] == 0).all() and x.grad[1].sum() == 1


def test_quantile_errors_name_the_function_and_the_fix():
    x = ad.tensor(X, requires_grad=True)
    with pytest.raises(ValueError, match="quantile: Quantiles must be in \\[0, 1\\]"):
        np.quantile(x, 1.5)
    with pytest.raises(ValueError, match="percentile: Percentiles must be in \\[0, 100\\]"):
        np.percentile(x, -1)
    with pytest.raises(ValueError, match="quantile: 'cubic' is not a valid method. Use one "
                                         "of: inverted_cdf, "):
        np.quantile(x, 0.5, method="cubic")
    with pytest.raises(TypeError, match="nanquantile: q is a Tensor that requires grad; .* "
                                        "q.detach\\(\\)"):
        np.nanquantile(x, ad.tensor(0.5, requires_grad=True))
    with pytest.raises(ValueError, match="Only method 'inverted_cdf' supports weights"):
        np.nanpercentile(x, 50, weights=np.ones_like(X))
    with pytest.raises(IndexError):                     # NumPy's own, for an empty lane
        np.quantile(ad.tensor(np.zeros((2, 0))), 0.5, axis=1)


def test_average_differentiates_the_weights():
    a, w = X[0], np.array([1.0, 2.0, 3.0, 4.0])
    ours = ad.grad(lambda t: np.average(a, weights=t))(w)
    np.testing.assert_allclose(ours, (a - np.average(a, weights=w)) / w.sum(), rtol=1e-14)


def test_errors_name_the_function_and_the_fix():
    x = ad.tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match="average: weights of shape .* axis must say"):
        np.average(x, weights=np.ones(4))
    with pytest.raises(ValueError, match="average: weights of shape \\(3,\\) must match"):
        np.average(x, axis=1, weights=np.ones(3))
    with pytest.raises(ZeroDivisionError, match="average: the weights sum to zero"):
        np.average(x, axis=1, weights=np.array([1.0, -1.0, 2.0, -2.0]))
    with pytest.raises(np.exceptions.AxisError, match="median: .*axis 2 is out of bounds"):
        np.median(x, axis=2)
    with pytest.raises(TypeError, match="numpy.median with out= an ndarray on a Tensor"):
        np.median(x, out=np.empty(()))
    with pytest.raises(TypeError, match="median: out= is not supported"):
        ad.median(x, out=np.empty(()))
    with pytest.raises(TypeError, match="nanmean: the argument\\(s\\) \\['dtype'\\]"):
        ad.nanmean(x, dtype=np.float32)
    with pytest.raises(TypeError, match="gradient: 3 spacing arguments for 2 axes"):
        np.gradient(x, ad.tensor(0.5), 1.0, 2.0)
    with pytest.raises(ValueError, match="gradient: the axis 0 has 2 elements, too few"):
        np.gradient(x[:2], edge_order=2)
    with pytest.raises(ValueError, match="'edge_order' greater than 2"):
        np.gradient(x, edge_order=3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name, reduce", [
    ("nanmean", lambda t: np.nanmean(t.reshape(2, 2), axis=1)),
    ("nansum", np.nansum), ("nanmax", np.nanmax),
    ("nanmin", lambda t: np.nanmin(t.reshape(2, 2), axis=0, keepdims=True)),
    ("ptp", np.ptp), ("gradient", np.gradient), ("median", np.median),
    ("quantile", lambda t: np.quantile(t.reshape(2, 2), [0.3, 0.9], axis=1)),
    ("median axis", lambda t: np.median(t.reshape(2, 2), axis=1)),
    ("sort", lambda t: np.sort(t)[::2]), ("partition", lambda t: np.partition(t, 1)[:2]),
    ("average", lambda t: np.average(t.reshape(2, 2), axis=0, weights=np.array([1.0, 3.0])))])
def test_a_compiled_step_replays_masks_and_orders_on_new_values(name, reduce):
    # The masks and sort's permutation are recorded, not NumPy on .data: a replay
    # computes them again from the new values.
    w = ad.tensor(np.ones(4), requires_grad=True)

    @ad.compile
    def step(x):
        y = reduce(w * x)
        ad.sum(y * y).backward()
        return y

    for values in ([1.0, np.nan, 3.0, 4.0], [np.nan, 2.0, 5.0, 1.0], [np.nan, np.nan, 5.0, 1.0],
                   [4.0, 3.0, 2.0, 1.0]):
        x = np.array(values)
        w.grad = None
        compiled = step(x)
        eager_w = ad.tensor(np.ones(4), requires_grad=True)
        eager = reduce(eager_w * x)
        ad.sum(eager * eager).backward()
        np.testing.assert_array_equal(compiled.data, eager.data)
        np.testing.assert_array_equal(w.grad, eager_w.grad)


def test_heaviside_gives_x2_the_gradient_where_x1_is_zero():
    x2 = ad.tensor([0.5, 0.25, 0.75], requires_grad=True)
    y = np.heaviside(np.array([0.0, -1.0, 0.0]), x2)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.5, 0.0, 0.75])
    np.testing.assert_array_equal(x2.grad, [1.0, 0.0, 1.0])


def test_no_gradient_functions_run_on_tensors():
    x = ad.tensor([-1.0, 0.0, 2.0, np.nan], requires_grad=True)
    plain = x.data
    for f in (np.argwhere, np.flatnonzero, np.nanargmax, np.nanargmin, np.isreal,
              np.iscomplex, np.isrealobj, np.iscomplexobj, np.signbit):
        ours, theirs = f(x), f(plain)
        np.testing.assert_array_equal(getattr(ours, "data", ours), theirs)
    for ours, theirs in ((np.searchsorted(x[:3], 0.5), np.searchsorted(plain[:3], 0.5)),
                         (np.digitize(x, [0.0, 1.0]), np.digitize(plain, [0.0, 1.0])),
                         (np.isin(x, [2.0]), np.isin(plain, [2.0]))):
        np.testing.assert_array_equal(ours.data if isinstance(ours, ad.Tensor) else ours,
                                      theirs)
    assert not np.signbit(x).requires_grad


UFUNC_METHODS = [
    ("add.reduce", lambda m, x: m.add.reduce(x)),
    ("add.reduce axis", lambda m, x: m.add.reduce(x, axis=1, keepdims=True)),
    ("add.reduce all", lambda m, x: m.add.reduce(x, axis=None)),
    ("maximum.reduce", lambda m, x: m.maximum.reduce(x, 1)),
    ("minimum.reduce", lambda m, x: m.minimum.reduce(x)),
    ("multiply.reduce", lambda m, x: m.multiply.reduce(x, axis=1)),
    ("add.accumulate", lambda m, x: m.add.accumulate(x)),
    ("multiply.accumulate", lambda m, x: m.multiply.accumulate(x, 1)),
    ("subtract.outer", lambda m, x: m.subtract.outer(x, COORDINATES)),
    ("multiply.outer", lambda m, x: m.multiply.outer(x[0], x[1])),
    ("arctan2.outer", lambda m, x: m.arctan2.outer(x[0], x[:, 0])),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, call", UFUNC_METHODS, ids=[name for name, _ in UFUNC_METHODS])
def test_ufunc_methods_equal_numpys_and_differentiate(name, call, dtype):
    a = X.astype(dtype)
    ours, theirs = call(np, ad.tensor(a, requires_grad=True)), call(np, a)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.data, theirs)
    if dtype == np.float64:
        assert ad.gradcheck(lambda t: ad.sum(call(np, t) ** 2), [X])
        assert ad.gradgradcheck(lambda t: ad.sum(call(np, t) ** 2), [X])


def test_unsupported_ufunc_methods_say_what_to_use():
    x = ad.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="numpy.add.at: tensor of shape \\(3, 4\\) is a "
                                          "leaf that requires grad"):
        np.add.at(x, [0], 1.0)
    with pytest.raises(TypeError, match="numpy.power.at on a Tensor that is recorded .*only "
                                        "np.add.at, np.subtract.at, np.multiply.at, "
                                        "np.divide.at, np.maximum.at and np.minimum.at"):
        np.power.at(x * 1.0, [0], 2.0)
    # (np.add.reduce's initial= is np.sum's: test_numpy_sixth_findings.py; np.logaddexp
    # .reduce's is its op's own: test_log_add_exp_masking.py; np.hypot.reduce's, and the
    # reduceat of logaddexp, hypot ..., run the op slice by slice:
    # test_numpy_seventeenth_findings.py)
    for call in (lambda a: np.logaddexp.reduceat(a, [0, 2]),
                 lambda a: np.hypot.reduce(a, initial=1.0),
                 lambda a: np.hypot.reduceat(a, [0, 2])):
        np.testing.assert_array_equal(call(x).data, call(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("power", [-5, -1, 0, 1, 2, 3, 4, 7, 12])
def test_matrix_power_equals_numpys_bit_for_bit(power, dtype):
    a = np.eye(3) * 1.5 + RNG.uniform(-0.4, 0.4, (2, 3, 3))
    a = np.round(a * 2).astype(dtype) if dtype == np.int64 else a.astype(dtype)
    if dtype == np.int64 and power < 0:
        a = a + 3 * np.eye(3, dtype=dtype)      # invertible
    ours = np.linalg.matrix_power(ad.tensor(a), power)
    theirs = np.linalg.matrix_power(a, power)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.data, theirs)


def test_matrix_power_zero_is_the_identity_with_a_zero_gradient():
    a = ad.tensor(X[:3, :3], requires_grad=True)
    y = np.linalg.matrix_power(a, 0)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, np.eye(3))
    np.testing.assert_array_equal(a.grad, np.zeros((3, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="matrix_power: a of shape \\(3, 4\\) is "
                                                    "not a square matrix"):
        np.linalg.matrix_power(ad.tensor(X), 2)
    with pytest.raises(TypeError, match="matrix_power: the exponent must be an integer"):
        np.linalg.matrix_power(a, 1.5)


@pytest.mark.parametrize("name", ["fweights", "aweights"])
def test_cov_weights_are_checked_as_numpy_checks_them(name):
    x = ad.tensor(X, requires_grad=True)
    for weights, error, message in [
            ([[1, 1, 1, 1]], RuntimeError, f"cannot handle multidimensional {name}"),
            ([1, 1, 1], RuntimeError, f"incompatible numbers of samples and {name}"),
            ([1, -1, 1, 1], ValueError, f"{name} cannot be negative")]:
        with pytest.raises(error, match=f"^cov: {message}$"):
            np.cov(x, **{name: weights})
        with pytest.raises(error, match=message):          # NumPy's own words
            np.cov(X, **{name: weights})
    if name == "fweights":
        with pytest.raises(TypeError, match="^cov: fweights must be integer$"):
            np.cov(x, fweights=[1, 1.5, 1, 1])


def test_mT_is_the_matrix_transpose():
    x = ad.tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)
    assert np.array_equal(x.mT.data, x.data.mT)
    (x.mT * np.arange(24.0).reshape(2, 4, 3)).sum().backward()
    assert np.array_equal(x.grad, np.arange(24.0).reshape(2, 4, 3).swapaxes(-1, -2))
    with pytest.raises(ValueError, match="matrix_transpose: needs at least 2 dimensions"):
        ad.tensor([1.0]).mT


def _sinc_derivatives(x):
    """sinc's first four derivatives, from its Taylor series (|pi x| < 0.5: 30 terms
    leave nothing above rounding)."""
    y = np.pi * x
    out = []
    for order in range(1, 5):
        total = 0.0
        for k in range(30):
            power = 2 * k
            if power < order:
                continue
            falling = np.prod(np.arange(power - order + 1, power + 1, dtype=float))
            total += ((-1) ** k / float(np.prod(np.arange(1.0, power + 2)))
                      * falling * y ** (power - order))
        out.append(total * np.pi ** order)
    return out


@pytest.mark.parametrize("x", [0.0, 1e-12, -1e-8, 1e-4, 0.1, -0.15])
def test_sinc_derivatives_at_and_near_zero_to_the_fourth_order(x):
    f = ad.sinc
    derivatives = []
    for _ in range(4):
        f = ad.grad(f)
        derivatives.append(float(f(np.array(x))))
    np.testing.assert_allclose(derivatives, _sinc_derivatives(x), rtol=1e-14, atol=1e-15)
