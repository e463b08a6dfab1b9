"""``np.frompyfunc(f, nin, nout)`` called on Tensors records the calls of ``f`` (it was
refused); ``np.sort_complex`` sorts with a gradient (it was refused for a Tensor that
requires grad); ``np.lib.stride_tricks.as_strided`` of a Tensor that requires grad is
refused naming ``sliding_window_view`` (it warned and returned an ndarray).  Values are
NumPy's to the bit (the same elementwise Python calls, the same sort); gradients are
checked against central differences in float64, and against PyTorch's sort where it
has one."""

import warnings

import numpy as np
import pytest

import autodiff as ad

from complex_checks import central_differences
from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261206)


def _clipped_square(v):
    return v * v if v < 1 else 2 * v - 1


# ---------------------------------------------------------------- np.frompyfunc


def test_frompyfunc_records_each_call_with_numpys_values():
    x = _rng.normal(size=12) + 0.5
    clipped = np.frompyfunc(_clipped_square, 1, 1)
    y = clipped(ad.tensor(x, requires_grad=True))
    expected = clipped(x)
    assert expected.dtype == object and y.dtype == np.float64
    np.testing.assert_array_equal(y.data, expected.astype(float))
    np.testing.assert_allclose(
        ad.grad(lambda t: np.sum(np.cos(clipped(t))))(x),
        central_difference(lambda a: np.sum(np.cos(clipped(a).astype(float))), x),
        rtol=1e-7, atol=1e-9)
    # .astype(float), which follows frompyfunc in NumPy code, keeps the tape
    assert clipped(ad.tensor(x, requires_grad=True)).astype(float).requires_grad


def test_frompyfunc_broadcasts_arrays_and_gives_several_outputs():
    x = _rng.normal(size=(3,))
    w = np.array([[1.0], [2.0]])
    pair = np.frompyfunc(lambda a, b: (a * b, np.exp(a) + b), 2, 2)
    products, sums = pair(ad.tensor(x, requires_grad=True), w)
    numpy_products, numpy_sums = pair(x, w)
    assert products.shape == sums.shape == (2, 3)
    np.testing.assert_array_equal(products.data, numpy_products.astype(float))
    np.testing.assert_array_equal(sums.data, numpy_sums.astype(float))

    def total(t):
        p, s = pair(t, w)
        return np.sum(p * s)
    np.testing.assert_allclose(ad.grad(total)(x), central_difference(
        lambda a: np.sum(np.prod(np.array(pair(a, w)).astype(float), axis=0)), x),
        rtol=1e-7)
    # second order through the recorded calls
    np.testing.assert_allclose(
        ad.hessian(lambda t: np.sum(np.frompyfunc(lambda v: v ** 3, 1, 1)(t)))(x),
        np.diag(6 * x), rtol=1e-13)


def test_frompyfunc_results_take_numpys_promoted_dtype():
    x32 = ad.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    assert np.frompyfunc(lambda v: v * 2.0, 1, 1)(x32).dtype == np.float32
    # a constant int from one call and a Tensor from another: promoted together
    mixed = np.frompyfunc(lambda v: v if v > 1.5 else 0, 1, 1)(
        ad.tensor([1.0, 2.0], requires_grad=True))
    assert mixed.dtype == np.float64 and mixed.requires_grad
    np.testing.assert_array_equal(mixed.data, [0.0, 2.0])


def test_frompyfunc_warns_when_every_call_left_the_tape():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match=r"np\.frompyfunc's ufunc|frompyfunc ufunc"):
        with warnings.catch_warnings():
            warnings.simplefilter("always", ad.TapeDropWarning)
            np.frompyfunc(lambda v: float(v) * 2, 1, 1)(x)


def test_frompyfunc_methods_keywords_and_empty_inputs_are_refused_naming_the_fix():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    product = np.frompyfunc(lambda a, b: a * b, 2, 1)
    with pytest.raises(TypeError, match=r"\.reduce \(not one of NumPy's\) on a Tensor"
                                        r".*functools\.reduce"):
        product.reduce(x)
    with pytest.raises(TypeError, match=r"keyword arguments \['out'\]"):
        product(x, x, out=np.empty(2, dtype=object))
    with pytest.raises(ValueError, match=r"size 0.*otypes"):
        np.frompyfunc(_clipped_square, 1, 1)(x[:0])


# ---------------------------------------------------------------- np.sort_complex


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int8, np.int64, np.complex64,
                                   np.complex128])
def test_sort_complex_has_numpys_values_and_dtype(dtype):
    a = np.array([[3 + 1j, 1 + 2j, 1 - 1j, 2], [0, 1j, -1j, 5]])
    a = a.real.astype(dtype) if np.dtype(dtype).kind != "c" else a.astype(dtype)
    expected = np.sort_complex(a)
    got = np.sort_complex(ad.tensor(a))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.data, expected)


def test_sort_complex_gradient_follows_the_permutation():
    z = _rng.normal(size=(3, 5)) + 1j * _rng.normal(size=(3, 5))
    weights = _rng.normal(size=(3, 5)) + 1j * _rng.normal(size=(3, 5))

    def loss(a):
        return np.sum(np.real(np.sort_complex(a) * weights))
    # the gradient of a real loss of z = x + iy is dL/dx + i dL/dy (PyTorch's convention)
    t = ad.tensor(z, requires_grad=True)
    loss(t).backward()
    (numeric,) = central_differences(loss, [z])
    np.testing.assert_allclose(t.grad, numeric, rtol=1e-7, atol=1e-9)
    # a real input gets the real part
    def real_loss(a):
        return np.sum(np.real(np.sort_complex(a) * weights[0]))
    x = _rng.normal(size=5)
    np.testing.assert_allclose(ad.grad(real_loss)(x), central_differences(real_loss, [x])[0],
                               rtol=1e-7)


def test_complex_sort_is_numpys_and_torch_style_sort_refuses_as_pytorch():
    torch = pytest.importorskip("torch")
    z = ad.tensor([2 + 1j, 1 - 1j, 1 + 0j], requires_grad=True)
    np.testing.assert_array_equal(np.sort(z).data, np.sort(z.data))
    with pytest.raises(RuntimeError):
        torch.sort(torch.tensor(z.data))
    with pytest.raises(TypeError, match=r"sort\(dim=\.\.\.\) of a complex tensor.*np\.sort"):
        z.sort(dim=0)
    with pytest.raises(TypeError, match=r"topk\(dim=\.\.\.\) of a complex tensor"):
        z.topk(1)


# ---------------------------------------------------------------- as_strided


def test_as_strided_of_a_tensor_that_requires_grad_is_refused_naming_windows():
    x = ad.tensor(np.arange(6.0), requires_grad=True)
    with pytest.raises(TypeError, match=r"as_strided on a Tensor.*test_numpy_frompyfunc\.py"
                                        r".*sliding_window_view\(t, window_shape, axis\)"):
        np.lib.stride_tricks.as_strided(x, shape=(4, 3), strides=(8, 8))
    # without grad it is NumPy's view of the data, as before
    view = np.lib.stride_tricks.as_strided(x.detach(), shape=(4, 3), strides=(8, 8))
    np.testing.assert_array_equal(view, np.lib.stride_tricks.sliding_window_view(x.data, 3))
    # the suggested windows record, and gradients add up over the overlaps
    windows = np.lib.stride_tricks.sliding_window_view(x, 3)
    np.sum(windows).backward()
    np.testing.assert_array_equal(x.grad, [1, 2, 3, 3, 2, 1])
