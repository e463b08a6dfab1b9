"""Hand tests of autodiff/ops/assemble.py, masked_reductions.py and float_parts.py:
NumPy's exact values on edge cases, the refusals, and HIPS autograd's gradients."""

from __future__ import annotations

import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import autodiff as ad


def _same(result, expected):
    """Tensors (or tuples of them) equal to NumPy's arrays, shapes and dtypes."""
    if isinstance(expected, (tuple, list)):
        assert len(result) == len(expected)
        for r, e in zip(result, expected):
            _same(r, e)
        return
    data = result.data if isinstance(result, ad.Tensor) else np.asarray(result)
    assert data.shape == np.shape(expected) and data.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(data, expected)


def _grad(function, *arrays):
    tensors = [ad.tensor(a, requires_grad=True) for a in arrays]
    out = function(*tensors)
    out = ad.concatenate([ad.flatten(o) for o in out]) if isinstance(out, tuple) else out
    (out * np.arange(1.0, out.size + 1).reshape(out.shape)).sum().backward()
    return [t.grad for t in tensors]


def _autograd_grad(function, *arrays):
    def weighted(*xs):
        out = function(*xs)
        if isinstance(out, (tuple, list)):
            out = anp.concatenate([anp.ravel(o) for o in out])
        return anp.sum(out * np.arange(1.0, np.size(out) + 1).reshape(np.shape(out)))
    return [autograd.grad(weighted, i)(*arrays) for i in range(len(arrays))]


X = np.array([[0.5, -1.5, 2.0], [1.0, 3.0, -2.5]])


# HIPS autograd has a gradient for these (its other functions of this module's, such as
# diagflat, meshgrid, insert, ldexp, have no VJP there): the specs check the rest
# against central differences.  (autograd's np.sum(where=) passes gradient to the
# entries the mask leaves out: compared below with anp.where instead.)
@pytest.mark.parametrize("function", [
    lambda xp, a: xp.block([[a, a[:, :1]], [a[:1], a[:1, :1]]]),
    lambda xp, a: xp.block([a[0], a[1, :2]]),
    lambda xp, a: xp.max(a, initial=0.0, axis=1),
], ids=["block", "block_1d", "max_initial"])
def test_gradients_match_autograd(function):
    (ours,) = _grad(lambda t: function(np, t), X)
    (theirs,) = _autograd_grad(lambda a: function(anp, a), X)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_forward_matches_numpy_on_edge_cases():
    empty, scalar = np.zeros((0,)), np.array(2.5)
    for function, args in [
            (np.diagflat, (empty, 1)), (np.diagflat, (scalar,)), (np.diagflat, (X, -2)),
            (np.meshgrid, ()), (np.meshgrid, (scalar, empty)),
            (lambda *a: np.meshgrid(*a, sparse=True, indexing="xy"), (X, empty, scalar)),
            (np.broadcast_arrays, (scalar, X, X[:1])), (np.broadcast_arrays, ()),
            (np.block, (scalar,)), (lambda a, b: np.block([a, b]), (scalar, X[0])),
            (lambda a, b: np.block([[[a]], [[b]]]), (X, X)), (np.vdot, (scalar, scalar)),
            (np.vdot, (empty, empty)), (np.insert, (X, -1, 9.0)),
            (np.insert, (X, slice(None, None, -1), [7.0, 8.0, 9.0], 1)),
            (np.insert, (scalar, 0, empty)), (np.insert, (X, [], 1.0)),
            (np.insert, (X, [1], [[1.0], [2.0]], 1)), (np.insert, (X, 1, [[1.0], [2.0]], 1)),
            (np.delete, (X, -1, 0)), (np.delete, (X, np.array([True, False, True]), 1)),
            (np.delete, (X, slice(1, None))), (np.delete, (scalar, 0)),
            (np.resize, (X, 0)), (np.resize, (empty, (2, 2))), (np.resize, (scalar, (2,))),
            (np.logspace, (X[0], X[1], 3, False, 2.0, None, -1)),
            (np.logspace, (0, 3, 4, True, 10.0, np.int64)), (np.logspace, (X, 1.0, 0)),
            (np.geomspace, (-X[0] * 0 - 2.0, -8.0, 4)), (np.geomspace, (1, 1000, 4)),
            (np.geomspace, (np.float32(1), np.float32(8), 4)),
            (np.geomspace, (X[0] + 3, 1.0, 3, True, np.float32, 1))]:
        expected = function(*args)
        tensors = [ad.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        _same(function(*tensors), expected)


def test_a_tensor_only_in_a_later_argument_and_mixed_inputs():
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    y = np.insert(np.arange(3.0), 1, t)
    _same(y, np.insert(np.arange(3.0), 1, t.data))
    y.sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 1.0])
    t.grad = None
    grids = np.meshgrid(np.arange(3.0), t)
    assert all(isinstance(g, ad.Tensor) for g in grids)
    grids[1].sum().backward()
    np.testing.assert_array_equal(t.grad, [3.0, 3.0])
    _same(np.vdot(np.arange(2.0), t), 2.0)
    _same(np.block([np.ones(1), t]), np.array([1.0, 1.0, 2.0]))
    _same(np.logspace(0.0, t, 3), np.logspace(0.0, t.data, 3))


