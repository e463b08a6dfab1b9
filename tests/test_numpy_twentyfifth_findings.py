"""What the twenty-fifth round of NumPy programs (test_numpy_programs_twentyfifth.py)
found around them: NumPy's functions that only compare or print values
(``np.testing.assert_allclose``, ``np.array2string``) on a Tensor on the tape warned
of a dropped tape, and inside ``ad.grad`` raised, though nothing they return carries a
gradient: an invariant asserted inside a program stopped its differentiation.  They
are now silent exits, as ``f"{t:.3f}"`` is.  ``np.broadcast(t, u)``, whose iterator
does hold plain values, still refuses, now naming itself and what to write
(``np.broadcast_shapes`` for the shape).

Around ``out=``: ``np.var``/``np.std`` of a Tensor that requires grad into an integer
``out=`` Tensor gave truncated values with no tape and no word, where every other
reduction refuses the truncation; they refuse it now.  ``np.dot`` and ``np.einsum``
wrote into an ``out=`` of a dtype NumPy refuses (``dot`` wants the result's own dtype,
``einsum`` casts by ``casting='safe'`` unless told); they refuse it as NumPy does.
Sums, means and ranges into an ``out=`` of another float dtype were the plain result
cast, where NumPy accumulates in ``out``'s dtype (or divides a sum rounded to it):
they are NumPy's to the bit now."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import autodiff as ad
from numpy_program_checks import central_difference

_P = np.array([0.3, -1.2, 0.8])


def _softmax_with_checked_invariants(t):
    weights = np.exp(t) / np.sum(np.exp(t))
    np.testing.assert_allclose(np.sum(weights), 1.0)
    np.testing.assert_array_less(-weights, 0.0)
    assert_allclose(weights, weights * 1.0)
    return np.sum(weights * np.arange(1.0, 4.0))


def test_asserting_a_programs_invariants_with_np_testing_does_not_stop_its_gradient():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        grad = ad.grad(_softmax_with_checked_invariants)(_P.copy())
    numerical = central_difference(_softmax_with_checked_invariants, _P)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-8)


def test_np_testing_on_a_tensor_still_compares_its_values():
    t = ad.tensor(_P.copy(), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        np.testing.assert_allclose(t, _P)
        with pytest.raises(AssertionError, match="Not equal to tolerance"):
            np.testing.assert_allclose(t * 2, _P)
        with pytest.raises(AssertionError):
            np.testing.assert_array_equal(t, _P + 1)


@pytest.mark.parametrize("printing", [np.array2string, np.array_str],
                         ids=["array2string", "array_str"])
def test_printing_a_tensor_with_numpys_functions_is_a_silent_exit(printing):
    t = ad.tensor(_P.copy(), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        assert printing(t) == printing(_P)
        assert np.format_float_positional(t[0]) == np.format_float_positional(_P[0])


def test_other_conversions_on_the_same_footing_still_warn():
    t = ad.tensor(_P.copy(), requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match="by np.asarray"):
        np.asarray(t)


def test_np_broadcast_of_a_tensor_names_itself_and_np_broadcast_shapes():
    t = ad.tensor(np.ones((2, 1)), requires_grad=True)
    with pytest.warns(ad.TapeDropWarning,
                      match=r"by np.broadcast, .*np.broadcast_shapes\(a.shape, b.shape\)"):
        shape = np.broadcast(t, np.ones(3)).shape
    assert shape == (2, 3)
    with pytest.raises(TypeError, match="inside a transform.*by np.broadcast, "):
        ad.grad(lambda a: np.sum(np.zeros(np.broadcast(a, np.ones(3)).shape) + a))(
            np.ones((2, 1)))
    grad = ad.grad(lambda a: np.sum(np.zeros(np.broadcast_shapes(a.shape, (3,))) + a))(
        np.ones((2, 1)))
    np.testing.assert_array_equal(grad, np.full((2, 1), 3.0))


def _two_by_three():
    return ad.tensor([[0.3, -1.2, 0.8], [1.5, 0.2, -0.7]], requires_grad=True) * 1.0


@pytest.mark.parametrize("reduce", [np.var, np.std, np.nanvar, np.nanstd],
                         ids=["var", "std", "nanvar", "nanstd"])
def test_variance_into_integers_refuses_the_truncation_as_every_reduction_does(reduce):
    with pytest.raises(TypeError, match=rf"numpy\.{reduce.__name__} with out=: .*holds int64: "
                                        "stored there they would be truncated"):
        reduce(_two_by_three(), axis=0, out=ad.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="stored there they would be truncated"):
        np.sum(_two_by_three(), axis=0, out=ad.zeros(3, dtype=np.int64))


def test_variance_into_integers_without_a_gradient_is_numpys():
    values = _two_by_three()
    expected = np.var(values.data, axis=0, out=np.zeros(3, dtype=np.int64))
    out = ad.zeros(3, dtype=np.int64)
    assert np.var(values.detach(), axis=0, out=out) is out
    np.testing.assert_array_equal(out.data, expected)
    with ad.no_grad():
        np.testing.assert_array_equal(np.var(values, axis=0, out=ad.zeros(3, dtype=int)).data,
                                      expected)


def test_variance_into_float32_keeps_its_tape():
    values = _two_by_three()
    out = ad.zeros(3, dtype=np.float32)
    np.std(values, axis=0, out=out)
    np.testing.assert_array_equal(out.data, np.std(values.data, axis=0,
                                                   out=np.zeros(3, np.float32)))
    out.sum().backward()
    assert out.requires_grad


def test_dot_into_another_dtype_is_refused_as_numpy_refuses_it():
    weights = np.ones((3, 2))
    with pytest.raises(ValueError, match="output array is not acceptable"):
        np.dot(_two_by_three().data, weights, out=np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match=r"numpy\.dot with out=: the result is float64 but "
                                         "the out= tensor holds float32"):
        np.dot(_two_by_three(), weights, out=ad.zeros((2, 2), dtype=np.float32))
    out = ad.zeros((2, 2))
    assert np.dot(_two_by_three(), weights, out=out) is out
    np.testing.assert_array_equal(out.data, np.dot(_two_by_three().data, weights))


def test_einsum_into_another_dtype_follows_its_casting_rule():
    weights = np.ones((3, 2))
    with pytest.raises(TypeError):
        np.einsum("ij,jk->ik", _two_by_three().data, weights, out=np.zeros((2, 2), np.float32))
    with pytest.raises(TypeError, match=r"numpy\.einsum with out=: cannot cast the output "
                                        "from float64 to the out= tensor's float32 with "
                                        "casting rule 'safe'"):
        np.einsum("ij,jk->ik", _two_by_three(), weights, out=ad.zeros((2, 2), dtype=np.float32))
    out = ad.zeros((2, 2), dtype=np.float32)
    np.einsum("ij,jk->ik", _two_by_three(), weights, out=out, casting="same_kind")
    np.testing.assert_array_equal(
        out.data, np.einsum("ij,jk->ik", _two_by_three().data, weights,
                            out=np.zeros((2, 2), np.float32), casting="same_kind"))
    assert out.requires_grad


_SUMMED = {
    "sum": lambda a, out, axis: np.sum(a, axis=axis, out=out),
    "prod": lambda a, out, axis: np.prod(a, axis=axis, out=out),
    "nansum": lambda a, out, axis: np.nansum(a, axis=axis, out=out),
    "cumsum": lambda a, out, axis: np.cumsum(a, axis=axis, out=out),
    "trace": lambda a, out, axis: np.trace(a, out=out),
    "mean": lambda a, out, axis: np.mean(a, axis=axis, out=out),
    "nanmean": lambda a, out, axis: np.nanmean(a, axis=axis, out=out),
    "ptp": lambda a, out, axis: np.ptp(a, axis=axis, out=out),
    "mean_by_position": lambda a, out, axis: np.mean(a, axis, out=out),
    "ptp_by_position": lambda a, out, axis: np.ptp(a, axis, out=out),
    "add.reduce": lambda a, out, axis: np.add.reduce(a, axis=axis, out=out),
    "multiply.reduce": lambda a, out, axis: np.multiply.reduce(a, axis=axis, out=out),
    "add.accumulate": lambda a, out, axis: np.add.accumulate(a, axis=axis or 0, out=out),
}


@pytest.mark.parametrize("name", list(_SUMMED))
@pytest.mark.parametrize("source, target", [(np.float32, np.float64),
                                            (np.float64, np.float32)],
                         ids=["float32_into_float64", "float64_into_float32"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_a_reduction_into_an_out_of_another_float_dtype_is_numpys_to_the_bit(
        name, source, target, axis):
    """NumPy sums into ``out=`` in ``out``'s dtype when it is wider (a float32 array's
    sum into a float64 out= is the float64 sum), divides a mean's sum rounded to a
    narrower out=, and subtracts the minimum from a maximum rounded to it; the values
    were the plain result cast, off by rounding."""
    reduce = _SUMMED[name]
    rng = np.random.default_rng(25)
    values = (rng.normal(size=(9, 7)) * 3.7).astype(source)
    shape = np.shape(reduce(values, None, axis))
    expected = reduce(values.copy(), np.zeros(shape, target), axis)
    t = ad.tensor(values.copy(), requires_grad=True)
    out = ad.zeros(shape, dtype=target)
    assert reduce(t * 1, out, axis) is out
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)
    out.sum().backward()
    assert t.grad is not None and t.grad.dtype == source


def test_a_mean_into_a_wider_out_has_the_gradient_of_the_mean():
    p = np.array([0.3, -1.2, 0.8, 2.0], np.float32)

    def mean_into_float64(t):
        out = np.zeros_like(t, dtype=np.float64, shape=(2,))
        np.mean(t.reshape(2, 2), axis=1, out=out)
        return np.sum(out * np.array([1.0, 3.0]))

    np.testing.assert_allclose(ad.grad(mean_into_float64)(p), [0.5, 0.5, 1.5, 1.5])
