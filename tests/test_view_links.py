"""A view made by basic indexing holds the tensor it views (view_table.py), as a
PyTorch view holds its ``._base``: the base lives as long as its views, and a cycle
through a view is freed by the cycle collector."""

from __future__ import annotations

import gc
import weakref

import numpy as np

import autodiff as ad


def test_a_gradient_that_is_a_view_of_its_leaf_is_collected():
    x = ad.tensor(np.ones(3), requires_grad=True)
    with ad.no_grad():
        x.grad = x[:]               # x -> x.grad -> x: a reference cycle
    alive = weakref.ref(x)
    del x
    gc.collect()
    assert alive() is None


def test_a_view_of_a_view_is_collected_with_its_bases():
    a = ad.tensor(np.zeros((3, 4)), requires_grad=True)
    h = a * 2.0
    row = h[1]
    piece = row[1:]
    refs = [weakref.ref(t) for t in (a, h, row, piece)]
    assert piece._view_link[0] is row and row._view_link[0] is h
    del a, h, row, piece
    gc.collect()
    assert [r() for r in refs] == [None] * 4


def test_views_keep_their_base_so_an_update_reaches_the_other_views():
    w = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    h = w * 1.0
    row, column = h[0], h[:, 0]
    del h                           # only the views hold it now
    gc.collect()
    row.mul_(10.0)                  # recorded into h, and so into column
    np.testing.assert_array_equal(column.data, [0.0, 3.0])
    column.sum().backward()
    np.testing.assert_array_equal(w.grad, [[10.0, 0.0, 0.0], [1.0, 0.0, 0.0]])


def test_a_plain_tensor_has_no_view_link_and_no_instance_dict():
    t = ad.tensor([[1.0, 2.0]])
    assert not hasattr(t, "_view_link")
    assert not hasattr(t, "__dict__")
    assert t[0]._view_link == (t, 0)
