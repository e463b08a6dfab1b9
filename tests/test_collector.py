"""Nodes the cycle collector does not track (autodiff/collector.py), and the cycles
that must stay collectable all the same."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autodiff as ad
from autodiff import collector
from autodiff.graph import Node

pytestmark = pytest.mark.skipif(collector.untrack_address is None,
                                reason="untracking needs CPython's C API")


DEEP = 2 * collector.UNTRACK_DEPTH


def _chain(leaf, n_ops=DEEP):
    y = leaf
    for _ in range(n_ops // 2):
        y = ad.tanh(y * 0.9)
    return y


def _is_collected_only_by_the_collector(make_cycle):
    """True when ``make_cycle()``'s object survives reference counting (it is in a
    cycle) and the cycle collector then frees it."""
    gc.collect()
    gc.disable()
    try:
        ref = weakref.ref(make_cycle())
        in_a_cycle = ref() is not None
    finally:
        gc.enable()
    gc.collect()
    return in_a_cycle and ref() is None


def _nodes_back_to_the_leaf(y):
    nodes = []
    node = y.node
    while isinstance(node, Node):
        nodes.append(node)
        node = node.parents[0]                  # the leaf Tensor ends the chain
    return nodes


def test_a_deep_chain_from_a_plain_leaf_gives_the_collector_little_to_track():
    y = _chain(ad.tensor(0.5, requires_grad=True), 4 * collector.UNTRACK_DEPTH)
    nodes = _nodes_back_to_the_leaf(y)
    assert len(nodes) == 4 * collector.UNTRACK_DEPTH
    tracked = sum(gc.is_tracked(node) for node in nodes)
    assert tracked == collector.UNTRACK_DEPTH           # depths 1 to UNTRACK_DEPTH
    assert not gc.is_tracked(y.node) and y.node._depth == 4 * collector.UNTRACK_DEPTH
    assert gc.is_tracked(_chain(ad.tensor(0.5, requires_grad=True), 10).node)  # a short one
    y.backward()                                                # and the pass is unchanged
    assert np.isfinite(y.data)


def test_nodes_that_could_sit_in_a_cycle_stay_tracked():
    p = ad.nn.Parameter([1.0, 2.0])                     # has a __dict__
    assert (p * 2.0).node._depth == -1
    assert gc.is_tracked(_chain(p).node)                # and so does all that follows
    x = _chain(ad.tensor([1.0, 2.0], requires_grad=True))
    assert not gc.is_tracked((x * 3.0).node)
    assert not gc.is_tracked((x * [3.0, 4.0]).node)     # a list operand becomes an array
    assert gc.is_tracked(ad.reshape(x, [2]).node)       # a list argument stays a list
    assert gc.is_tracked(_identity_with_saved_vjp(x).node)
    assert gc.is_tracked(ad.sum(x, axis=0).node)        # the general call path


@ad.custom_gradient
def _identity_with_saved_vjp(x):
    return x.data.copy(), lambda g: g


def test_a_parameter_that_points_at_its_own_graph_is_collected():
    class Holder:
        pass

    def make_cycle():
        holder = Holder()
        p = ad.nn.Parameter([1.0, 2.0])
        p.owner = holder                                # parameter -> holder
        holder.out = _chain(p)                          # holder -> graph -> parameter
        return holder
    assert _is_collected_only_by_the_collector(make_cycle)


def test_a_list_argument_that_comes_to_hold_the_output_is_collected():
    def make_cycle():
        shape = [2]                                     # kept as given: no gradient rule
        y = _chain(ad.reshape(ad.tensor([1.0, 2.0], requires_grad=True), shape))
        shape.append(y)                                 # list -> graph -> list
        return shape[-1]
    assert _is_collected_only_by_the_collector(make_cycle)


def test_the_gradient_graph_of_create_graph_is_collected_with_its_leaf():
    """``backward(create_graph=True)`` stores in ``x.grad`` a Tensor whose graph points
    back to ``x``: a cycle, as in PyTorch, which the collector frees."""
    def make_cycle():
        x = ad.tensor([0.5, 1.5], requires_grad=True)
        y = (_chain(x) * x).sum()
        y.backward(create_graph=True)
        assert gc.is_tracked(x.grad.node)
        return x
    assert _is_collected_only_by_the_collector(make_cycle)


def test_a_retained_gradient_of_create_graph_is_freed():
    gc.collect()
    x = ad.tensor([0.5, 1.5], requires_grad=True)
    h = _chain(x)
    h.retain_grad()
    (h * h).sum().backward(create_graph=True)
    assert isinstance(h.grad, ad.Tensor) and gc.is_tracked(h.grad.node)
    ref = weakref.ref(h.grad.node)
    del x, h
    gc.collect()
    assert ref() is None


def test_a_custom_gradient_whose_vjp_reaches_its_output_is_collected():
    def make_cycle():
        outputs = []

        @ad.custom_gradient
        def double(x):
            return 2 * x.data, lambda g: 2 * g + 0 * len(outputs)
        out = _chain(double(ad.tensor([1.0], requires_grad=True)))
        outputs.append(out)                             # vjp -> outputs -> out -> node
        return out
    assert _is_collected_only_by_the_collector(make_cycle)


def test_second_derivatives_through_untracked_nodes_are_unchanged():
    def f(t):
        return ad.tanh(t * 0.9) * t
    second = ad.grad(ad.grad(f))(0.7)
    u = np.tanh(0.9 * 0.7)
    d1 = 0.9 * (1 - u * u)
    np.testing.assert_allclose(float(second), 2 * d1 + 0.7 * (-2 * u * 0.9 * d1),
                               rtol=1e-13)


def test_a_tensor_name_is_a_string_so_that_a_node_points_nowhere_else():
    with pytest.raises(TypeError, match="Tensor.name must be a str or None, not list"):
        ad.tensor(1.0, name=[])
    t = ad.tensor(1.0, requires_grad=True) * 2.0
    with pytest.raises(TypeError, match="not dict"):
        t.name = {}
    t.name = "h"
    assert t.node.name == "h"


def test_a_named_accumulator_updated_in_place_is_collected():
    def make_cycle():
        w = ad.tensor(2.0, requires_grad=True)
        total = ad.tensor(0.0, name="total")        # a named leaf: an input of nodes
        for i in range(DEEP):
            total += w * float(i)                   # total -> its node -> ... -> total
        return total
    assert _is_collected_only_by_the_collector(make_cycle)


@pytest.mark.parametrize("update", ["+=", "setitem", "copy_", "after requires_grad_(False)"])
def test_a_leaf_updated_in_place_from_its_own_deep_graph_is_collected(update):
    def make_cycle():
        x = ad.tensor([1.0, 2.0], name="x", requires_grad=update.startswith("after"))
        w = ad.tensor([1.0, 1.0], requires_grad=True)
        y = _chain(x * w)
        if update == "+=":
            x += y
        elif update == "setitem":
            x[0] = y[1]
        elif update == "copy_":
            x.copy_(y)
        else:
            x.requires_grad_(False)
            x += y
        return x
    assert _is_collected_only_by_the_collector(make_cycle)


def test_a_gradient_from_ad_grad_stored_in_grad_by_hand_is_collected():
    def make_cycle():
        x = ad.tensor([1.0, 2.0], requires_grad=True)
        x.grad = ad.grad(lambda t: _chain(t).sum())(x)   # a graph that leads back to x
        assert isinstance(x.grad, ad.Tensor) and x.grad.node is not None
        return x
    assert _is_collected_only_by_the_collector(make_cycle)


def test_an_op_defined_outside_the_library_keeps_its_nodes_tracked():
    """Every node points to its op, and a user's op may close over anything: here an
    object that keeps the op's output."""
    from autodiff.ops.registry import REGISTRY, unregister

    class Layer:
        def __init__(self):
            self.op = ad.defop(
                "test_collector_scaled_tanh", lambda x: np.tanh(0.9 * x),
                x=("g*0.9*(1-ans^2)", lambda xp, g, ans, x: g * 0.9 * (1 - ans * ans)))

    def make_cycle():
        layer = Layer()
        y = ad.tensor(1.0, requires_grad=True)
        for _ in range(DEEP):
            y = layer.op(y)
        layer.last = y                  # layer -> y -> node -> op -> closure... -> layer
        layer.op.owner = layer
        unregister("test_collector_scaled_tanh")
        return layer
    assert REGISTRY["tanh"]._may_untrack
    assert _is_collected_only_by_the_collector(make_cycle)


