"""Integer division by zero: PyTorch's spellings raise as PyTorch does; NumPy's (shared
with NumPy: ``np.remainder``, ``ad.remainder``, ``%``, ``//``, ``divmod``) keep NumPy's
result and warn at the user's line; true division gives inf in both."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.integer_division import IntegerDivisionByZeroError

VALUES = [5, -7, 3]
DIVISORS = [0, 2, 0]

def _namespace(t):
    """``ad`` for a Tensor, ``torch`` for PyTorch's."""
    if isinstance(t, ad.Tensor):
        return ad
    import torch
    return torch


#: PyTorch-only spellings: each raises on an integer zero divisor.
PYTORCH_SPELLINGS = {
    "Tensor.remainder": lambda t, d: t.remainder(d),
    "Tensor.fmod": lambda t, d: t.fmod(d),
    "Tensor.floor_divide": lambda t, d: t.floor_divide(d),
    "Tensor.div trunc": lambda t, d: t.div(d, rounding_mode="trunc"),
    "Tensor.div floor": lambda t, d: t.div(d, rounding_mode="floor"),
    "Tensor.divide trunc": lambda t, d: t.divide(d, rounding_mode="trunc"),
    "ad.div floor": lambda t, d: _namespace(t).div(t, d, rounding_mode="floor"),
    "Tensor.remainder_": lambda t, d: t.remainder_(d),
    "Tensor.fmod_": lambda t, d: t.fmod_(d),
    "Tensor.floor_divide_": lambda t, d: t.floor_divide_(d),
}

