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


# Hooks live on their tensor or node (hooks.py), so the cycles they close are freed.

def _forget_the_last_backward():
    """``ad.explain`` keeps the skeleton of the last ``.backward()``'s graph (and so its
    leaves) until the next one: run one on a fresh leaf."""
    ad.tensor(1.0, requires_grad=True).backward()


def _collected(make) -> bool:
    """Whether what ``make()`` returns weak references to is freed once it returns (its
    hooks' closures keep their cells: ``del`` inside would empty them)."""
    refs = make()
    _forget_the_last_backward()
    gc.collect()
    return all(ref() is None for ref in refs)


def test_a_hook_on_a_leaf_that_refers_to_the_leaf_is_collected():
    def make():
        x = ad.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g * x.data)
        (x * x).sum().backward()
        np.testing.assert_array_equal(x.grad, [2.0, 8.0])     # 2x, times x
        return [weakref.ref(x)]
    assert _collected(make)


def test_a_hook_that_refers_to_its_own_intermediate_is_collected():
    def make():
        x = ad.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3.0
        y.register_hook(lambda g: g * y.data)
        (y * y).sum().backward()
        np.testing.assert_allclose(x.grad, 3.0 * (2 * 3.0 * np.array([1.0, 2.0])) * [3.0, 6.0])
        return [weakref.ref(y), weakref.ref(y._node)]
    assert _collected(make)


def test_a_hook_on_a_deep_intermediate_closing_over_a_later_result_is_collected():
    from autodiff import collector

    def make():
        x = ad.tensor(0.5, requires_grad=True)
        h = x
        for _ in range(collector.UNTRACK_DEPTH + 10):
            h = ad.sin(h)
        state = {}
        h.register_hook(lambda g: g + 0.0 * state["out"].data)
        out = h
        for _ in range(collector.UNTRACK_DEPTH + 10):   # made after the hook: tracked
            out = ad.sin(out)
        state["out"] = out                  # h's node -> hook -> out -> ... -> h's node
        out.backward()
        return [weakref.ref(out), weakref.ref(h._node), weakref.ref(x)]
    assert _collected(make)


def test_an_optimizer_step_in_a_post_accumulate_hook_does_not_keep_the_model_alive():
    def make():
        w = ad.nn.Parameter([1.0, 2.0])
        opt = ad.optim.SGD([w], lr=0.5)

        def step_now(p):
            opt.step()
            opt.zero_grad()

        w.register_post_accumulate_grad_hook(step_now)
        (w * w).sum().backward()
        np.testing.assert_array_equal(w.data, [0.0, 0.0])
        return [weakref.ref(w), weakref.ref(opt)]
    assert _collected(make)


def test_removing_the_last_hook_empties_the_registry_entry():
    from autodiff import hooks
    x = ad.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 2)
    assert hooks.registered.get(x) is not None and hooks.has_gradient_hooks(x)
    handle.remove()
    handle.remove()
    assert hooks.registered.get(x) is None and not hooks.has_gradient_hooks(x)
    copy = __import__("copy").deepcopy(x)       # a copy has no hooks of its own
    assert hooks.registered.get(copy) is None
