"""What the twenty-seventh round of NumPy programs (test_numpy_programs_twentyseventh.py)
found around them: ``np.lib.stride_tricks.sliding_window_view`` of a Tensor was a
read-only copy, so after an in-place update of the tensor (recorded, or under
``ad.no_grad()``) the windows kept the old values, where NumPy's windows are a view
and show the update.  They are now NumPy's read-only view, linked to the tensor as
its layout views are: an update under ``no_grad`` shows in them, and a recorded one
moves them to the updated value with its gradient; a write through them is still
refused, as NumPy refuses it."""

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import central_difference

swv = np.lib.stride_tricks.sliding_window_view
_P = np.array([0.3, -0.7, 1.1, 0.5, -0.2, 0.9])
_KERNEL = np.array([0.5, -1.0, 2.0])


def _smoothed_after_a_spike(p):
    """Windows taken, then the signal is changed in place; NumPy's windows show it."""
    signal = p * 1.0
    windows = swv(signal, 3)
    signal[2] = signal[2] ** 2 + 1.0
    signal *= np.exp(p[0])
    return np.sum(windows @ _KERNEL) + np.sum(windows.max(axis=-1) ** 2)


def test_windows_show_a_recorded_update_of_their_tensor_with_its_gradient():
    value, grad = ad.value_and_grad(_smoothed_after_a_spike)(_P.copy())
    assert value == _smoothed_after_a_spike(_P.copy())
    np.testing.assert_allclose(grad, central_difference(_smoothed_after_a_spike, _P),
                               rtol=1e-7)


@pytest.mark.parametrize("window, axis", [((2, 2), None), (2, 0), (3, 1), ((2, 1), (1, 0))])
def test_windows_of_a_matrix_follow_a_recorded_update(window, axis):
    w = ad.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    m = w * 1.0
    windows = swv(m, window, axis)
    m[1] = m[1] * 10.0
    expected = np.arange(12.0).reshape(3, 4)
    expected[1] *= 10.0
    np.testing.assert_array_equal(windows.data, swv(expected, window, axis))
    assert not windows.data.flags.writeable
    weights = np.random.default_rng(0).standard_normal(windows.shape)
    (windows * weights).sum().backward()
    def numeric(a):
        c = a.reshape(3, 4).copy()
        c[1] *= 10.0
        return np.sum(swv(c, window, axis) * weights)
    np.testing.assert_allclose(w.grad.ravel(), central_difference(numeric, np.arange(12.0)),
                               rtol=1e-7, atol=1e-7)


def test_windows_show_an_update_under_no_grad_as_numpys_view():
    p = ad.tensor(np.arange(6.0), requires_grad=True)
    windows = swv(p, 4)
    with ad.no_grad():
        p -= 0.5 * np.ones(6)                    # an optimizer's step
    np.testing.assert_array_equal(windows.data, swv(np.arange(6.0) - 0.5, 4))
    windows.mean(axis=-1).sum().backward()
    np.testing.assert_allclose(p.grad, np.array([1, 2, 3, 3, 2, 1]) / 4)


def test_windows_of_a_slice_follow_its_tensor():
    x = ad.tensor(np.arange(8.0), requires_grad=True) * 1.0
    part = x[1:7]
    windows = swv(part, 3)
    x[3] = -1.0
    expected = np.arange(8.0)
    expected[3] = -1.0
    np.testing.assert_array_equal(windows.data, swv(expected[1:7], 3))
    with ad.no_grad():
        x[4] = 40.0
    expected[4] = 40.0
    np.testing.assert_array_equal(windows.data, swv(expected[1:7], 3))


def test_a_write_through_windows_is_still_refused_as_numpy_refuses_it():
    x = ad.tensor(np.arange(5.0), requires_grad=True) * 1.0
    windows = swv(x, 2)
    with pytest.raises(ad.InPlaceError, match="sliding_window_view.*overlap"):
        windows[0, 0] = 5.0
    with pytest.raises(ad.InPlaceError, match="read-only"), ad.no_grad():
        windows[0, 0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        swv(np.arange(5.0), 2)[0, 0] = 5.0       # NumPy's too
    np.testing.assert_array_equal(x.data, np.arange(5.0))
