"""A bias's gradient, the sum of a 2-D gradient over its rows, is one compiled call
(``kernels.sum_rows``) with the bits of ``np.add.reduce(g, 0)``: NumPy adds the rows
in order, and so does the kernel; the result is an array of its own, which a
parameter's ``.grad`` takes without a copy."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.ops.shape import sum_to_array

SHAPES = [(300, 3), (300, 64), (2, 5), (1, 4), (0, 3), (7, 1000), (4096, 8), (513, 2),
          (100000, 3)]


def _values(rng, shape, dtype):
    # magnitudes over six decades: a sum in another order differs in its last bits
    return (rng.normal(size=shape) * 10 ** rng.uniform(-3, 3, size=shape)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_sum_rows_equals_numpys_reduction_bit_for_bit(shape, dtype):
    if kernels.JIT_ENABLED:
        kernels._load()                 # the compiled loop for small arrays too
    x = _values(np.random.default_rng(sum(shape)), shape, dtype)
    expected = np.add.reduce(x, 0)
    got = kernels.sum_rows(x)
    assert got.dtype is expected.dtype and got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()
    assert got.base is None and got.flags.writeable


def test_sum_rows_keeps_signed_zeros_infinities_and_nans_as_numpy():
    if kernels.JIT_ENABLED:
        kernels._load()
    x = np.array([[-0.0, 1.0, np.inf, np.nan, -0.0],
                  [-0.0, -1.0, -np.inf, 1.0, 0.0]])
    with np.errstate(invalid="ignore"):
        expected = np.add.reduce(x, 0)
    assert kernels.sum_rows(x).tobytes() == expected.tobytes()
    assert kernels.sum_rows(x[:1]).tobytes() == np.add.reduce(x[:1], 0).tobytes()


def test_what_the_kernel_does_not_take_is_numpys_reduction():
    rng = np.random.default_rng(0)
    cases = [rng.normal(size=(2000, 1)),                  # one column: NumPy sums pairwise
             rng.normal(size=(64, 40))[:, ::2],           # not contiguous
             rng.normal(size=(2000, 3)).astype(np.float16),
             np.arange(12).reshape(4, 3)]                 # integers
    for x in cases:
        got = kernels.sum_rows(x)
        assert got.dtype == np.add.reduce(x, 0).dtype
        assert got.tobytes() == np.add.reduce(x, 0).tobytes()


def test_a_bias_gradient_is_the_row_sum_of_numpy_and_becomes_the_grad_uncopied():
    rng = np.random.default_rng(1)
    x = ad.tensor(_values(rng, (300, 64), np.float64))
    b = ad.nn.Parameter(np.zeros(64))
    g = _values(rng, (300, 64), np.float64)
    (x + b).backward(g)
    assert b.grad.tobytes() == np.add.reduce(g, 0).tobytes()
    assert sum_to_array(g, (64,)).tobytes() == np.add.reduce(g, 0).tobytes()
    assert sum_to_array(g, (1, 64)).tobytes() == np.add.reduce(g, 0).tobytes()


def test_a_linear_layers_bias_gradient_matches_the_numpy_program():
    rng = np.random.default_rng(2)
    layer = ad.nn.Linear(2, 64, rng=0)
    X = rng.normal(size=(300, 2))
    g = rng.normal(size=(300, 64))
    layer(ad.tensor(X)).backward(g)
    assert layer.bias.grad.tobytes() == g.sum(axis=0).tobytes()
