"""``arctan2`` at the origin: the gradient is 0, as PyTorch's; the second derivatives
there are NaN, as PyTorch's, with NumPy's RuntimeWarning from the radius's derivative
(PyTorch is silent; the docstring says so).  Away from the origin the second
derivatives are PyTorch's and come without a warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad


def _second_derivatives(y0, x0):
    y = ad.tensor(y0, requires_grad=True)
    x = ad.tensor(x0, requires_grad=True)
    gy, gx = ad.autograd.grad(ad.arctan2(y, x), [y, x], create_graph=True)
    rows = [ad.autograd.grad(g, [y, x], retain_graph=True) for g in (gy, gx)]
    return (float(gy.data), float(gx.data)), np.array([[float(v.data) for v in row]
                                                       for row in rows])


def _torch_second_derivatives(torch, y0, x0):
    y = torch.tensor(y0, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    gy, gx = torch.autograd.grad(torch.atan2(y, x), [y, x], create_graph=True)
    rows = [torch.autograd.grad(g, [y, x], retain_graph=True) for g in (gy, gx)]
    return (gy.item(), gx.item()), np.array([[v.item() for v in row] for row in rows])


def test_origin_first_derivative_zero_second_nan_as_torch_with_numpys_warning():
    torch = pytest.importorskip("torch")
    with pytest.warns(RuntimeWarning, match="invalid value"):
        first, second = _second_derivatives(0.0, 0.0)
    their_first, their_second = _torch_second_derivatives(torch, 0.0, 0.0)
    assert first == their_first == (0.0, 0.0)
    assert np.isnan(second).all() and np.isnan(their_second).all()


def test_origin_behaviour_is_documented():
    assert "second derivatives at the origin are NaN" in " ".join(ad.arctan2.__doc__.split())


@pytest.mark.parametrize("point", [(1.0, 2.0), (-0.5, 0.25), (1e-100, -3e-100)])
def test_away_from_origin_second_derivatives_match_torch_silently(point):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first, second = _second_derivatives(*point)
    their_first, their_second = _torch_second_derivatives(torch, *point)
    np.testing.assert_allclose(first, their_first, rtol=1e-12)
    # (PyTorch's second derivatives overflow to inf at 1e-100: its x**2 + y**2 is squared)
    finite = np.isfinite(their_second)
    np.testing.assert_allclose(second[finite], their_second[finite], rtol=1e-12)
    y, x = point
    r = np.hypot(x, y)
    c, s = x / r, y / r           # (scaled, so that r**4 does not underflow)
    np.testing.assert_allclose(second, np.array([[-2 * c * s, s * s - c * c],
                                                 [s * s - c * c, 2 * c * s]]) / r / r,
                               rtol=1e-10)
