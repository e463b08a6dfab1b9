"""t.retain_grad(): an intermediate keeps its gradient in .grad, as in PyTorch."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autodiff as ad


def test_an_intermediate_keeps_its_gradient_and_others_do_not():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    u = h * 2
    h.retain_grad()
    (u ** 2).sum().backward()
    np.testing.assert_array_equal(h.grad, 8 * h.data)        # d/dh (2h)^2 = 8h
    with pytest.warns(UserWarning, match="not a leaf"):
        assert u.grad is None
    assert h.retains_grad and not u.retains_grad
    np.testing.assert_array_equal(x.grad, 24 * h.data)


def test_retained_gradients_accumulate_like_leaves():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(h.grad, 4 * x.data)
    h.zero_grad()
    assert h.grad is None


def test_transforms_do_not_write_retained_gradients():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    ad.grad(lambda v: (v * h).sum())(np.ones(2))
    assert h.grad is None


def test_retain_grad_keeps_no_graph_alive():
    x = ad.tensor([1.0], requires_grad=True)
    gc.disable()
    try:
        h = x * 2
        h.retain_grad()
        node = weakref.ref(h.node)
        del h
        assert node() is None
    finally:
        gc.enable()


def test_retain_grad_on_a_tensor_without_gradient_says_so():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (ad.tensor([1.0]) * 2).retain_grad()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ad.tensor([1.0]).retain_grad()
    leaf = ad.tensor([1.0], requires_grad=True)
    leaf.retain_grad()                       # a leaf keeps its gradient anyway
    (leaf * 2).sum().backward()
    assert leaf.grad[0] == 2.0