def test_threads_handing_the_same_graph_back_to_the_collector():
    """Each backward(create_graph=True) re-tracks the graph its gradients point into,
    under a lock: tracking a node twice is a fatal error in CPython.  (The race is
    rare; this checks that concurrent passes leave the shared graph tracked.)"""
    import threading
    for _ in range(5):
        x = ad.tensor(np.linspace(-1, 1, 4), requires_grad=True)
        shared = _chain(x)
        roots = [(shared * ad.tensor(np.ones(4), requires_grad=True)).sum()
                 for _ in range(4)]
        threads = [threading.Thread(target=r.backward, kwargs={"create_graph": True})
                   for r in roots]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert gc.is_tracked(x.grad.node) and gc.is_tracked(shared.node)


def test_a_second_in_place_update_from_a_graph_of_the_former_leaf_is_collected():
    """An LSTM-like cell state: nodes made while ``c`` was a leaf hold ``c`` itself,
    and the second update (``c`` no longer a leaf) brings them into its graph."""
    def make_cycle():
        w = ad.tensor([0.1, 0.2, 0.3], requires_grad=True)
        c = ad.tensor(np.zeros(3), name="c")
        h = _chain(c + w)
        c *= ad.sigmoid(h)
        c += ad.tanh(h * 2.0)
        return c
    assert _is_collected_only_by_the_collector(make_cycle)


