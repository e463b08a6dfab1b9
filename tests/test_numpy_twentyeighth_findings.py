"""What the twenty-eighth round of NumPy programs (test_numpy_programs_twentyeighth.py
and its ``_more`` part) found around them:

- a ufunc made by ``np.frompyfunc`` whose function gave ``None`` on a Tensor (a
  missing value, as Python code often writes it) gave a Tensor of NaN with no error,
  where NumPy gives an array of objects holding ``None`` (on which arithmetic raises);
  a function giving a string failed inside ``np.result_type`` with "data type 'x' not
  understood", naming neither the ufunc nor the value.  Both are now refused as
  ``np.vectorize`` refuses them, naming the ufunc and the value.
- a ``numpy.polynomial`` series object called at a Tensor, ``P(t)``, left the tape
  (inside a transform, an error); it is now recorded, with NumPy's values.
- ``np.ma.mean``, ``np.ma.sum`` ... of a Tensor that requires grad were refused naming
  only the user's line; now the function and the masked-array advice."""

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


# A numpy.polynomial series object called at a Tensor: ``P(t)`` mapped ``t`` onto the
# series' window by ``pu.mapdomain``, which made an array of it, so the call left the
# tape (inside a transform, an error, though ``chebval(t, c)`` itself records).  It is
# now recorded, with NumPy's values to the bit.

_SERIES = {
    "Polynomial": np.polynomial.Polynomial([0.5, -1.0, 0.25, 0.3]),
    "Chebyshev": np.polynomial.Chebyshev([1.0, 0.5, -0.2, 0.1], domain=[-2.0, 2.0]),
    "Legendre": np.polynomial.Legendre([0.3, 0.2, 0.7], domain=[0.0, 3.0], window=[-2, 2]),
    "Hermite": np.polynomial.Hermite([0.1, 0.4, -0.2], domain=[-1.0, 1.5]),
    "HermiteE": np.polynomial.HermiteE([0.2, -0.3, 0.5, 0.05]),
    "Laguerre": np.polynomial.Laguerre([1.0, -0.5, 0.25], domain=[0.0, 5.0]),
}
_POINTS = np.array([[0.3, -0.8, 1.2], [0.05, 2.1, -1.4]])


def _central_difference_of_sum(function, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (np.sum(function(x + step)) - np.sum(function(x - step))) / (2 * eps)
    return grad


@pytest.mark.parametrize("name", sorted(_SERIES))
def test_a_series_object_at_a_tensor_has_numpys_value_and_its_gradient(name):
    series = _SERIES[name]
    value, grad = ad.value_and_grad(lambda t: np.sum(series(t) ** 2))(_POINTS.copy())
    assert value == np.sum(series(_POINTS.copy()) ** 2)
    np.testing.assert_allclose(
        grad, _central_difference_of_sum(lambda a: series(a) ** 2, _POINTS),
        rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(_SERIES))
@pytest.mark.parametrize("points", [np.float32(_POINTS), np.array(0.7), np.array([[1.5]])],
                         ids=["float32", "0-d", "size-1"])
def test_a_series_object_at_a_tensor_keeps_numpys_shape_and_dtype(name, points):
    series = _SERIES[name]
    x = ad.tensor(points.copy(), requires_grad=True)
    got, expected = series(x), series(points.copy())
    assert got.shape == expected.shape and got.dtype == expected.dtype and got.requires_grad
    np.testing.assert_array_equal(got.data, expected)
    got.sum().backward()
    assert x.grad.dtype == points.dtype and x.grad.shape == points.shape


def test_a_derivative_series_at_a_tensor_has_the_second_derivative():
    series = _SERIES["Chebyshev"]
    x = np.array([0.4, -1.1])
    hessian = ad.hessian(lambda t: np.sum(series(t)))(x.copy())
    np.testing.assert_allclose(hessian, np.diag(series.deriv(2)(x)), rtol=1e-12)


def test_a_series_object_at_a_batch_of_tensors_under_vmap():
    series = _SERIES["Legendre"]
    batched = ad.vmap(ad.grad(lambda t: np.sum(series(t) ** 2)))(_POINTS.copy())
    each = np.stack([ad.grad(lambda t: np.sum(series(t) ** 2))(row.copy()) for row in _POINTS])
    np.testing.assert_allclose(batched, each, rtol=1e-14)


def test_a_series_with_tensor_coefficients_is_still_refused_naming_what_to_write():
    coefficients = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"np.polynomial.Polynomial\(\.\.\.\).*polyvander"):
        ad.grad(lambda c: np.polynomial.Polynomial(c)(0.5))(coefficients)


# np.ma.mean, np.ma.sum, np.ma.std ... (made by a factory in numpy.ma, so their code's
# name is its inner function's) on a Tensor that requires grad: the refusal named only
# the user's line, not the function, nor what to write for a masked array, as it does
# for np.ma.masked_where or np.ma.average; and np.ma.sum's advice, when named, was
# np.sum's about initial=.

@pytest.mark.parametrize("name", ["mean", "sum", "std", "var", "prod", "max", "min"])
def test_a_masked_reduction_of_a_tensor_is_refused_naming_it_and_the_mask_advice(name):
    reduction = getattr(np.ma, name)
    with pytest.raises(TypeError, match=rf"by np\.ma\.{name}, .*a masked array holds an "
                                        r"ndarray: keep the mask beside the Tensor"):
        ad.grad(lambda t: reduction(t * 1.0))(np.array([1.0, 2.0, 4.0]))


def test_a_masked_mean_written_directly_is_named_with_the_mask_advice():
    with pytest.raises(TypeError, match=r"by np\.ma\.mean, .*np\.mean\(t, where=~mask\)"):
        ad.grad(lambda t: np.ma.mean(t ** 2))(np.array([1.0, 2.0, 4.0]))
