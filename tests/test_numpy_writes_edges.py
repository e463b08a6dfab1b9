"""NumPy's in-place writers on Tensors at their edges: values read from the tensor
being written (``np.put(t, i, t[::-1])``), and Python numbers or lists cast into an
integer tensor as NumPy casts them.  Values against NumPy, gradients against central
differences."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

MASK = np.array([True, False, True, False, False, True])

# Each writes values read from the target itself; NumPy reads them before writing here.
SELF_WRITES = [
    ("put", lambda t: np.put(t, [0, 1], t[1:3])),
    ("put reversed", lambda t: np.put(t, [0, 1, 2, 3, 4, 5], t[::-1])),
    ("Tensor.put", lambda t: t.put([4, 5], t[:2])),
    ("flat", lambda t: t.flat.__setitem__([0, 1], t[1:3])),
    ("putmask", lambda t: np.putmask(t, MASK, t)),
    ("putmask reversed", lambda t: np.putmask(t, MASK, t[::-1])),
    ("putmask short", lambda t: np.putmask(t, MASK, t[:2])),
    ("place", lambda t: np.place(t, MASK, t[1:4])),
]


@pytest.mark.parametrize("write", [w[1] for w in SELF_WRITES], ids=[w[0] for w in SELF_WRITES])
def test_writing_values_read_from_the_target_matches_numpy(write):
    """These raised InPlaceError: the values flattened for the write were a view of the
    target, alive during the write."""
    base = np.arange(6.0) * 1.5 - 2.0
    reference = base.copy()
    write(reference)
    t = ad.tensor(base.copy())
    write(t)
    np.testing.assert_array_equal(t.data, reference)
    weights = np.linspace(-1.0, 2.0, 6)

    def f(x):
        y = x * 1.0
        write(y)
        return (y * y * weights).sum()

    assert ad.gradcheck(f, [base])
    assert ad.gradgradcheck(f, [base])


@pytest.mark.parametrize("write", [
    lambda a: np.putmask(a, a > 4, 2.5),
    lambda a: np.putmask(a, a > 4, [2.5, 7.9]),
    lambda a: np.place(a, a > 4, [1.5]),
    lambda a: np.place(a, a > 4, 1.5),
], ids=["putmask number", "putmask list", "place list", "place number"])
def test_python_numbers_are_cast_into_an_integer_tensor_as_numpy_casts_them(write):
    """NumPy casts a Python number or list into an integer array here; the scratch check
    turned it into a float64 array first, which NumPy refuses to cast."""
    reference = np.arange(8)
    write(reference)
    t = ad.tensor(np.arange(8))
    write(t)
    assert t.dtype == reference.dtype
    np.testing.assert_array_equal(t.data, reference)


def test_a_float_array_into_an_integer_tensor_is_still_refused_as_numpy_refuses_it():
    with pytest.raises(TypeError, match="Cannot cast array data"):      # NumPy's own
        np.putmask(np.arange(3), np.ones(3, bool), np.array([2.5]))
    with pytest.raises(TypeError, match="putmask: Cannot cast array data .*a of shape"):
        np.putmask(ad.tensor(np.arange(3)), np.ones(3, bool), ad.tensor([2.5]))


def test_assigning_to_flat_writes_every_entry_as_numpy():
    """``t.flat = values`` raised AttributeError (the property had no setter)."""
    reference = np.arange(6.0).reshape(2, 3)
    reference.flat = [1.0, 2.0]
    t = ad.tensor(np.arange(6.0).reshape(2, 3))
    t.flat = [1.0, 2.0]
    np.testing.assert_array_equal(t.data, reference)
    weights = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    def f(x, v):
        y = x * 1.0
        y.flat = v
        return (y * y * weights).sum()

    assert ad.gradcheck(f, [np.ones((2, 3)), np.array([0.5, -1.5])])
    with pytest.raises(RuntimeError, match="flat: .* is a leaf that requires grad"):
        ad.tensor([1.0, 2.0], requires_grad=True).flat = [3.0, 4.0]