@pytest.mark.parametrize("transform", ["jacfwd", "jvp"])
def test_a_forward_mode_gradient_stored_in_grad_is_collected(transform):
    def make_cycle():
        x = ad.tensor([0.5, 1.5], requires_grad=True)
        if transform == "jacfwd":
            x.grad = ad.jacfwd(lambda t: _chain(t).sum())(x)
        else:
            x.grad = ad.jvp(lambda t: _chain(t), (x,), (np.ones(2),))[1]
        assert x.grad.node is not None
        return x
    assert _is_collected_only_by_the_collector(make_cycle)


def test_a_name_is_kept_as_a_plain_str():
    class Label(str):
        pass

    x = ad.tensor(1.0, requires_grad=True, name=Label("x"))
    h = x * 2.0
    h.name = Label("h")
    assert type(x.name) is str and type(h.node.name) is str and h.name == "h"


def test_a_dict_argument_that_comes_to_hold_the_output_is_collected():
    """A dict holding only numbers is untracked until something else is put in it, so
    only argument types that cannot point anywhere count as safe."""
    def make_cycle():
        axes = {0: None}                    # np.flip iterates over the keys: axis (0,)
        out = ad.flip(_chain(ad.tensor(np.ones(3), requires_grad=True)), axes)
        axes[0] = out                       # dict -> output -> node -> args -> dict
        return out
    assert _is_collected_only_by_the_collector(make_cycle)


def test_copying_an_op_gives_the_op_itself():
    """Like a function: a copy would be an op the collector could free, and its nodes
    could then sit in a cycle through it."""
    import copy
    assert copy.copy(ad.tanh) is ad.tanh and copy.deepcopy(ad.multiply) is ad.multiply
