"""In-place updates through views of views, and the upstream gradient of backward."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _row_left_on_old_array():
    """``y`` (an intermediate) and ``a = y[0]``, left on ``y``'s old array by a
    recorded update of another row."""
    x = ad.tensor(np.arange(8.0).reshape(2, 4), requires_grad=True)
    y = x * 1
    a = y[0]
    y[1] = 0.0
    return x, y, a


def test_a_recorded_update_moves_a_reshape_of_a_moved_view_too():
    x, y, a = _row_left_on_old_array()
    flat = a.reshape(2, 2)          # shows a's memory, which the update below moves off
    y[0] = 5.0
    np.testing.assert_array_equal(a.data, [5, 5, 5, 5])
    np.testing.assert_array_equal(flat.data, [[5, 5], [5, 5]])     # as NumPy's view
    (flat * x[1].reshape(2, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0, 0], [5, 5, 5, 5]])


def test_a_recorded_update_moves_the_view_when_no_other_view_shows_it():
    x, y, a = _row_left_on_old_array()
    y[0] = 5.0
    np.testing.assert_array_equal(a.data, [5, 5, 5, 5])
    flat = a.reshape(2, 2)          # made after the update: it shows the new values
    (flat * x[0].reshape(2, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad, [[5, 5, 5, 5], [0, 0, 0, 0]])


def test_an_unrecorded_write_moves_a_transpose_of_a_moved_view_too():
    x = ad.tensor(np.arange(8.0).reshape(2, 4), requires_grad=True)
    y = x * 1
    col = y[:, 0:1]
    col[0] = 5.0                    # recorded: col takes an array of its own
    col_t = col.T
    with ad.no_grad():
        col[1] = 7.0                # col and col_t view y's array again, as in NumPy
    np.testing.assert_array_equal(col_t.data, [[5.0, 7.0]])
    np.testing.assert_array_equal(y.data[:, 0], [5.0, 7.0])


@pytest.mark.parametrize("grad", [
    np.array([1.0 + 1.0j, 1.0]), np.array(["a", "b"]), ad.tensor(np.array([1j, 1.0]))])
def test_backward_refuses_an_upstream_gradient_that_is_not_real(grad):
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="backward: grad has dtype"):
        (w * w).backward(grad)
    assert w.grad is None


def test_backward_takes_integer_and_bool_upstream_gradients_as_pytorch_does():
    w = ad.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    (w * w).backward(np.array([1, 2]))
    (w * w).backward(np.array([True, False]))
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, [4.0, 8.0])
