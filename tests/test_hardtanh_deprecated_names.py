"""Hardtanh's deprecated keywords ``min_value`` / ``max_value``, as in PyTorch.

PyTorch's ``nn.Hardtanh`` still takes them: each one given replaces ``min_val`` /
``max_val`` and warns (``FutureWarning``).  ``F.hardtanh`` does not take them, in
either library.  Each case is compared with the installed torch when there is one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

CASES = [
    {"min_value": -2.0},
    {"max_value": 0.5},
    {"min_value": -0.25, "max_value": 3.0},
    {"min_val": -3.0, "max_val": 3.0, "min_value": -2.0, "max_value": 2.0},
    {"min_val": -3.0, "max_value": 2},
    {"min_value": -2.0, "inplace": True},
]


def _built(cls, kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = cls(**kwargs)
    return layer, [(w.category, str(w.message)) for w in caught]


def _points():
    return np.linspace(-4.0, 4.0, 33)


@pytest.mark.parametrize("kwargs", CASES)
def test_deprecated_names_replace_the_bounds_and_warn(kwargs):
    layer, warned = _built(nn.Hardtanh, kwargs)
    expected_lo = kwargs.get("min_value", kwargs.get("min_val", -1.0))
    expected_hi = kwargs.get("max_value", kwargs.get("max_val", 1.0))
    assert (layer.min_val, layer.max_val) == (expected_lo, expected_hi)
    names = [name for name in ("min_value", "max_value") if name in kwargs]
    assert [category for category, _ in warned] == [FutureWarning] * len(names)
    for (_, message), name in zip(warned, names):
        assert f"`{name}` is deprecated and renamed to `{name[:3]}_val`" in message
    x = ad.tensor(_points())
    out = layer(x)
    np.testing.assert_array_equal(out.data, np.clip(_points(), expected_lo, expected_hi))
    assert (out is x) == bool(kwargs.get("inplace", False))


def test_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.Hardtanh(min_value=-2.0)
    assert caught[0].filename == __file__


@pytest.mark.parametrize("kwargs", CASES)
def test_same_as_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours, our_warnings = _built(nn.Hardtanh, kwargs)
    theirs, their_warnings = _built(torch.nn.Hardtanh, kwargs)
    assert our_warnings == their_warnings
    assert repr(ours) == repr(theirs)
    x = _points()
    t = torch.tensor(x, requires_grad=not kwargs.get("inplace", False))
    a = ad.tensor(x, requires_grad=not kwargs.get("inplace", False))
    expected = theirs(t)
    np.testing.assert_array_equal(ours(a).data, expected.detach().numpy())
    if not kwargs.get("inplace", False):
        expected.sum().backward()
        ours(a).sum().backward()
        np.testing.assert_array_equal(a.grad, t.grad.numpy())


def test_bounds_given_by_the_deprecated_names_are_checked():
    with pytest.warns(FutureWarning), \
            pytest.raises(ValueError, match=r"Hardtanh: max_val \(1.0\) must be greater than "
                                            r"min_val \(2.0\)"):
        nn.Hardtanh(min_value=2.0)


def test_functional_hardtanh_does_not_take_the_deprecated_names():
    with pytest.raises(TypeError, match="min_value"):
        F.hardtanh(ad.tensor([0.0]), min_value=-2.0)


def test_torch_functional_hardtanh_does_not_take_them_either():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.nn.functional.hardtanh(torch.zeros(1), min_value=-2.0)