def test_integer_inputs_keep_numpy_dtypes():
    ints = np.array([[3, 1], [2, 5]])
    for function in [lambda a: np.insert(a, 1, 2.7), lambda a: np.delete(a, 0, 1),
                     np.diagflat, lambda a: np.resize(a, 3), lambda a: np.vdot(a, a),
                     lambda a: np.block([[a, a]]), lambda a: np.sum(a, where=a > 1),
                     lambda a: np.max(a, initial=2.5), lambda a: np.mean(a, where=a > 1),
                     lambda a: np.prod(a, axis=0, initial=2)]:
        _same(function(ad.tensor(ints)), function(ints))


def test_unique_gradient_goes_to_the_first_occurrence():
    x = ad.tensor([2.0, 1.0, 2.0, 1.0, 3.0], requires_grad=True)
    values, index, inverse, counts = np.unique(x, return_index=True, return_inverse=True,
                                               return_counts=True)
    expected = np.unique(x.data, return_index=True, return_inverse=True, return_counts=True)
    _same(values, expected[0])
    for ours, theirs in zip((index, inverse, counts), expected[1:]):
        assert type(ours) is np.ndarray
        np.testing.assert_array_equal(ours, theirs)
    (values * np.array([10.0, 20.0, 30.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [20.0, 10.0, 0.0, 0.0, 30.0])


def test_unique_matches_numpy_orders_nans_and_axes():
    data = np.array([3.0, np.nan, 1.0, 3.0, np.nan, -0.5, 7.0, 1.0])
    for function in [np.unique, np.unique_values, lambda a: np.unique(a, sorted=False),
                     lambda a: np.unique(a, equal_nan=False, sorted=False),
                     lambda a: np.unique_all(a).values, lambda a: np.unique_counts(a)[0],
                     lambda a: np.unique_inverse(a).values]:
        t = ad.tensor(data, requires_grad=True)
        values = function(t)
        np.testing.assert_array_equal(values.data, function(data))
        values.sum().backward()
        # each unique value's gradient reaches exactly one entry holding that value
        chosen = t.grad == 1
        assert t.grad.sum() == values.size
        np.testing.assert_array_equal(np.sort(data[chosen]), np.sort(values.data))
    ints = np.array([5, 3, 5, 9, 1, 3, 2, 8])
    _same(np.unique_values(ad.tensor(ints)), np.unique_values(ints))
    rows = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 2.0]])
    t = ad.tensor(rows, requires_grad=True)
    np.unique(t, axis=0).sum().backward()
    np.testing.assert_array_equal(t.grad, [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    full = np.unique_all(ad.tensor(data))
    for name in ("indices", "inverse_indices", "counts"):
        np.testing.assert_array_equal(getattr(full, name), getattr(np.unique_all(data), name))
    _same(np.unique(ad.tensor(np.zeros((0, 2)))), np.unique(np.zeros((0, 2))))


@pytest.mark.parametrize("function, kwargs", [
    (np.sum, {"where": [True, False, True]}), (np.sum, {"initial": 2.0, "axis": 0}),
    (np.prod, {"where": np.array([[True], [False]]), "keepdims": True}),
    (np.max, {"where": np.array([False, True, False]), "initial": -10.0, "axis": 1}),
    (np.min, {"initial": -1.0}), (np.min, {"where": False, "initial": 4.0, "axis": 0}),
    (np.mean, {"where": np.array([[True, False, True], [False, False, True]])}),
    (np.mean, {"where": [True, False, False], "axis": (0, 1), "keepdims": True}),
    (np.amax, {"initial": 2.5, "axis": 0})])
def test_masked_reductions_match_numpy_and_autograd(function, kwargs):
    _same(function(ad.tensor(X), **kwargs), function(X, **kwargs))
    (ours,) = _grad(lambda t: function(t, **kwargs), X)
    theirs = np.zeros_like(X)                # the derivative, entry by entry
    for i in np.ndindex(X.shape):
        step = np.zeros_like(X)
        step[i] = 1e-6
        difference = function(X + step, **kwargs) - function(X - step, **kwargs)
        weights = np.arange(1.0, np.size(difference) + 1).reshape(np.shape(difference))
        theirs[i] = np.sum(difference * weights) / 2e-6
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name, kwargs", [
    ("sum", {"where": [True, False, True]}), ("sum", {"initial": 2.0, "axis": 0}),
    ("prod", {"where": np.array([[True], [False]]), "keepdims": True}),
    ("max", {"where": np.array([False, True, False]), "initial": -10.0, "axis": 1}),
    ("min", {"initial": -1.0}),
    ("mean", {"where": np.array([[True, False, True], [False, False, True]]), "axis": 1})])
