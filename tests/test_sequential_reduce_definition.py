"""``np.power.reduce`` and ``np.arctan2.reduce`` of a Tensor follow NumPy's documented
definition, the ufunc applied left to right (``functools.reduce``), along a contiguous
axis of three or more entries too.  NumPy 2.4's own loops for these two ufuncs return
``x[0] ** x[-1]`` (``arctan2(x[0], x[-1])``) there on some CPUs, skipping the middle
entries, while the strided reductions are right; the Tensor's value is the definition's
in either case, and its gradient matches central differences of it."""

import functools

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import central_difference

CALLS = [(np.power, np.linspace(1.1, 1.5, 5)),
         (np.arctan2, np.array([4.0, 1.1, 0.5, 2.0]))]


def left_to_right(ufunc, values):
    return functools.reduce(ufunc, values)


@pytest.mark.parametrize("ufunc, values", CALLS, ids=[u.__name__ for u, _ in CALLS])
def test_contiguous_reduce_is_the_left_to_right_definition(ufunc, values):
    x = ad.tensor(values.copy(), requires_grad=True)
    result = ufunc.reduce(x)
    # (within 4 ulps, not bitwise: the Tensor's steps run on arrays, the definition's on
    # scalars, and NumPy's SIMD power/arctan2 may round those apart on some CPUs)
    np.testing.assert_allclose(result.data, left_to_right(ufunc, values), rtol=1e-15 * 4)
    result.backward()
    numerical = central_difference(lambda a: left_to_right(ufunc, a), values)
    np.testing.assert_allclose(x.grad, numerical, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("ufunc, values", CALLS, ids=[u.__name__ for u, _ in CALLS])
def test_rows_reduce_along_the_last_axis_as_defined(ufunc, values):
    rows = np.stack([values, values[::-1] * 1.1])
    result = ufunc.reduce(ad.tensor(rows), axis=1)
    expected = [left_to_right(ufunc, row) for row in rows]
    np.testing.assert_allclose(result.data, expected, rtol=1e-15 * 4)   # (as above)
    # NumPy's strided loop agrees with the definition (its contiguous one may not)
    np.testing.assert_allclose(ufunc.reduce(rows.T.copy(), axis=0), expected, rtol=1e-15 * 4)
