"""What the twenty-fifth round of NumPy programs (test_numpy_programs_twentyfifth.py)
found around them: NumPy's functions that only compare or print values
(``np.testing.assert_allclose``, ``np.array2string``) on a Tensor on the tape warned
of a dropped tape, and inside ``ad.grad`` raised, though nothing they return carries a
gradient: an invariant asserted inside a program stopped its differentiation.  They
are now silent exits, as ``f"{t:.3f}"`` is.  ``np.broadcast(t, u)``, whose iterator
does hold plain values, still refuses, now naming itself and what to write
(``np.broadcast_shapes`` for the shape)."""

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
