"""np.var, np.std, np.nanvar, np.nanstd and the Tensor methods with where= and mean=:
NumPy's values and warnings to the bit, gradients against central differences and
autograd, and the same values inside ad.compile."""

from __future__ import annotations

import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import autodiff as ad

FUNCTIONS = [np.var, np.std, np.nanvar, np.nanstd]


def _run(func, a, **options):
    """func's result and the messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = func(a, **options)
    return result, [str(w.message) for w in caught]


def _assert_numpys(func, a, **options):
    expected, expected_warnings = _run(func, a, **options)
    result, result_warnings = _run(func, ad.tensor(a), **options)
    assert isinstance(result, ad.Tensor)
    assert result.dtype == np.asarray(expected).dtype and result.shape == np.shape(expected)
    np.testing.assert_array_equal(result.data, expected, strict=True)
    assert result_warnings == expected_warnings


def _cases(rng, dtype):
    a = (rng.standard_normal((6, 9)) * 3 + 10).astype(dtype)
    a[1, 2] = np.nan if dtype().dtype.kind == "f" else a[1, 2]
    mask = rng.random(a.shape) > 0.3
    mask[2] = False                               # an all-False row: NaN, NumPy's warning
    row = rng.random(9) > 0.3                     # a mask that broadcasts
    return a, [
        {"where": mask}, {"where": row, "axis": 0}, {"where": mask, "axis": 1, "ddof": 1},
        {"where": mask, "axis": (0, 1), "keepdims": True},
        {"where": row, "axis": 1, "correction": 2}, {"where": mask, "axis": 1, "ddof": 1.5},
        {"where": mask, "axis": 1, "mean": np.mean(a, axis=1, keepdims=True)},
        {"mean": np.mean(a, axis=0, keepdims=True), "axis": 0},
    ]


@pytest.mark.parametrize("func", FUNCTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64])
def test_values_and_warnings_are_numpys(func, dtype):
    a, cases = _cases(np.random.default_rng(3), dtype)
    for options in cases:
        _assert_numpys(func, a, **options)


@pytest.mark.parametrize("func", FUNCTIONS)
def test_edge_cases_are_numpys(func):
    rng = np.random.default_rng(4)
    for mask in (np.array(True), np.array(False)):
        _assert_numpys(func, np.array(3.0), where=mask)
        _assert_numpys(func, np.array(3.0, np.float32), where=mask, ddof=1)
    _assert_numpys(func, np.ones((4, 5)), where=rng.random((4, 5)) > 0.5, axis=1, ddof=1)
    _assert_numpys(func, rng.random((4, 5)), where=rng.random((4, 5)) > 0.5, axis=1, ddof=3)
    _assert_numpys(func, np.zeros((0, 3)), where=np.ones(3, bool), axis=0)
    _assert_numpys(func, rng.random((4, 5)) > 0.5, where=rng.random((4, 5)) > 0.5, axis=0)
    _assert_numpys(func, np.array([1.0, np.inf, 3.0]), where=np.array([True, True, False]))


def test_large_arrays_keep_numpys_summation_order():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((300, 200)) + 1e4
    mask = rng.random(a.shape) > 0.3
    for func in (np.var, np.std):
        for axis in (None, 0, 1):
            _assert_numpys(func, a, where=mask, axis=axis)
            _assert_numpys(func, a.astype(np.float32), where=mask, axis=axis)


def test_tensor_methods_take_where_and_mean():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((3, 4))
    mask = rng.random(4) > 0.4
    t = ad.tensor(a)
    np.testing.assert_array_equal(t.var(where=mask, axis=1).data, a.var(where=mask, axis=1))
    np.testing.assert_array_equal(t.std(where=mask, ddof=1).data, a.std(where=mask, ddof=1))
    mean = a.mean(axis=0, keepdims=True)
    np.testing.assert_array_equal(t.var(axis=0, mean=mean).data, a.var(axis=0, mean=mean))


def test_a_mask_of_the_wrong_shape_is_numpys_error_naming_the_call():
    t = ad.tensor(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"np\.var of a Tensor of shape \(3, 4\) with where="):
        np.var(t, where=np.ones(5, bool))
    with pytest.raises(ValueError, match=r"Tensor\.std of a Tensor of shape \(3, 4\)"):
        t.std(where=np.ones(5, bool))


MASK = np.array([[True, False, True, True], [False, True, True, False],
                 [False, False, False, False]])


@pytest.mark.parametrize("func", FUNCTIONS)
@pytest.mark.parametrize("options", [{"axis": 1}, {"axis": 0, "ddof": 1}, {},
                                     {"axis": 1, "keepdims": True}])
# (MASK leaves the last row empty: its nan, NumPy's warnings and all, is sliced away)
@pytest.mark.filterwarnings("ignore:Degrees of freedom <= 0:RuntimeWarning",
                            "ignore:invalid value encountered in divide:RuntimeWarning")
def test_gradients_against_central_differences(func, options):
    a = np.array([[0.5, 1.5, -1.0, 2.0], [2.0, 0.25, 1.0, -3.0], [1.0, 2.0, 3.0, 4.0]])
    if func in (np.nanvar, np.nanstd):
        a[0, 2] = np.nan          # (finite differences do not move a NaN)
    rows = [0, 1] if options.get("axis") == 1 else slice(None)
    mask = MASK if options.get("axis") != 0 else MASK | np.array([[0], [0], [1]], bool)

    def f(x):
        return func(x, where=mask, **options)[rows] if options.get("axis") == 1 \
            else func(x, where=mask, **options)

    x0 = np.where(np.isnan(a), 0.0, a)
    nan = np.isnan(a)

    def g(x):
        return f(ad.where(nan, np.nan, x))

    assert ad.gradcheck(g, [x0])
    assert ad.gradgradcheck(g, [x0])


def test_gradient_of_a_given_mean_tensor():
    a = np.array([[0.5, 1.5, -1.0, 2.0], [2.0, 0.25, 1.0, -3.0]])
    mean0 = np.array([[0.3], [-0.2]])
    assert ad.gradcheck(lambda x, m: np.var(x, axis=1, mean=m, where=MASK[:2]), [a, mean0])
    assert ad.gradgradcheck(lambda x, m: np.std(x, axis=1, mean=m), [a, mean0])


def _autograd_var(x, mask, axis, ddof):
    count = anp.sum(mask, axis=axis, keepdims=True)
    mean = anp.sum(anp.where(mask, x, 0.0), axis=axis, keepdims=True) / count
    squares = anp.where(mask, (x - mean) ** 2, 0.0)
    return anp.sum(squares, axis=axis) / (anp.sum(mask, axis=axis) - ddof)


@pytest.mark.parametrize("axis, ddof", [(0, 0), (1, 1), (None, 0)])
def test_gradients_match_autograd(axis, ddof):
    rng = np.random.default_rng(7)
    x0 = rng.standard_normal((5, 6))
    mask = rng.random((5, 6)) > 0.3
    mask[:, 0] = mask[0] = True                     # every lane has two entries or more
    weights = rng.standard_normal(np.shape(np.var(x0, axis=axis)))
    for ours, theirs in ((np.var, _autograd_var),
                         (np.std, lambda *a: anp.sqrt(_autograd_var(*a)))):
        x = ad.tensor(x0, requires_grad=True)
        (ours(x, axis=axis, ddof=ddof, where=mask) * weights).sum().backward()
        expected = autograd.grad(lambda v: anp.sum(theirs(v, mask, axis, ddof) * weights))(x0)
        np.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-14)


def test_lanes_without_degrees_of_freedom_pass_zero_gradient():
    x = ad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = np.array([[True, False, False], [True, True, True]])
    with pytest.warns(RuntimeWarning) as caught:
        y = np.var(x, axis=1, ddof=1, where=mask)
    # NumPy's two warnings, as np.var of the array gives them
    assert [str(w.message) for w in caught if w.category is RuntimeWarning] == [
        "Degrees of freedom <= 0 for slice", "invalid value encountered in divide"]
    # and that the lane's zero gradient is not np.var's unmasked one (NaN)
    assert [w.category for w in caught if w.category is not RuntimeWarning] == [
        ad.ConventionWarning]
    assert np.isnan(y.data[0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 0.0], [-1.0, 0.0, 1.0]])


@pytest.mark.parametrize("func", FUNCTIONS + [np.mean])
def test_compiled_matches_eager(func):
    rng = np.random.default_rng(8)
    mask = rng.random((4, 5)) > 0.3
    mask[:, :2] = True

    def loss(x):
        options = {} if func is np.mean else {"ddof": 1}
        return (func(x, axis=1, where=mask, **options) ** 2).sum()

    def stepper():
        w = ad.tensor(np.ones((4, 5)), requires_grad=True)
        opt = ad.optim.SGD([w], lr=0.0)

        def step(x):
            opt.zero_grad()
            value = loss(w * x)
            value.backward()
            return value
        return step, w

    (eager, eager_w), (compiled, compiled_w) = stepper(), stepper()
    compiled = ad.compile(compiled)
    for _ in range(3):
        x0 = rng.standard_normal((4, 5))
        x0[0, 1] = np.nan if func in (np.nanvar, np.nanstd) else x0[0, 1]
        np.testing.assert_array_equal(compiled(x0).data, eager(x0).data)
        np.testing.assert_array_equal(compiled_w.grad, eager_w.grad)
