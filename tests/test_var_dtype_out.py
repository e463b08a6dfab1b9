"""np.var, np.std, np.nanvar and np.nanstd on Tensors with dtype= and out=: NumPy's
values, dtypes and warnings to the bit (NumPy's own path, not a cast of the input
first), out= a Tensor written in place and returned, out= an ndarray refused as for
np.sum, gradients through the casts against central differences in float64, and the
same values inside ad.compile."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

FUNCTIONS = [np.var, np.std, np.nanvar, np.nanstd]
FLOATS = [np.float16, np.float32, np.float64]


def _run(func, a, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = func(a, **options)
    return result, sorted(str(w.message) for w in caught)


def _assert_numpys(func, a, **options):
    expected, expected_warnings = _run(func, a, **options)
    result, result_warnings = _run(func, ad.tensor(a), **options)
    assert isinstance(result, ad.Tensor)
    assert result.dtype == np.asarray(expected).dtype and result.shape == np.shape(expected)
    np.testing.assert_array_equal(result.data, expected, strict=True)
    assert result_warnings == expected_warnings


def _data(rng, dtype, shape=(6, 9)):
    a = rng.standard_normal(shape) * 3 + 10
    if np.dtype(dtype).kind == "f":
        a[1, 2] = np.nan
    elif np.dtype(dtype).kind == "b":
        a = a > 10
    return a.astype(dtype)


def _options(rng, a):
    mask = rng.random(a.shape) > 0.3
    mask[2] = False                                   # an empty lane: NumPy's NaN, warning
    return [{}, {"axis": 0}, {"axis": 1, "ddof": 1}, {"axis": (0, 1), "keepdims": True},
            {"axis": 1, "where": mask}, {"axis": 0, "ddof": 2, "where": mask},
            {"axis": 1, "mean": np.mean(a, axis=1, keepdims=True, dtype=np.float64)},
            {"axis": 1, "mean": np.mean(a, axis=1, keepdims=True).astype(np.float32)}]


@pytest.mark.parametrize("func", FUNCTIONS)
@pytest.mark.parametrize("source", FLOATS + [np.int64, np.int16, np.bool_])
@pytest.mark.parametrize("dtype", FLOATS)
def test_dtype_gives_numpys_values_dtypes_and_warnings(func, source, dtype):
    rng = np.random.default_rng(0)
    a = _data(rng, source)
    for options in _options(rng, a):
        _assert_numpys(func, a, dtype=dtype, **options)
    _assert_numpys(func, _data(rng, source, (3, 700)), axis=1, dtype=dtype)  # (pairwise)


def test_a_narrower_dtype_is_numpys_computation_not_a_cast_of_the_input():
    a = np.random.default_rng(1).standard_normal(1000) * 3 + 1e3
    expected = np.var(a, dtype=np.float32)
    assert expected != np.var(a.astype(np.float32))        # the two differ on this data
    assert np.var(ad.tensor(a), dtype=np.float32).data == expected
    integers = np.arange(0, 3_000_000, 7)                  # int64 - float32 is float64
    assert np.var(ad.tensor(integers), dtype=np.float32).data == np.var(integers,
                                                                        dtype=np.float32)


def test_float16_nanvar_divides_by_numpys_integer_count():
    a = np.random.default_rng(2).standard_normal(2099).astype(np.float16)
    for func in (np.nanvar, np.nanstd):       # (2098 is not a float16: the count is exact)
        _assert_numpys(func, a, ddof=1)


@pytest.mark.parametrize("func", FUNCTIONS)
@pytest.mark.parametrize("source", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
def test_out_tensor_gets_numpys_values_in_place(func, source, dtype):
    a = _data(np.random.default_rng(3), source, (40, 60))
    for out_dtype in FLOATS:
        expected = np.zeros(40, out_dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")             # (float16 may overflow, as NumPy's)
            func(a, axis=1, dtype=dtype, out=expected)
            out = ad.tensor(np.zeros(40, out_dtype))
            assert func(ad.tensor(a), axis=1, dtype=dtype, out=out) is out
        assert out.dtype == out_dtype
        np.testing.assert_array_equal(out.data, expected, strict=True)


@pytest.mark.parametrize("func", FUNCTIONS + [np.sum])
def test_out_ndarray_is_refused_as_for_np_sum(func):
    x = ad.tensor([1.0, 2.0, 4.0], requires_grad=True)
    with pytest.raises(TypeError, match=rf"numpy.{func.__name__} with out= an ndarray on a "
                                        r"Tensor \(Tensor of shape \(3,\).*give out= a Tensor"):
        func(x, out=np.zeros(()))


def test_out_of_another_shape_and_integer_dtypes_are_refused():
    x = ad.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"numpy.var with out=: the result has shape \(2,\) "
                                         r"but the out= tensor has shape \(3,\)"):
        np.var(x, axis=1, out=ad.tensor(np.zeros(3)))
    for func in FUNCTIONS:
        with pytest.raises(TypeError, match=rf"numpy.{func.__name__} on a Tensor of dtype "
                                            "float64: dtype=int32 is not a floating-point"):
            func(x, dtype=np.int32)
    with pytest.raises(TypeError, match="dtype=int64 is not a floating-point"):
        np.var(ad.tensor(np.arange(3)), dtype=np.int64)


def _with_nan(func, a):
    if func in (np.nanvar, np.nanstd):
        a = a.copy()
        a[0, 1] = np.nan          # (finite differences do not move a NaN)
    return a


@pytest.mark.parametrize("func", FUNCTIONS)
@pytest.mark.parametrize("options", [{"axis": 1, "dtype": np.float64},
                                     {"axis": 1, "out": "float64"},
                                     {"axis": 0, "ddof": 1, "out": "float64",
                                      "dtype": np.float64},
                                     {"axis": 1, "dtype": np.float64,
                                      "mean": np.array([[0.3], [-0.2], [1.0]])}])
def test_gradients_against_central_differences(func, options):
    a = np.array([[0.5, 1.5, -1.0, 2.0], [2.0, 0.25, 1.0, -3.0], [1.0, 2.0, 3.0, 4.5]])
    nan = np.isnan(_with_nan(func, a))

    def f(x):
        given = dict(options)
        if "out" in given:
            shape = np.var(a, axis=given["axis"]).shape
            given["out"] = ad.tensor(np.zeros(shape))      # written in place, recorded
        return func(ad.where(nan, np.nan, x), **given)

    assert ad.gradcheck(f, [a])
    assert ad.gradgradcheck(f, [a])


@pytest.mark.parametrize("func", FUNCTIONS)
def test_gradient_flows_back_through_the_dtype_cast(func):
    a = _with_nan(func, np.random.default_rng(4).standard_normal((5, 30)) * 2 + 3)
    grads = {}
    for source, dtype in [(np.float64, None), (np.float64, np.float32),
                          (np.float32, np.float64), (np.float32, None)]:
        x = ad.tensor(a.astype(source), requires_grad=True)
        y = func(x, axis=1, dtype=dtype, ddof=1)
        assert y.dtype == (dtype or source)
        y.sum().backward()
        assert x.grad.dtype == source and np.isfinite(x.grad).all()
        grads[source, dtype] = x.grad
    x = ad.tensor(a, requires_grad=True)
    into = ad.tensor(np.zeros(5, np.float32))
    func(x, axis=1, ddof=1, out=into).sum().backward()     # float64 into float32
    assert x.grad.dtype == np.float64
    grads["into float32"] = x.grad
    reference = grads[np.float64, None]              # checked by central differences above
    np.testing.assert_allclose(grads["into float32"], reference, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads[np.float64, np.float32], reference, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads[np.float32, np.float64], reference, rtol=1e-5, atol=1e-6)


def test_out_into_a_leaf_that_requires_grad_is_refused():
    x = ad.tensor([1.0, 2.0, 4.0], requires_grad=True)
    leaf = ad.tensor(0.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        np.var(x, out=leaf)


@pytest.mark.parametrize("func", FUNCTIONS)
def test_compiled_replays_the_eager_values_and_gradients(func):
    rng = np.random.default_rng(5)

    def stepper():
        w = ad.tensor(np.ones((4, 6)), requires_grad=True)
        opt = ad.optim.SGD([w], lr=0.0)

        def step(x):
            opt.zero_grad()
            narrowed = func(w * x, axis=1, dtype=np.float32, ddof=1)
            into = ad.zeros(6, dtype=np.float32)
            func(w * x, axis=0, out=into)
            value = narrowed.sum() + into.sum()
            value.backward()
            return value
        return step, w

    (eager, eager_w), (compiled, compiled_w) = stepper(), stepper()
    compiled = ad.compile(compiled)
    for k in range(3):
        x0 = rng.standard_normal((4, 6)) * 3 + 100
        if func in (np.nanvar, np.nanstd):
            x0[k, k + 1] = np.nan                     # a NaN that moves between calls
        expected = eager(x0)
        np.testing.assert_array_equal(compiled(x0).data, expected.data, strict=True)
        np.testing.assert_array_equal(compiled_w.grad, eager_w.grad, strict=True)
    assert expected.dtype == np.float32