#: The spellings NumPy has too: NumPy's result, NumPy's warning.
NUMPY_SPELLINGS = {
    "np.remainder": (lambda t, d: np.remainder(t, d), np.remainder),
    "np.fmod": (lambda t, d: np.fmod(t, d), np.fmod),
    "np.floor_divide": (lambda t, d: np.floor_divide(t, d), np.floor_divide),
    "ad.remainder": (lambda t, d: ad.remainder(t, d), np.remainder),
    "ad.fmod": (lambda t, d: ad.fmod(t, d), np.fmod),
    "ad.floor_divide": (lambda t, d: ad.floor_divide(t, d), np.floor_divide),
    "%": (lambda t, d: t % d, np.remainder),
    "//": (lambda t, d: t // d, np.floor_divide),
}


def _numpy_divisor(divisor):
    return divisor.data if isinstance(divisor, ad.Tensor) else divisor


@pytest.mark.parametrize("divisor", [0, "tensor"], ids=["number", "tensor"])
@pytest.mark.parametrize("name", sorted(PYTORCH_SPELLINGS))
def test_pytorch_spellings_raise_on_an_integer_zero_divisor(name, divisor):
    t = ad.tensor(VALUES)
    d = ad.tensor(DIVISORS) if divisor == "tensor" else divisor
    with pytest.raises(ZeroDivisionError, match="integer division by zero") as caught:
        PYTORCH_SPELLINGS[name](t, d)
    assert isinstance(caught.value, RuntimeError)           # PyTorch's type
    message = str(caught.value)
    assert "int64" in message and "(3,)" in message and "ad.where" in message
    np.testing.assert_array_equal(t.data, VALUES)           # (an in-place form wrote nothing)


@pytest.mark.parametrize("name", sorted(PYTORCH_SPELLINGS))
def test_pytorch_raises_there_too(name):
    torch = pytest.importorskip("torch")
    t = torch.tensor(VALUES)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        PYTORCH_SPELLINGS[name](t, torch.tensor(DIVISORS))


@pytest.mark.parametrize("name", sorted(PYTORCH_SPELLINGS))
def test_pytorch_spellings_without_a_zero_give_pytorchs_values(name):
    torch = pytest.importorskip("torch")
    divisors = [3, -2, 4]
    ours = PYTORCH_SPELLINGS[name](ad.tensor(VALUES), ad.tensor(divisors))
    theirs = PYTORCH_SPELLINGS[name](torch.tensor(VALUES), torch.tensor(divisors))
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.dtype == np.int64


@pytest.mark.parametrize("name", ["Tensor.remainder", "Tensor.fmod", "Tensor.floor_divide"])
def test_a_float_divisor_of_zero_gives_nan_or_inf_as_pytorch(name):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = PYTORCH_SPELLINGS[name](ad.tensor(VALUES), 0.0)
    theirs = PYTORCH_SPELLINGS[name](torch.tensor(VALUES), 0.0)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("divisor", [0, "tensor"], ids=["number", "tensor"])
@pytest.mark.parametrize("name", sorted(NUMPY_SPELLINGS))
def test_numpy_spellings_keep_numpys_result_and_warn_at_the_users_line(name, divisor):
    call, numpy_function = NUMPY_SPELLINGS[name]
    t = ad.tensor(VALUES)
    d = ad.tensor(DIVISORS) if divisor == "tensor" else divisor
    with np.errstate(divide="ignore"):
        expected = numpy_function(np.array(VALUES), _numpy_divisor(d))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(t, d)
    np.testing.assert_array_equal(result.data, expected)
    assert [w.category for w in caught] == [RuntimeWarning]
    assert "divide by zero" in str(caught[0].message)
    assert caught[0].filename == __file__                   # the call's line, not the library's


def test_divmod_and_reflected_operators_warn_at_the_users_line():
    t, z = ad.tensor(VALUES), ad.tensor(DIVISORS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quotient, remainder = divmod(t, 0)
        reflected = 5 % z
        floored = 5 // z
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(quotient.data, np.array(VALUES) // 0)
        np.testing.assert_array_equal(remainder.data, np.array(VALUES) % 0)
        np.testing.assert_array_equal(reflected.data, 5 % np.array(DIVISORS))
        np.testing.assert_array_equal(floored.data, 5 // np.array(DIVISORS))
    assert caught and all(w.filename == __file__ for w in caught)
    assert all(w.category is RuntimeWarning for w in caught)


def test_in_place_operators_follow_numpy():
    t = ad.tensor(VALUES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t %= 0
    np.testing.assert_array_equal(t.data, [0, 0, 0])
    assert caught and caught[0].filename == __file__


def test_integer_true_division_by_zero_is_inf_as_in_pytorch():
    torch = pytest.importorskip("torch")
    t = ad.tensor(VALUES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [t / 0, ad.true_divide(t, 0), ad.div(t, 0), t.div(ad.tensor(DIVISORS))]
    expected = [torch.tensor(VALUES) / 0] * 3 + [torch.tensor(VALUES) / torch.tensor(DIVISORS)]
    for ours, theirs in zip(results, expected):
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert ours.dtype == np.float64
    assert caught and all(w.filename == __file__ for w in caught)


def test_float_division_by_zero_is_inf_and_nan_as_in_pytorch():
    torch = pytest.importorskip("torch")
    x = [1.0, -2.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = [ad.tensor(x) / 0.0, ad.tensor(x).remainder(0.0), ad.tensor(x).fmod(0.0),
                ad.tensor(x).div(0.0, rounding_mode="floor")]
    tx = torch.tensor(x)
    theirs = [tx / 0.0, tx.remainder(0.0), tx.fmod(0.0), tx.div(0.0, rounding_mode="floor")]
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.data, b.numpy())


def test_the_error_is_caught_as_either_exception():
    t = ad.tensor(VALUES)
    for kind in (RuntimeError, ZeroDivisionError, IntegerDivisionByZeroError):
        with pytest.raises(kind):
            t.remainder(0)


def test_a_compiled_function_checks_the_divisor_at_each_call():
    step = ad.compile(lambda k, d: k.remainder(d) + k.floor_divide(d))
    k = ad.tensor(VALUES)
    expected = np.remainder(VALUES, [3, -2, 4]) + np.floor_divide(VALUES, [3, -2, 4])
    for _ in range(3):                  # the trace, then replays
        np.testing.assert_array_equal(step(k, ad.tensor([3, -2, 4])).data, expected)
    with pytest.raises(IntegerDivisionByZeroError, match="remainder"):
        step(k, ad.tensor(DIVISORS))


def test_a_numpy_scalar_divisor_is_read_as_its_value():
    # (a NumPy scalar's .data is a memoryview of its bytes, not its value)
    t = ad.tensor(np.array(0.3))
    np.testing.assert_array_equal(t.fmod(np.float64(0.2)).data, np.fmod(0.3, 0.2))
    np.testing.assert_array_equal(t.remainder(np.float32(0.2)).data,
                                  np.remainder(np.array(0.3), np.float32(0.2)))
    with pytest.raises(ZeroDivisionError):
        ad.tensor([3, 4]).floor_divide(np.int64(0))
