"""np.emath on Tensors (autodiff/ops/scimath.py): NumPy's values and dtypes exactly
where they are real, gradients against central differences to second order, and a
complex result refused when it would be recorded (NumPy's value when it would not)."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(5)
POSITIVE = RNG.uniform(0.2, 3.0, (3, 4))
UNIT = RNG.uniform(-0.9, 0.9, (3, 4))

UNARY = ["sqrt", "log", "log2", "log10"]
INVERSE_TRIG = ["arccos", "arcsin", "arctanh"]


def _same(got, want):
    assert isinstance(got, ad.Tensor)
    assert got.dtype == want.dtype and got.shape == np.shape(want)
    np.testing.assert_array_equal(got.data, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("name", UNARY + INVERSE_TRIG)
def test_real_results_are_numpys_exactly(name, dtype):
    values = POSITIVE if name in UNARY else UNIT
    if dtype == np.int64:
        values = np.round(values * (4 if name in UNARY else 1))
    values = values.astype(dtype)
    func = getattr(np.emath, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # log(0), arctanh(±1)
        _same(func(ad.tensor(values)), func(values))


@pytest.mark.parametrize("n", [2, 3.0, np.float32(10.0), np.array([2.0, 3.0, 4.0, 5.0])])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logn_is_numpys_exactly(n, dtype):
    x = POSITIVE.astype(dtype)
    _same(np.emath.logn(n, ad.tensor(x)), np.emath.logn(n, x))
    _same(np.emath.logn(ad.tensor(x[0]), x), np.emath.logn(x[0], x))


@pytest.mark.parametrize("p", [2, 2.5, -1, np.array([2, -1, 0, 3]),
                               np.array([0.5, -2.0, 1.0, 3.0])])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_power_is_numpys_exactly(p, dtype):
    x = np.round(POSITIVE * 3).astype(dtype) + 1
    _same(np.emath.power(ad.tensor(x), p), np.emath.power(x, p))
    if not np.isscalar(p):
        _same(np.emath.power(x, ad.tensor(p)), np.emath.power(x, p))


def _unary_sum(x):
    e = np.emath
    return e.sqrt(x) + e.log(x) * e.log2(x) + e.log10(x) ** 2 + e.logn(3.0, x)


def _inverse_trig(x):
    return np.emath.arccos(x) * np.emath.arcsin(x) + np.emath.arctanh(x)


def _power_both(x):
    return np.emath.power(x, x[::-1]) + np.emath.logn(x[:, :1] + 1.0, x)


@pytest.mark.parametrize("function, point", [
    (_unary_sum, POSITIVE), (_inverse_trig, UNIT), (_power_both, POSITIVE)])
def test_gradients_match_central_differences_to_second_order(function, point):
    assert gradcheck(function, [point])
    assert gradgradcheck(function, [point])


@pytest.mark.parametrize("name, values, count, words", [
    ("sqrt", [-1.0, 4.0, -9.0], 2, "2 entries of x are below 0"),
    ("log", [-1.0, 4.0], 1, "1 entry of x is below 0"),
    ("log2", [0.0, -4.0], 1, "1 entry of x is below 0"),
    ("log10", [-0.5], 1, "1 entry of x is below 0"),
    ("arccos", [1.5, 0.0, -2.0], 2, "2 entries of x are beyond 1 in absolute value"),
    ("arcsin", [1.0, 1.0001], 1, "1 entry of x is beyond 1"),
    ("arctanh", [-3.0], 1, "1 entry of x is beyond 1"),
])
def test_a_complex_result_that_would_be_recorded_raises(name, values, count, words):
    x = ad.tensor(values, requires_grad=True)
    with pytest.raises(TypeError, match=rf"^numpy\.emath\.{name} \(x of shape \({len(values)},\), "
                                        rf"dtype float64\): {words}.*complex values cannot be "
                                        r"recorded.*t\.detach\(\)"):
        getattr(np.emath, name)(x)


def test_logn_and_power_name_the_argument_with_the_entries():
    x = ad.tensor([4.0, 8.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"1 entry of n is below 0, where"):
        np.emath.logn(np.array([-2.0, 2.0]), x)
    with pytest.raises(TypeError, match=r"2 entries of x are below 0, where"):
        np.emath.power(-x, 0.5)
    with pytest.raises(TypeError, match=r"n is complex, where"):
        np.emath.logn(np.array([2.0 + 0j]), x)


def test_without_grad_a_complex_result_is_numpys_value_off_the_tape():
    for name, values in [("sqrt", [-4.0, 9.0]), ("log", [-1.0]), ("arcsin", [2.0])]:
        got = getattr(np.emath, name)(ad.tensor(values))
        _same(got, getattr(np.emath, name)(np.array(values)))
        assert not got.requires_grad
    with ad.no_grad():
        got = np.emath.power(ad.tensor([-8.0], requires_grad=True), 1 / 3)
    _same(got, np.emath.power(np.array([-8.0]), 1 / 3))


def test_nan_and_empty_inputs_stay_real():
    x = ad.tensor([np.nan, 4.0], requires_grad=True)
    _same(np.emath.sqrt(x), np.emath.sqrt(np.array([np.nan, 4.0])))
    _same(np.emath.log(ad.tensor(np.zeros((0, 2)))), np.emath.log(np.zeros((0, 2))))


def test_a_compiled_function_refuses_emath_whose_kind_of_result_depends_on_values():
    w = ad.tensor(np.ones(3), requires_grad=True)

    @ad.compile
    def f(x):
        loss = np.emath.sqrt(x * w).sum()
        loss.backward()
        return loss

    with pytest.raises(ad.TraceError, match=r"compile: numpy\.emath\.sqrt at .*whether its "
                                            r"result is real or complex depends on the values.*"
                                            r"\(np\.sqrt\)"):
        f(np.ones(3))
