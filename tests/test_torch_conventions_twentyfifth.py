"""Conventions a PyTorch script meets, checked against hand-computed values (no torch):
softmax over a lane of only -inf, 0-d Tensor.argsort, ad.unique's NaNs and counts."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(3, 2), (3, 40)])   # the NumPy path and the kernel's
def test_softmax_of_a_lane_of_only_minus_inf_is_nan_without_a_warning(name, shape):
    x = np.zeros(shape)
    x[0] = -np.inf
    x[2, 0] = np.inf
    x[1] = np.arange(shape[1])
    t = ad.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(F, name)(t, dim=1)
        out.sum().backward()
    assert np.isnan(out.data[0]).all() and np.isnan(out.data[2]).all()
    row = np.arange(shape[1]) - np.log(np.exp(np.arange(shape[1])).sum())
    expected = np.exp(row) if name == "softmax" else row
    np.testing.assert_allclose(out.data[1], expected, rtol=1e-12)
    assert np.isfinite(t.grad[1]).all()


def test_softmax_of_finite_logits_is_unchanged():
    out = F.softmax(ad.tensor([[0.0, np.log(3.0)]]), dim=1)
    np.testing.assert_allclose(out.data, [[0.25, 0.75]], rtol=1e-14)
