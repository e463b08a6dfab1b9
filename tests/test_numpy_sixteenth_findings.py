"""What the sixteenth round of NumPy programs (test_numpy_programs_sixteenth.py) found
around them: ``np.fromiter`` over entries of a Tensor is refused, as it must be (NumPy
reads each entry as a plain float and never hands the call to a Tensor), and the
refusal names ``np.fromiter`` with advice that works, whether the iterable is a
generator, a list or a Tensor itself; ``np.fromiter(iterable, dtype, like=t)``, which
NumPy does hand to the Tensor, keeps the entries on the tape, as ``np.array(nested,
like=t)`` does."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import central_difference

_P = np.array([0.3, -1.2, 0.8])


def _squares_by_fromiter(t):
    return np.sum(np.fromiter((v * v for v in t), dtype=float) * np.arange(1.0, 4.0))


def _squares_by_stack(t):
    return np.sum(np.stack([v * v for v in t]) * np.arange(1.0, 4.0))


def _cause_of_refusal(program):
    """The library's TypeError under ``ad.grad``, which NumPy turns into its own
    "setting an array element with a sequence" (a Tensor is a sequence)."""
    with pytest.raises(ValueError, match="setting an array element") as refused:
        ad.grad(program)(_P.copy())
    cause = refused.value.__cause__
    assert isinstance(cause, TypeError)
    return str(cause)


def test_fromiter_over_a_generator_names_it_and_advises_np_stack():
    message = _cause_of_refusal(_squares_by_fromiter)
    assert "by np.fromiter, which reads what it iterates over as plain numbers" in message
    assert "np.fromiter(items, dtype, like=t) or np.stack([f(v) for v in items])" in message
    assert "np.fromiter(np.stack" not in message        # (advice that drops the tape again)
    assert "test_numpy_sixteenth_findings.py" in message


@pytest.mark.parametrize("make_iterable", [
    lambda t: np.stack([v * v for v in t]),               # the old advice, followed
    lambda t: t * t,                                      # a Tensor as the iterable
    lambda t: [v * v for v in t],                         # a list of 0-d Tensors
], ids=["stacked", "tensor", "list"])
@pytest.mark.parametrize("dtype", [float, np.float32])
def test_fromiter_of_any_iterable_of_tensors_names_np_fromiter(make_iterable, dtype):
    def program(t):
        return np.sum(np.fromiter(make_iterable(t), dtype=dtype, count=3))
    assert "by np.fromiter," in _cause_of_refusal(program)
    t = ad.tensor(_P, requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match="by np.fromiter, .*np.stack"):
        values = np.fromiter(make_iterable(t), dtype=dtype)
    assert type(values) is np.ndarray and values.dtype == dtype


def test_fromiter_of_constant_tensors_stays_quiet_and_numpys():
    constant = ad.tensor(_P)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = np.fromiter((v * v for v in constant), dtype=float)
    np.testing.assert_array_equal(values, _P * _P)


def test_the_advice_followed_differentiates():
    gradient = ad.grad(_squares_by_stack)(_P.copy())
    np.testing.assert_allclose(gradient, central_difference(_squares_by_stack, _P), rtol=1e-7)
    np.testing.assert_array_equal(ad.value_and_grad(_squares_by_stack)(_P.copy())[0],
                                  _squares_by_stack(_P))


def _squares_by_fromiter_like(t):
    return np.sum(np.fromiter((v * v for v in t), dtype=float, like=t) * np.arange(1.0, 4.0))


def test_fromiter_like_a_tensor_keeps_the_entries_on_the_tape():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        value, gradient = ad.value_and_grad(_squares_by_fromiter_like)(_P.copy())
    np.testing.assert_array_equal(value, _squares_by_stack(_P))
    np.testing.assert_allclose(gradient, central_difference(_squares_by_stack, _P), rtol=1e-7)
    hessian = ad.hessian(_squares_by_fromiter_like)(_P.copy())
    np.testing.assert_allclose(hessian, np.diag(2.0 * np.arange(1.0, 4.0)), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("count", [-1, 2])
def test_fromiter_like_a_tensor_is_numpys_array_in_dtype_and_count(dtype, count):
    t = ad.tensor(_P, requires_grad=True)
    entries = [t[0] * 3.0, 2.5, t[2]]
    made = np.fromiter(iter(entries), dtype, count=count, like=t)
    expected = np.fromiter(iter([float(v) if isinstance(v, ad.Tensor) else v
                                 for v in entries]), dtype, count=count)
    assert isinstance(made, ad.Tensor) and made.dtype == expected.dtype
    np.testing.assert_array_equal(made.detach(), expected)
    assert made.requires_grad == (np.dtype(dtype).kind == "f")


def test_fromiter_like_a_tensor_refuses_as_numpy_does():
    t = ad.tensor(_P, requires_grad=True)
    with pytest.raises(ValueError, match="iterator too short: Expected 4 but iterator had "
                                         "only 3 items"):
        np.fromiter(iter(t), float, count=4, like=t)
    with pytest.raises(ValueError, match=r"entry 1 is a Tensor of shape \(2,\).*np\.stack"):
        np.fromiter([t[0], t[1:]], float, like=t)
    with pytest.raises(TypeError, match=r"dtype=\('<f8', \(2,\)\).*plain numeric dtype"):
        np.fromiter([t[0], t[1]], np.dtype((float, 2)), like=t)
    for value, error in ((np.nan, ValueError), (np.inf, OverflowError)):
        with pytest.raises(error):
            np.fromiter(iter([value]), np.int64)              # NumPy's own
        with pytest.raises(error, match="cannot convert float .* to integer"):
            np.fromiter([t[0] * value], np.int64, like=t)


def test_fromiter_like_a_tensor_of_plain_numbers_is_numpys():
    t = ad.tensor(_P, requires_grad=True)
    made = np.fromiter(range(4), np.float32, like=t)
    assert isinstance(made, ad.Tensor) and not made.requires_grad
    np.testing.assert_array_equal(made.detach(), np.fromiter(range(4), np.float32))
    empty = np.fromiter(iter([]), float, like=t)
    assert empty.shape == (0,) and empty.dtype == np.float64
