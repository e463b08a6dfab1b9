"""Kernels' fallbacks: inputs the compiled loops do not take (float16, ints, strided
views, big-endian, mixed dtypes) get the NumPy twins' values, and arrays too small to
be cut in parts run the kernels' loop in one call."""

import numpy as np
import pytest

from autodiff import kernels
from autodiff.kernels import numpy_twins as twins
from test_kernels import FLOATS, rand



NATIVE_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
FALLBACK_INPUTS = [
    ("float16", lambda: rand((40, 50), np.float16)),
    ("int", lambda: np.arange(-1000, 1000).reshape(40, 50)),
    ("non-contiguous", lambda: rand((50, 80), np.float64)[:, ::2].T),
    ("0-d", lambda: np.array(0.7)),
    ("tiny", lambda: rand((3,), np.float32)),
    ("big-endian", lambda: rand((40, 50), np.float64).astype(">f8")),
]


def _rounded_once(kernel):
    """``kernel`` on float32 copies of float16 arrays, its result rounded to float16."""
    def rounded(*args):
        return kernel(*[a.astype(np.float32) if isinstance(a, np.ndarray) else a
                        for a in args]).astype(np.float16)
    return rounded


@pytest.mark.parametrize("label, make", FALLBACK_INPUTS, ids=[f[0] for f in FALLBACK_INPUTS])
def test_fallbacks_are_identical_to_the_twins(label, make):
    x = make()
    g = np.ones_like(x)
    # (with the JIT on, float32/64 arrays too small to be cut in parts take the kernels'
    # one-call form: checked against the kernels on large arrays below)
    native = kernels.JIT_ENABLED and x.dtype in NATIVE_FLOATS
    sigmoid, sigmoid_backward = twins.sigmoid, twins.sigmoid_backward
    tanh_fallback, leaky_relu = twins.tanh_backward, twins.leaky_relu
    if native and x.flags.c_contiguous:
        sigmoid, sigmoid_backward, tanh_fallback = (
            _on_a_large_copy(kernels.sigmoid, x), _on_a_large_copy(kernels.sigmoid_backward, g, x),
            _on_a_large_copy(kernels.tanh_backward, g, x))
    elif native:                         # strided: fewer NumPy calls than the twin
        tanh_fallback = twins.tanh_backward_few_calls
    if x.dtype == np.float16:           # float32 (kernels included), rounded once
        sigmoid, sigmoid_backward, tanh_fallback, leaky_relu = (
            _rounded_once(kernels.sigmoid), _rounded_once(kernels.sigmoid_backward),
            _rounded_once(kernels.tanh_backward), _rounded_once(kernels.leaky_relu))
    def at(form, *args):              # a function, or the values computed above
        return form(*args) if callable(form) else form

    pairs = [
        (kernels.sigmoid(x), at(sigmoid, x)),
        (kernels.relu(x), twins.relu(x)),
        (kernels.leaky_relu(x, 0.1), leaky_relu(x, 0.1)),
        (kernels.sigmoid_backward(g, x), at(sigmoid_backward, g, x)),
        (kernels.tanh_backward(g, x), at(tanh_fallback, g, x)),
        (kernels.relu_backward(g, x), twins.relu_backward(g, x)),
    ]
    if x.ndim and x.dtype.kind == "f":
        pairs += [(kernels.softmax(x), twins.softmax(x)),
                  (kernels.log_softmax(x, 0), twins.log_softmax(x, 0))]
    for got, want in pairs:
        assert got.dtype == want.dtype
        if any(want is form for form in (sigmoid, sigmoid_backward, tanh_fallback)):
            # the kernels' loop on a large copy: within 1 ulp (see the test below)
            np.testing.assert_allclose(got, want, rtol=np.finfo(x.dtype).eps, atol=0)
        else:
            np.testing.assert_array_equal(got, want)


def _on_a_large_copy(kernel, *arrays):
    """``kernel`` on the arrays repeated past the size where kernels cut them in parts,
    cut back to their own size."""
    reps = -(-kernels.MIN_ELEMENTWISE // max(arrays[0].size, 1)) + 1
    large = [np.tile(a.reshape(-1), reps) for a in arrays]
    assert large[0].size >= kernels.MIN_ELEMENTWISE
    return kernel(*large)[:arrays[0].size].reshape(arrays[0].shape)


@pytest.mark.skipif(not kernels.JIT_ENABLED, reason="the one-call form is the JIT's")
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (1,), (3,), (4,), (7, 5), (1, 31, 1)])
def test_small_arrays_take_the_large_kernels_loop(dtype, shape):
    """Sizes below ``MIN_ELEMENTWISE`` run the same loop in one dispatcher call.  Within
    1 ulp, not bitwise: LLVM may contract a vector body and its scalar remainder apart."""
    x, g = rand(shape, dtype, 5, scale=30.0), rand(shape, dtype, 6)
    x.flat[:3] = [0.0, -40.0, 1e-30][:x.size]
    ulp = np.finfo(dtype).eps
    for got, want in [
        (kernels.sigmoid(x), _on_a_large_copy(kernels.sigmoid, x)),
        (kernels.sigmoid_backward(g, x), _on_a_large_copy(kernels.sigmoid_backward, g, x)),
        (kernels.tanh_backward(g, x), _on_a_large_copy(kernels.tanh_backward, g, x)),
    ]:
        assert got.dtype == dtype and got.shape == shape
        np.testing.assert_allclose(got, want, rtol=ulp, atol=0)


def test_softmax_over_another_axis_and_mixed_dtypes_fall_back():
    x = rand((300, 40), np.float64)
    np.testing.assert_array_equal(kernels.softmax(x, axis=0), twins.softmax(x, axis=0))
    g32 = x.astype(np.float32)
    np.testing.assert_array_equal(kernels.sigmoid_backward(g32, x), twins.sigmoid_backward(g32, x))
    target = np.zeros(300, dtype=np.int64)
    for got, want in zip(kernels.cross_entropy(x[:, ::2], target),    # not contiguous
                         twins.cross_entropy(x[:, ::2], target)):
        np.testing.assert_array_equal(got, want)


def test_pair_check_takes_exactly_what_the_one_array_check_takes():
    """``_ok2(g, x)`` is ``_ok(g)`` plus x of g's type, dtype, shape and C layout."""
    made = [np.ones(6), np.ones(6, np.float32), np.ones((2, 3)), np.ones((3, 2)).T,
            np.ones(6, np.float16), np.arange(6), np.ones(6)[::2], np.ones(3),
            np.array(1.0), np.ones(6).astype(">f8"), [1.0] * 6, 1.0, np.float64(1.0),
            np.ones(2048)]
    for a in made:
        for b in made:
            for minimum in (0, 6, 1024):
                expected = bool(kernels._ok(a, minimum) and type(b) is np.ndarray
                                and b.dtype is a.dtype and b.shape == a.shape
                                and b.flags.c_contiguous)
                assert bool(kernels._ok2(a, b, minimum)) is expected, (a, b, minimum)
