"""``np.fmax.reduce`` / ``np.fmin.reduce`` with ``initial=`` and ``where=``, a
one-slice-at-a-time reduction over an empty axis on the tape, and reduction errors that
name their cause (a dtype without a loop, not the axis hint)."""

import numpy as np
import pytest

import autodiff as ad

_VALUES = np.array([[1.0, np.nan, 3.0, -2.0], [4.0, 2.0, np.nan, 0.5], [np.nan] * 4])
_MASK = np.array([True, False, True, True])


@pytest.mark.parametrize("ufunc", [np.fmax, np.fmin])
@pytest.mark.parametrize("options", [
    {"initial": 2.5}, {"initial": -np.inf}, {"initial": np.nan},
    {"initial": 0.0, "where": _MASK}, {"initial": 10.0, "where": _MASK},
    {"initial": 1.0, "keepdims": True}, {"initial": 3.5, "axis": 0},
    {"initial": 0.0, "where": np.array([[True], [False], [True]]), "axis": 0},
    {"initial": 1.0, "axis": None}])
def test_fmax_and_fmin_reduce_take_initial_and_where_as_numpy(ufunc, options):
    options = {"axis": 1, **options}
    got = ufunc.reduce(ad.tensor(_VALUES), **options)
    np.testing.assert_array_equal(got.data, ufunc.reduce(_VALUES, **options))
    assert got.dtype == ufunc.reduce(_VALUES, **options).dtype


@pytest.mark.parametrize("ufunc", [np.fmax, np.fmin])
def test_fmax_reduce_with_initial_and_where_has_central_difference_gradients(ufunc):
    values = np.array([[1.0, 5.0, 3.0, -2.0], [4.0, 2.0, 7.0, 0.5]])
    for options in ({"initial": 2.5}, {"initial": 0.0, "where": _MASK}):
        assert ad.gradcheck(lambda x: ufunc.reduce(x, axis=1, **options).sum(), [values])


def test_fmax_reduce_gives_the_tensor_initial_its_gradient_where_it_wins():
    x = ad.tensor([[1.0, np.nan], [4.0, 2.0]], requires_grad=True)
    start = ad.tensor(3.0, requires_grad=True)
    np.fmax.reduce(x, axis=1, initial=start).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.0], [1.0, 0.0]])
    assert start.grad.item() == 1.0


def test_fmax_reduce_without_initial_is_unchanged():
    got = np.fmax.reduce(ad.tensor(_VALUES[:2]), axis=1)
    np.testing.assert_array_equal(got.data, np.fmax.reduce(_VALUES[:2], axis=1))


def test_fmax_reduce_with_initial_and_a_float_dtype_computes_in_it_as_numpy():
    got = np.fmax.reduce(ad.tensor(_VALUES), axis=1, initial=0.0, dtype=np.float32)
    expected = np.fmax.reduce(_VALUES, axis=1, initial=0.0, dtype=np.float32)
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(got.data, expected)


# ----- an empty axis ------------------------------------------------------------------

@pytest.mark.parametrize("ufunc", [np.hypot, np.fmax, np.arctan2, np.copysign])
@pytest.mark.parametrize("keepdims", [False, True])
def test_an_empty_reduction_with_initial_is_on_the_tape_with_a_zero_gradient(ufunc,
                                                                             keepdims):
    x = ad.tensor(np.zeros((0, 3)), requires_grad=True)
    got = ufunc.reduce(x, axis=0, initial=-0.0, keepdims=keepdims)
    expected = ufunc.reduce(np.zeros((0, 3)), axis=0, initial=-0.0, keepdims=keepdims)
    np.testing.assert_array_equal(got.data, expected)
    assert np.signbit(got.data).all()          # (-0.0 kept, as NumPy)
    assert got.requires_grad
    got.sum().backward()
    assert x.grad.shape == (0, 3)