def test_tensor_reduction_methods_take_ndarray_masking(name, kwargs):
    # t.sum(where=...) as ndarray.sum(where=...): the same values and gradients as np.sum
    _same(getattr(ad.tensor(X), name)(**kwargs), getattr(X, name)(**kwargs))
    (ours,) = _grad(lambda t: getattr(t, name)(**kwargs), X)
    (theirs,) = _grad(lambda t: getattr(np, name)(t, **kwargs), X)
    np.testing.assert_array_equal(ours, theirs)


def test_a_tensor_method_with_a_bad_mask_names_the_method():
    with pytest.raises(ValueError, match=r"Tensor\.max of a Tensor of shape \(2, 3\) with "
                                         r"where=: .*initial"):
        ad.tensor(X).max(where=np.array([True, False, True]))


def test_masked_reductions_through_autograd_and_numpy_details():
    mask = np.array([[True, False, True], [False, True, True]])
    (ours,) = _grad(lambda t: np.sum(t * t, where=mask, axis=1), X)
    (theirs,) = _autograd_grad(lambda a: anp.sum(anp.where(mask, a * a, 0), axis=1), X)
    np.testing.assert_allclose(ours, theirs)
    # a Tensor as the mask, and as initial (which then gets a gradient)
    start = ad.tensor(1.5, requires_grad=True)
    y = np.sum(ad.tensor(X), where=ad.tensor(mask), initial=start)
    _same(y, np.sum(X, where=mask, initial=1.5))
    y.backward()
    assert start.grad == 1.0
    # empty lanes: NumPy's initial, NumPy's NaN and warnings
    _same(np.max(ad.tensor(np.zeros((0, 3))), axis=0, initial=5.0),
          np.max(np.zeros((0, 3)), axis=0, initial=5.0))
    _same(np.sum(ad.tensor(np.zeros((0,))), initial=2.0), np.sum(np.zeros(0), initial=2.0))
    t = ad.tensor(X, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = np.mean(t, axis=1, where=np.array([[True, False, False], [False] * 3]))
    assert {str(w.message) for w in caught} == {"Mean of empty slice",
                                                "invalid value encountered in divide"}
    assert all(w.filename == __file__ for w in caught)
    _same(y, np.array([0.5, np.nan]))
    y[0].backward()
    np.testing.assert_array_equal(t.grad, [[1.0, 0, 0], [0, 0, 0]])
    for dtype in (np.float32, np.float16):
        data = X.astype(dtype)
        _same(np.mean(ad.tensor(data), where=mask), np.mean(data, where=mask))
    # np.any / np.all take the mask too (no gradient)
    assert np.any(ad.tensor(X), where=np.zeros(X.shape, bool)) == np.any(
        X, where=np.zeros(X.shape, bool))


def test_float_parts_match_numpy_bit_for_bit():
    special = np.array([1.5, -1.0, -0.0, 0.0, np.inf, -np.inf, np.nan, 0.3, -7.25, 5e-324])
    for function in [np.modf, np.frexp, lambda a: np.ldexp(a, 3),
                     lambda a: np.ldexp(a, np.array([-1075, 1, 0, 2, 1, 3, 4, 1024, -3, 1074]))]:
        result, expected = function(ad.tensor(special)), function(special)
        for ours, theirs in zip(result if isinstance(result, tuple) else [result],
                                expected if isinstance(expected, tuple) else [expected]):
            _same(ours, theirs)
            np.testing.assert_array_equal(np.signbit(ours.data), np.signbit(theirs))
    x = ad.tensor(np.array([3.0, -0.375, 1e-3], dtype=np.float32), requires_grad=True)
    mantissa, exponent = np.frexp(x)
    assert mantissa.dtype == np.float32 and exponent.dtype == np.int32
    assert not exponent.requires_grad
    mantissa.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ldexp(np.float32(1), -np.frexp(x.data)[1]))
    fraction, whole = np.modf(x)
    assert whole.dtype == np.float32
    assert ad.gradgradcheck(lambda t: np.ldexp(t * t, 2), [np.array([0.3, -1.2])])


