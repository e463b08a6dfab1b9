"""np.nanquantile, np.nanpercentile and np.nanmedian on Tensors: NumPy's values bit for
bit (dtype and shape too, and its warning for an all-NaN lane), the gradient on the
values that are not NaN, the refusal while ad.compile traces, and the errors.
Gradients on generated shapes are checked from tests/op_specs_stats.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError
from autodiff.ops.quantiles import METHODS

RNG = np.random.default_rng(21)


def _with_nans(shape, share, dtype=np.float64):
    a = RNG.standard_normal(shape).astype(dtype)
    a[RNG.random(shape) < share] = np.nan
    return a


CALLS = [
    ("nanquantile", lambda m, a, method, axis, keepdims: m.nanquantile(
        a, [0.0, 0.3, 1.0], axis=axis, method=method, keepdims=keepdims)),
    ("nanquantile scalar q", lambda m, a, method, axis, keepdims: m.nanquantile(
        a, 0.7, axis=axis, method=method, keepdims=keepdims)),
    ("nanpercentile", lambda m, a, method, axis, keepdims: m.nanpercentile(
        a, np.array([10.0, 50.0]), axis=axis, method=method, keepdims=keepdims)),
    ("nanmedian", lambda m, a, method, axis, keepdims: m.nanmedian(
        a, axis=axis, keepdims=keepdims)),
]


@pytest.mark.parametrize("name, call", CALLS, ids=[c[0] for c in CALLS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_equal_numpys_bit_for_bit(name, call, dtype):
    for trial, method in enumerate(sorted(METHODS) * 3):
        shape = [(7,), (4, 5), (3, 2, 6), (2, 700)][trial % 4]
        a = _with_nans(shape, [0.0, 0.3, 0.8, 1.0][trial % 4 if trial % 5 else 2], dtype)
        a[0] = np.nan                   # an all-NaN lane (or entry) in every array
        axis = [None, -1, 0, (0, -1)][trial % 4] if len(shape) > 1 else None
        keepdims = trial % 3 == 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = call(np, a, method, axis, keepdims)
            out = call(ad, ad.tensor(a, requires_grad=True), method, axis, keepdims)
        assert out.shape == np.shape(expected) and out.dtype == np.asarray(expected).dtype
        assert np.array_equal(out.data, expected, equal_nan=True), (shape, method, axis)


def test_the_gradient_goes_to_the_values_next_to_each_quantile():
    x = ad.tensor([[4.0, np.nan, 1.0, 3.0, 2.0], [np.nan, 5.0, np.nan, 7.0, 6.0]],
                  requires_grad=True)
    ad.nanquantile(x, 0.25, axis=1).sum().backward()
    # Row 0 (1, 2, 3, 4): three quarters of the way from 1 to 2; row 1 (5, 6, 7): half
    # way from 5 to 6.
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 0.25, 0.0, 0.75],
                                           [0.0, 0.5, 0.0, 0.0, 0.5]])
    x.grad = None
    ad.nanmedian(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 0.0, 0.5, 0.5],
                                           [0.0, 0.0, 0.0, 0.0, 1.0]])


def test_an_all_nan_lane_is_nan_with_numpys_warning_and_no_gradient():
    x = ad.tensor([[np.nan, np.nan], [1.0, 2.0]], requires_grad=True)
    with pytest.warns(RuntimeWarning, match="All-NaN slice encountered") as caught:
        y = np.nanquantile(x, 0.5, axis=1)
    assert caught[0].filename == __file__           # shown at the caller's line
    assert np.isnan(y.data[0]) and y.data[1] == 1.5
    ad.nansum(y).backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [0.5, 0.5]])


def test_integer_and_empty_inputs_are_numpys():
    ints = np.arange(12).reshape(3, 4)
    assert np.array_equal(ad.nanmedian(ints, axis=1).data, np.nanmedian(ints, axis=1))
    assert np.array_equal(ad.nanquantile(ints, 0.4).data, np.nanquantile(ints, 0.4))
    empty = np.zeros((0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanquantile(empty, 0.5, axis=0)
        out = ad.nanquantile(ad.tensor(empty, requires_grad=True), 0.5, axis=0)
    assert out.shape == expected.shape and np.array_equal(out.data, expected, equal_nan=True)


def test_compile_refuses_them_while_tracing():
    @ad.compile
    def step(x):
        return ad.nanmedian(x)

    with pytest.raises(TraceError, match=r"nanmedian at .*depends on the values"):
        step(ad.tensor([1.0, np.nan, 3.0]))


@pytest.mark.parametrize("call, error, words", [
    (lambda t: ad.nanquantile(t, 1.5), ValueError, "nanquantile: Quantiles must be in"),
    (lambda t: np.nanpercentile(t, 150), ValueError, "nanpercentile: Percentiles must be"),
    (lambda t: ad.nanquantile(t, 0.5, method="bogus"), ValueError, "'bogus' is not a valid"),
    (lambda t: np.nanmedian(t, out=np.zeros(())), TypeError,
     r"numpy.nanmedian with out= an ndarray on a Tensor"),
    (lambda t: np.nanquantile(t, 0.5, weights=np.ones(3)), ValueError,
     "Only method 'inverted_cdf' supports weights"),
    (lambda t: ad.nanmedian(t.data + 1j), TypeError, "nanmedian: a must be an array of real"),
    (lambda t: ad.nanquantile(t, ad.tensor(0.5, requires_grad=True)), TypeError,
     "nanquantile: q is a Tensor that requires grad; autodiff differentiates nanquantile "),
])
def test_errors_name_the_function(call, error, words):
    with pytest.raises(error, match=words):
        call(ad.tensor([1.0, np.nan, 3.0], requires_grad=True))
