"""PyTorch's Tensor methods on integer and bool tensors give the default float dtype
(float64 here), where NumPy's ufuncs give the smallest float holding the values
(float16 for uint8); and ``t.remainder`` gives PyTorch's sign of a zero result."""

import warnings

import numpy as np
import pytest

import autodiff as ad

SMALL_DTYPES = ["bool", "int8", "uint8", "int16", "int32", "int64"]

#: Tensor methods whose result is a float for any real input (each exists in PyTorch).
FLOAT_METHODS = [
    "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "reciprocal", "exp2", "expm1",
    "log1p", "log2", "log10", "tan", "sinh", "cosh", "asin", "arcsin", "acos", "arccos",
    "atan", "arctan", "asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh",
    "deg2rad", "rad2deg", "sinc", "erf", "erfc", "erfinv", "lgamma", "digamma", "logit",
    "rsqrt",
]


def _values(dtype):
    return np.array([0, 1, 2, 3, 200] if dtype != "bool" else [0, 1, 1, 0, 1]).astype(dtype)


@pytest.mark.parametrize("dtype", SMALL_DTYPES)
@pytest.mark.parametrize("name", FLOAT_METHODS)
def test_float_methods_of_integer_tensors_give_float64(name, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # log(0), atanh(2), ...
        got = getattr(ad.tensor(_values(dtype)), name)()
        expected = getattr(ad.tensor(_values(dtype).astype(np.float64)), name)()
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got.data, expected.data)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int16"])
@pytest.mark.parametrize("name", ["exp", "sqrt", "sigmoid", "log1p", "sin", "reciprocal"])
def test_float_methods_follow_pytorchs_dtype_and_values(name, dtype):
    torch = pytest.importorskip("torch")
    values = _values(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = getattr(ad.tensor(values), name)()
    expected = getattr(torch.tensor(values), name)().to(torch.float64)
    # PyTorch's result is its default float32; ours float64, the library's default. The
    # values agree to float32's rounding (PyTorch computes in float32), where float32
    # holds them (exp(200) is inf in float32, finite here).
    assert got.dtype == np.float64 and torch.tensor(values).sqrt().dtype.is_floating_point
    held = np.isfinite(expected.numpy())
    assert np.isfinite(got.data[held]).all()
    np.testing.assert_allclose(got.data[held], expected.numpy()[held], rtol=2 ** -22, atol=0)


def test_numpys_spellings_keep_numpys_promotion():
    t = ad.tensor(np.array([4, 9], np.uint8))
    assert np.sqrt(t).dtype == np.float16
    assert ad.sqrt(t).dtype == np.float16
    assert np.reciprocal(ad.tensor(np.array([2], np.int8))).dtype == np.int8
    assert t.sqrt().dtype == np.float64


def test_float_tensors_keep_their_dtype_and_gradient():
    x = ad.tensor(np.array([0.3, 1.7], np.float32), requires_grad=True)
    y = x.sqrt().exp().sigmoid().log1p()
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and np.all(np.isfinite(x.grad))


@pytest.mark.parametrize("name", ["atan2", "arctan2", "copysign"])
def test_pair_methods_of_integer_tensors_give_float64(name):
    torch = pytest.importorskip("torch")
    a, b = np.array([1, -2, 3], np.int8), np.array([2, 1, -1], np.int8)
    got = getattr(ad.tensor(a), name)(ad.tensor(b))
    assert got.dtype == np.float64
    expected = getattr(torch.tensor(a), name if name != "arctan2" else "atan2")(torch.tensor(b))
    np.testing.assert_allclose(got.data, expected.double().numpy(), rtol=2 ** -22)
    # a float operand decides the dtype, as in PyTorch (no conversion to float64)
    mixed = getattr(ad.tensor(a), name)(ad.tensor(b.astype(np.float32)))
    assert mixed.dtype == np.float32


@pytest.mark.parametrize("name", ["sqrt_", "exp_", "log_", "sigmoid_", "reciprocal_"])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64"])
def test_in_place_float_methods_refuse_integer_tensors(name, dtype):
    t = ad.tensor(_values(dtype))
    with pytest.raises(TypeError, match=f"{name}: the update gives float64"):
        getattr(t, name)()
    np.testing.assert_array_equal(t.data, _values(dtype))


# ----- remainder: PyTorch's sign of zero -------------------------------------------

DIVIDENDS = [-2.0, 2.0, -3.0, 3.0, 0.0, -0.0, np.inf, -np.inf, np.nan, 5.5, -5.5, 1e300]


@pytest.mark.parametrize("divisor", [2.0, -2.0, 0.5, np.inf, -np.inf, np.nan, 0.0, -0.0])
def test_remainder_method_matches_pytorch_with_the_sign_of_zero(divisor):
    torch = pytest.importorskip("torch")
    got = ad.tensor(DIVIDENDS).remainder(divisor).data
    expected = torch.tensor(DIVIDENDS, dtype=torch.float64).remainder(divisor).numpy()
    np.testing.assert_array_equal(got, expected)        # (NaN where NaN)
    finite = ~np.isnan(expected)
    np.testing.assert_array_equal(np.signbit(got[finite]), np.signbit(expected[finite]))


def test_remainder_method_with_a_tensor_divisor_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([-4.0, 4.0, -0.0, 7.5, -7.5, 6.0])
    b = np.array([2.0, -2.0, 3.0, -2.0, 2.0, -3.0])
    got = ad.tensor(a).remainder(ad.tensor(b)).data
    expected = torch.tensor(a).remainder(torch.tensor(b)).numpy()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def test_numpys_remainder_spellings_keep_numpys_sign_of_zero():
    t = ad.tensor([-2.0, 2.0])
    assert not np.signbit((t % 2.0).data).any()
    assert not np.signbit(np.remainder(t, 2.0).data).any()
    assert np.signbit(t.remainder(2.0).data).tolist() == [True, False]


def test_integer_remainder_method_is_unchanged():
    t = ad.tensor(np.array([-7, 7, -6], np.int64))
    got = t.remainder(3)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.data, [2, 1, 0])