@pytest.mark.parametrize("call, error, words", [
    (lambda: np.diagflat(ad.tensor([1.0]), 1.5), TypeError, ["diagflat", "integer", "1.5"]),
    (lambda: np.meshgrid(ad.tensor([1.0]), indexing="yx"), ValueError, ["meshgrid", "'ij'"]),
    (lambda: np.broadcast_arrays(ad.tensor([1.0, 2.0]), np.ones(3)), ValueError,
     ["broadcast_arrays", "(2,)", "(3,)"]),
    (lambda: np.block((ad.tensor([1.0]),)), TypeError, ["tuple", "list"]),
    (lambda: np.block([[ad.tensor([1.0])], ad.tensor([1.0])]), ValueError, ["depth"]),
    (lambda: np.vdot(ad.tensor([1.0, 2.0]), np.ones(3)), ValueError, ["vdot", "2", "3"]),
    (lambda: np.delete(ad.tensor([1.0, 2.0]), 5), IndexError,
     ["delete", "(2,)", "index 5 is out of bounds"]),
    (lambda: np.delete(ad.tensor([1.0, 2.0]), 0, axis=1), np.exceptions.AxisError,
     ["delete", "axis 1"]),
    (lambda: np.insert(ad.tensor(X), 1, np.ones(3), axis=1), ValueError,
     ["insert", "(2, 3)", "broadcast"]),
    (lambda: np.resize(ad.tensor([1.0]), -1), ValueError, ["resize", "negative"]),
    (lambda: np.geomspace(ad.tensor(0.0), 1.0), ValueError, ["geomspace", "zero"]),
    (lambda: np.logspace(ad.tensor(1.0 + 1j), 2.0), TypeError, ["logspace", "complex"]),
    (lambda: np.max(ad.tensor(X), where=X > 0), ValueError, ["maximum", "initial"]),
    (lambda: np.sum(ad.tensor(X), where=np.ones(3, int)), TypeError, ["bool"]),
    (lambda: np.sum(ad.tensor(X), where=np.ones((3, 2, 3), bool)), ValueError,
     ["dimensions"]),
    (lambda: np.prod(ad.tensor(X), initial=[1.0, 2.0]), ValueError, ["sequence"]),
    (lambda: np.sum(ad.tensor(X), where=np.array([True, False])), ValueError,
     ["np.sum", "(2, 3)", "where=", "broadcast"]),
    (lambda: np.sum(ad.tensor(X, requires_grad=True), out=np.zeros(())), TypeError, ["out"]),
])
def test_refusals_say_what_and_why(call, error, words):
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value)
