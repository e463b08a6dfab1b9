"""One element picked by integers, ``h[1, 2]``, is a 0-d view of ``h`` (PyTorch's
meaning: ``h[1, 2].add_(1)`` changes ``h``), but the augmented operators on it keep
NumPy's meaning, where ``h[1, 2]`` is a scalar copy: ``s = h[0, 0]; s += x`` rebinds
``s`` and leaves ``h`` alone, so NumPy code that accumulates into an element runs
unchanged."""

import numpy as np
import pytest

import autodiff as ad


def _accumulate_diagonal(h):
    s = h[0, 0]
    for i in range(1, h.shape[0]):
        s += h[i, i]
        s *= 1.5
    return s


def test_accumulating_into_an_element_leaves_the_tensor_as_numpy_does():
    a = np.arange(9.0).reshape(3, 3)
    expected = _accumulate_diagonal(a.copy())
    h = ad.tensor(a.copy())
    assert float(_accumulate_diagonal(h)) == expected
    np.testing.assert_array_equal(h.data, a)


def test_accumulating_into_an_element_of_a_leaf_differentiates_as_numpy_code():
    a = np.arange(9.0).reshape(3, 3)
    x = ad.tensor(a.copy(), requires_grad=True)
    _accumulate_diagonal(x).backward()
    # d/dx of ((x00 + x11) * 1.5 + x22) * 1.5
    np.testing.assert_array_equal(x.grad, np.diag([2.25, 2.25, 1.5]))
    np.testing.assert_array_equal(x.data, a)


def test_accumulating_into_an_element_of_an_intermediate_keeps_its_gradient():
    x = ad.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    h = x * 2
    s = _accumulate_diagonal(h)
    (s + (h * h).sum()).backward()
    np.testing.assert_array_equal(h.data, 2 * np.arange(9.0).reshape(3, 3))
    expected = 2 * (2 * h.data) + 2 * np.diag([2.25, 2.25, 1.5])
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize("key", [(1, 2), (np.int64(1), -2)])
def test_an_element_rebinds_under_every_augmented_operator(key):
    h = ad.tensor(np.arange(1.0, 13.0).reshape(3, 4))
    before = h.data.copy()
    for update in ("+=", "-=", "*=", "/=", "**=", "//=", "%="):
        e = h[key]
        ours, numpy_scalar = {"e": e}, {"e": before[key]}
        exec(f"e {update} 2.0", ours)
        exec(f"e {update} 2.0", numpy_scalar)
        assert ours["e"] is not e
        assert float(ours["e"]) == numpy_scalar["e"]
    np.testing.assert_array_equal(h.data, before)


def test_the_in_place_methods_and_subscripted_updates_still_write_into_the_tensor():
    h = ad.tensor(np.zeros((2, 3)))
    h[1, 2].add_(1.0)            # PyTorch's method: a write through the 0-d view
    h[0, 1] += 7.0               # a subscripted update: h[0, 1] = h[0, 1] + 7, as NumPy
    e = h[0, 0, ...]             # a 0-d array view in NumPy too: written through
    e += 5.0
    row = h[1]                   # a row is a view in both libraries
    row += 0.5
    np.testing.assert_array_equal(h.data, [[5.0, 7.0, 0.0], [0.5, 0.5, 1.5]])


def test_an_element_of_an_integer_tensor_rebinds_under_bitwise_operators():
    h = ad.tensor(np.array([[1, 2], [3, 4]]))
    e = h[1, 1]
    e |= 8
    e ^= 1
    assert int(e) == (4 | 8) ^ 1
    np.testing.assert_array_equal(h.data, [[1, 2], [3, 4]])
