"""``np.fmax.reduce`` / ``np.fmin.reduce`` with a Tensor ``initial=`` or complex values:
one reduction, not one op per slice, with NumPy's values and the same gradients."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops.numpy_dispatch import NUMPY_UFUNCS
from numpy_program_checks import central_difference


def _counting(monkeypatch, ufunc):
    """Count the calls of the elementwise op that runs ``ufunc`` (one per slice when a
    reduction goes slice by slice)."""
    calls = []
    op = NUMPY_UFUNCS[ufunc]

    def counted(*args, **kwargs):
        calls.append(1)
        return op(*args, **kwargs)
    monkeypatch.setitem(NUMPY_UFUNCS, ufunc, counted)
    return calls


def _with_nans(rng, shape, dtype=np.float64):
    values = rng.normal(size=shape)
    values[rng.random(shape) < 0.2] = np.nan
    return values.astype(dtype)


@pytest.mark.parametrize("ufunc", [np.fmax, np.fmin])
@pytest.mark.parametrize("options", [
    {"axis": 0}, {"axis": 1, "keepdims": True}, {"axis": None},
    {"axis": 0, "where": np.array([True, False, True])}],
    ids=["axis 0", "keepdims", "all axes", "where"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_tensor_initial_is_one_reduction_with_numpys_values(monkeypatch, ufunc, options,
                                                              dtype):
    rng = np.random.default_rng(30)
    values = _with_nans(rng, (400, 3), dtype)
    values[:, 1] = np.nan                                    # an all-NaN lane
    start = 0.25
    calls = _counting(monkeypatch, ufunc)
    got = ufunc.reduce(ad.tensor(values, requires_grad=True),
                       initial=ad.tensor(start, requires_grad=True), **options)
    expected = ufunc.reduce(values, initial=start, **options)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got.data, expected)
    assert len(calls) == 1


@pytest.mark.parametrize("ufunc", [np.fmax, np.fmin])
def test_a_tensor_initial_and_the_input_get_central_difference_gradients(ufunc):
    rng = np.random.default_rng(31)
    values = rng.normal(size=(5, 4))
    weights = rng.normal(size=4)

    def reduced(x, start):
        return (ufunc.reduce(x, axis=0, initial=start,
                             where=np.array([True, True, False, True])) * weights).sum()

    for start in (0.0, -3.0, 3.0):       # inside, below and above the values
        grad_x, grad_start = ad.grad(reduced, argnums=(0, 1))(values, np.float64(start))
        np.testing.assert_allclose(
            grad_x.ravel(), central_difference(
                lambda v: reduced(ad.tensor(v.reshape(values.shape)), start).item(),
                values.ravel()), atol=1e-8)
        np.testing.assert_allclose(
            grad_start, central_difference(
                lambda s: reduced(ad.tensor(values), ad.tensor(s[0])).item(),
                np.array([start]))[0], atol=1e-8)


def test_a_float32_tensor_initial_on_float64_values_is_cast_as_numpy_casts_it():
    values = np.array([[1.0, np.nan], [0.1, 0.2]])
    start = ad.tensor(np.float32(0.15), requires_grad=True)
    got = np.fmax.reduce(ad.tensor(values), axis=0, initial=start)
    np.testing.assert_array_equal(got.data, np.fmax.reduce(values, axis=0,
                                                           initial=np.float32(0.15)))
    got.sum().backward()
    assert start.grad.dtype == np.float32 and start.grad.item() == 0.0


@pytest.mark.parametrize("ufunc", [np.fmax, np.fmin])
@pytest.mark.parametrize("initial", [0.5 + 0.5j, 2.0, ad.tensor(0.5 - 1j)],
                         ids=["complex", "real", "complex tensor"])
def test_complex_values_with_initial_are_one_reduction_with_numpys_values(monkeypatch,
                                                                          ufunc, initial):
    rng = np.random.default_rng(32)
    values = rng.normal(size=(300, 3)) + 1j * rng.normal(size=(300, 3))
    values[rng.random((300, 3)) < 0.2] = complex(np.nan, 0.0)
    calls = _counting(monkeypatch, ufunc)
    got = ufunc.reduce(ad.tensor(values), axis=0, initial=initial,
                       where=np.array([True, True, False]))
    expected = ufunc.reduce(values, axis=0, where=np.array([True, True, False]),
                            initial=initial.data if isinstance(initial, ad.Tensor) else initial)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.data, expected)
    assert len(calls) == 1


def test_complex_values_that_require_grad_are_still_refused_naming_the_op():
    z = ad.tensor(np.array([[1 + 2j, 3 - 1j]]), requires_grad=True)
    with pytest.raises(TypeError, match="gradient rule is written for real numbers"):
        np.fmax.reduce(z, axis=1, initial=0j)