def test_an_empty_reduction_gives_a_tensor_initial_one_per_entry():
    x = ad.tensor(np.zeros((2, 0)), requires_grad=True)
    start = ad.tensor(1.5, requires_grad=True)
    got = np.hypot.reduce(x, axis=1, initial=start)
    np.testing.assert_array_equal(got.data, [1.5, 1.5])
    (got * ad.tensor([2.0, 3.0])).sum().backward()
    assert start.grad.item() == 5.0
    assert x.grad.shape == (2, 0)


def test_an_empty_reduction_to_the_identity_is_on_the_tape():
    x = ad.tensor(np.zeros((0, 2)), requires_grad=True)
    got = np.hypot.reduce(x, axis=0)
    np.testing.assert_array_equal(got.data, np.hypot.reduce(np.zeros((0, 2)), axis=0))
    got.sum().backward()
    assert x.grad.shape == (0, 2)


def test_an_empty_reduction_of_a_float32_tensor_keeps_numpys_dtype():
    x = ad.tensor(np.zeros((0, 2), np.float32), requires_grad=True)
    got = np.hypot.reduce(x, axis=0, initial=ad.tensor(2.0, requires_grad=True))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.data, [2.0, 2.0])


def test_an_empty_reduction_of_bools_is_numpys_constant():
    got = np.logical_and.reduce(ad.tensor(np.zeros((0, 2), bool)), axis=0)
    assert got.dtype == np.bool_ and got.tolist() == [True, True]


def test_an_empty_reduction_without_identity_or_initial_is_numpys_error():
    with pytest.raises(ValueError, match="numpy.arctan2.reduce.*identity"):
        np.arctan2.reduce(ad.tensor(np.zeros((0, 2))), axis=0)


# ----- errors naming their cause ------------------------------------------------------

def test_logaddexp_reduce_of_complex_names_the_dtype_not_the_axis():
    with pytest.raises(TypeError) as caught:
        np.logaddexp.reduce(ad.tensor(np.array([1 + 1j, 2 + 0j])))
    message = str(caught.value)
    assert "complex128" in message and "no loop" in message
    assert "axis must be" not in message


def test_a_sequential_reduction_of_complex_names_the_function_and_dtype():
    with pytest.raises(TypeError) as caught:
        np.hypot.reduce(ad.tensor(np.array([1 + 1j, 2 + 0j])))
    message = str(caught.value)
    assert "numpy.hypot.reduce" in message and "complex128" in message
    assert "no loop" in message


@pytest.mark.parametrize("call", [
    lambda t: np.logaddexp.reduce(t, axis=3), lambda t: np.sum(t, axis=1.5),
    lambda t: np.mean(t, axis=(0, 0)), lambda t: np.prod(t, axis=-3)])
def test_an_axis_error_keeps_the_axis_hint(call):
    with pytest.raises((ValueError, TypeError), match="axis must be None, an int or a tuple"):
        call(ad.tensor(np.ones((2, 3))))


def test_a_mask_that_does_not_broadcast_names_where_not_the_axis():
    with pytest.raises(ValueError) as caught:
        np.logaddexp.reduce(ad.tensor(np.ones((2, 3))), axis=1, where=np.array([True, False]))
    assert "where= mask must broadcast" in str(caught.value)
    assert "axis must be" not in str(caught.value)


def test_a_bad_initial_does_not_carry_the_axis_hint():
    with pytest.raises(ValueError) as caught:
        np.logaddexp.reduce(ad.tensor(np.ones((2, 3))), axis=1, initial="x")
    assert "could not convert" in str(caught.value)
    assert "axis must be" not in str(caught.value)


def test_an_empty_reduction_without_identity_asks_for_initial():
    with pytest.raises(ValueError) as caught:
        np.fmax.reduce(ad.tensor(np.zeros((0, 2))), axis=0)
    assert "no identity" in str(caught.value) and "Pass initial=" in str(caught.value)
    assert "axis must be" not in str(caught.value)
    np.testing.assert_array_equal(np.fmax.reduce(ad.tensor(np.zeros((0, 2))), axis=0,
                                                 initial=-1.0).data, [-1.0, -1.0])
