"""What ``detect_anomaly`` leaves in the ``.grad`` of other leaves when it raises in a
backward pass, against PyTorch's anomaly mode (the difference is documented in
``detect_anomaly``'s docstring and the README): PyTorch accumulates a leaf's gradient
as its pass reaches the leaf, so the leaves reached before the failing op keep theirs;
here leaves receive theirs after the pass, so an anomaly found during the pass changes
no ``.grad``, and a NaN kept for missing data (reported only when it reaches a leaf)
leaves the leaves accumulated before it holding theirs, as in PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

MISSING = np.array([1.0, np.nan, 2.0])


def _leaves(lib):
    if lib is ad:
        return ad.ones(3, requires_grad=True), ad.ones(3, requires_grad=True)
    return (lib.ones(3, dtype=lib.float64, requires_grad=True),
            lib.ones(3, dtype=lib.float64, requires_grad=True))


def _backward_raises(loss, error):
    with pytest.raises(error):
        loss.backward()


def test_an_anomaly_found_during_the_pass_changes_no_grad():
    a, r = _leaves(ad)
    with ad.detect_anomaly():
        loss = (a * 3).sum() + ad.where(r < 1, ad.sqrt(1 - r), 0.0).sum()
        _backward_raises(loss, ad.AnomalyError)
    assert a.grad is None and r.grad is None
    a.grad = np.full(3, 5.0)                # an earlier gradient stays as it was
    with ad.detect_anomaly():
        loss = (a * 3).sum() + ad.where(r < 1, ad.sqrt(1 - r), 0.0).sum()
        _backward_raises(loss, ad.AnomalyError)
    np.testing.assert_array_equal(a.grad, np.full(3, 5.0))


def test_missing_data_nan_leaves_the_leaves_accumulated_before_it_holding_theirs():
    a, w = _leaves(ad)
    with ad.detect_anomaly():
        loss = (a * 3).sum() + ad.nansum(MISSING * w)
        _backward_raises(loss, ad.AnomalyError)
    np.testing.assert_array_equal(a.grad, np.full(3, 3.0))
    assert w.grad is None
    a, w = _leaves(ad)
    with ad.detect_anomaly():               # the other order: w's NaN is met first
        loss = ad.nansum(MISSING * w) + (a * 3).sum()
        _backward_raises(loss, ad.AnomalyError)
    assert a.grad is None and w.grad is None


def test_missing_data_nan_that_reaches_no_wanted_gradient_is_no_anomaly():
    a, w = _leaves(ad)
    with ad.detect_anomaly():
        (ad.nansum(ad.where(np.isnan(MISSING), 0.0, MISSING) * w) + (a * 3).sum()).backward()
    np.testing.assert_array_equal(a.grad, np.full(3, 3.0))
    np.testing.assert_array_equal(w.grad, [1.0, 0.0, 2.0])


def test_pytorch_keeps_the_grads_of_the_leaves_its_pass_reached_first():
    torch = pytest.importorskip("torch")
    missing = torch.tensor(MISSING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # anomaly mode's own warning
        with torch.autograd.detect_anomaly():
            # PyTorch's pass runs the branch recorded last first: here a's
            a, w = _leaves(torch)
            _backward_raises(torch.nansum(missing * w) + (a * 3).sum(), RuntimeError)
            torch.testing.assert_close(a.grad, torch.full((3,), 3.0, dtype=torch.float64))
            assert w.grad is None
            a, w = _leaves(torch)
            _backward_raises((a * 3).sum() + torch.nansum(missing * w), RuntimeError)
            assert a.grad is None and w.grad is None