def test_remainder_gradients_match_finite_differences_and_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([-4.3, 4.1, 7.5, -7.5, 2.2])
    b = np.array([2.0, -2.5, -2.0, 2.0, 3.1])
    x, d = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    x.remainder(d).sum().backward()
    tx, td = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tx.remainder(td).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.grad, td.grad.numpy(), rtol=1e-12)
    h = 1e-6        # central differences, away from the jumps
    for arg, grad in ((0, x.grad), (1, d.grad)):
        for i in range(len(a)):
            step = np.zeros(len(a))
            step[i] = h
            up = ad.tensor(a + step * (arg == 0)).remainder(ad.tensor(b + step * (arg == 1)))
            down = ad.tensor(a - step * (arg == 0)).remainder(ad.tensor(b - step * (arg == 1)))
            assert (up.data.sum() - down.data.sum()) / (2 * h) == pytest.approx(grad[i], rel=1e-6)


def test_remainder_in_place_matches_the_method():
    t = ad.tensor([-2.0, 5.0])
    with ad.no_grad():
        t.remainder_(2.0)
    np.testing.assert_array_equal(np.signbit(t.data), [True, False])
    np.testing.assert_array_equal(t.data, [0.0, 1.0])


def test_square_of_a_bool_tensor_is_int64_as_pytorch():
    torch = pytest.importorskip("torch")
    got = ad.tensor([True, False]).square()
    expected = torch.tensor([True, False]).square()
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "") == "int64"
    np.testing.assert_array_equal(got.data, expected.numpy())
    assert np.square(ad.tensor([True, False])).dtype == np.int8       # NumPy's spelling
    assert ad.tensor(np.int8([3])).square().dtype == np.int8


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int16"])
def test_true_division_of_small_integer_tensors_is_already_float64(dtype):
    # (NumPy's true division of integers is float64 for every integer dtype, so the
    # operator and PyTorch's spellings agree: nothing to convert)
    a, b = ad.tensor(_values(dtype)), ad.tensor(np.array([1, 2, 1, 2, 3]).astype(dtype))
    for got in (a / b, a.div(b), a.true_divide(b), np.true_divide(a, b)):
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got.data, _values(dtype) / b.data.astype(np.float64))
