"""What the twenty-eighth round of NumPy programs (test_numpy_programs_twentyeighth.py
and its ``_more`` part) found around them: a ufunc made by ``np.frompyfunc`` whose
function gave ``None`` on a Tensor (a missing value, as Python code often writes it)
gave a Tensor of NaN with no error, where NumPy gives an array of objects holding
``None`` (on which arithmetic raises); and a function giving a string failed inside
``np.result_type`` with "data type 'x' not understood", which names neither the
ufunc nor the value.  Both are now refused as ``np.vectorize`` refuses them, naming
the ufunc and the value the function gave."""

import numpy as np
import pytest

import autodiff as ad


@pytest.mark.parametrize("function, shown", [
    (lambda v: None, "None"),
    (lambda v: None if v > 1 else v * 2.0, "None"),
    (lambda v: "x", "'x'"),
    (lambda v: v if v > 1 else "f8", "'f8'"),   # (a dtype's name to np.result_type)
])
def test_frompyfunc_giving_a_value_that_is_not_a_number_is_refused(function, shown):
    t = ad.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    ufunc = np.frompyfunc(function, 1, 1)
    assert ufunc(t.data).dtype == object         # NumPy's: objects, no numbers
    with pytest.raises(TypeError, match=rf"np.frompyfunc ufunc .* the function gave "
                                        rf"{shown} .* which a Tensor cannot hold"):
        ufunc(t)


def test_frompyfunc_giving_none_for_one_output_of_two_is_refused():
    t = ad.tensor(np.array([0.5, 2.0]), requires_grad=True)
    split = np.frompyfunc(lambda v: (v * 2.0, None if v > 1 else v), 1, 2)
    with pytest.raises(TypeError, match="the function gave None"):
        split(t)


@pytest.mark.parametrize("function, dtype", [
    (lambda v: 2, np.int64), (lambda v: v > 1, np.bool_), (lambda v: 1j * v, np.complex128),
    (lambda v: np.float32(1.5) * v, np.float64), (lambda v: v * v, np.float64)])
def test_frompyfunc_giving_numbers_still_gives_numpys_promoted_dtype(function, dtype):
    x = np.array([0.5, 2.0, 3.0])
    got = np.frompyfunc(function, 1, 1)(ad.tensor(x))
    expected = np.frompyfunc(function, 1, 1)(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.data, expected.astype(dtype))
