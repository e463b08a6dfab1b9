"""Memory stays flat in a training loop, without the cycle collector.

Graphs are acyclic (nodes point only to their parents), so reference counting frees
each step's graph as soon as the next step rebinds ``loss``.  The classic leak is in
user code: ``total += loss`` with a Tensor ``loss`` chains every step's graph onto
``total``; accumulate ``loss.item()`` instead (shown below).
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autodiff as ad
from autodiff import guard


def _rss_kib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class _MLP:
    def __init__(self, rng):
        self.W1 = ad.tensor(rng.standard_normal((4, 8)) * 0.5, requires_grad=True)
        self.b1 = ad.tensor(np.zeros(8), requires_grad=True)
        self.W2 = ad.tensor(rng.standard_normal((8, 1)) * 0.5, requires_grad=True)
        self.b2 = ad.tensor(np.zeros(1), requires_grad=True)
        self.params = [self.W1, self.b1, self.W2, self.b2]

    def loss(self, x, y):
        h = ad.relu(x @ self.W1 + self.b1)
        pred = h @ self.W2 + self.b2
        return ((pred - y) ** 2).mean()

    def step(self, x, y, lr=0.01):
        loss = self.loss(x, y)
        loss.backward()
        for p in self.params:
            p.data -= lr * p.grad               # in place: allowed once the graph is freed
            p.grad = None
        return loss


@pytest.fixture
def no_cycle_collector():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_ten_thousand_steps_do_not_grow_rss(no_cycle_collector):
    rng = np.random.default_rng(0)
    model = _MLP(rng)
    x = rng.standard_normal((8, 4))
    y = x[:, :1] * 0.5 - x[:, 1:2]
    total = 0.0
    for _ in range(500):                        # warm-up: allocator pools, caches
        total += model.step(x, y).item()        # .item(): no graph kept alive
    before = _rss_kib()
    first = model.step(x, y).item()
    for _ in range(10_000):
        last = model.step(x, y).item()
    after = _rss_kib()
    assert last < first                         # it trained
    assert not guard.guarded_arrays        # every parameter released
    if before is None:
        pytest.skip("no /proc/self/status on this platform")
    assert after - before < 1024, f"RSS grew by {after - before} KiB over 10,000 steps"


def test_step_one_graph_is_dead_after_step_two(no_cycle_collector):
    rng = np.random.default_rng(1)
    model = _MLP(rng)
    x = rng.standard_normal((8, 4))
    y = np.zeros((8, 1))
    loss = model.step(x, y)
    first_graph = weakref.ref(loss.node)
    inner = weakref.ref(loss.node.parents[0])
    loss = model.step(x, y)
    assert first_graph() is None and inner() is None
    assert loss.node is not None


def test_accumulating_the_loss_tensor_keeps_every_graph_alive(no_cycle_collector):
    """The documented leak, shown so that the idiom (loss.item()) is not forgotten."""
    rng = np.random.default_rng(2)
    model = _MLP(rng)
    x = rng.standard_normal((8, 4))
    y = np.zeros((8, 1))
    total = 0.0
    refs = []
    for _ in range(3):
        loss = model.loss(x, y)
        refs.append(weakref.ref(loss.node))
        total = total + loss                    # the leak: a Tensor sum keeps the graphs
        loss.backward()
        for p in model.params:
            p.grad = None
    assert all(r() is not None for r in refs)
    del loss, total
    model.loss(x, y).backward()                 # replaces the skeleton explain() keeps
    assert all(r() is None for r in refs)


def _node_of(out, op_name):
    """The node of the first ``op_name`` op met walking back from ``out`` (no recursion)."""
    todo, seen = [out.node], set()
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(node, "op", None) is not None and node.op.name == op_name:
            return node
        todo.extend(getattr(node, "parents", ()))
    raise AssertionError(f"no {op_name} node in the graph")


def _conv2d_and_pool():
    rng = np.random.default_rng(3)
    x = ad.tensor(rng.standard_normal((2, 3, 6, 6)), requires_grad=True)
    w = ad.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    return ad.nn.functional.max_pool2d(ad.nn.functional.conv2d(x, w, padding=1), 2).sum()


def _lstm():
    lstm = ad.nn.LSTM(3, 4, rng=0)
    out, _ = lstm(ad.tensor(np.random.default_rng(4).standard_normal((5, 2, 3))))
    return out.sum()


def _gru():
    gru = ad.nn.GRU(3, 4, rng=0)
    out, _ = gru(ad.tensor(np.random.default_rng(5).standard_normal((5, 2, 3))))
    return out.sum()


@pytest.mark.parametrize("build, op_names", [
    (_conv2d_and_pool, ("conv2d", "max_pool2d")),
    (_lstm, ("lstm_layer",)),
    (_gru, ("gru_layer",)),
])
def test_conv_pool_and_recurrent_ops_drop_their_saved_arrays_after_backward(
        no_cycle_collector, build, op_names):
    loss = build()
    nodes = [_node_of(loss, name) for name in op_names]
    saved = [weakref.ref(node.saved) for node in nodes]   # im2col columns, argmax, gates
    assert all(ref() is not None for ref in saved)
    loss.backward()
    # ``loss`` (and through it the graph's skeleton) is still alive, the arrays are not.
    assert all(node.saved is None for node in nodes)
    assert all(ref() is None for ref in saved)


def test_retain_graph_keeps_the_saved_arrays_and_the_second_backward_agrees(
        no_cycle_collector):
    rng = np.random.default_rng(6)
    x = ad.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = ad.tensor(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)
    loss = ad.nn.functional.max_pool2d(ad.nn.functional.conv2d(x, w), 2).sum()
    nodes = [_node_of(loss, name) for name in ("conv2d", "max_pool2d")]
    loss.backward(retain_graph=True)
    assert all(node.saved is not None for node in nodes)
    first = (x.grad.copy(), w.grad.copy())
    x.grad = w.grad = None
    loss.backward()
    np.testing.assert_array_equal(x.grad, first[0])
    np.testing.assert_array_equal(w.grad, first[1])
    assert all(node.saved is None for node in nodes)


def _tracked_objects_kept_per_op(build_chain, n_ops=2000):
    """How many objects the cycle collector tracks, per recorded op, in a live graph."""
    gc.collect()
    before = len(gc.get_objects())
    out = build_chain(n_ops)
    gc.collect()        # also stops tracking tuples that hold only arrays and numbers
    after = len(gc.get_objects())
    assert out.node is not None
    return (after - before) / n_ops


def _unary_binary_chain(n_ops):
    y = ad.tensor(0.5, requires_grad=True)
    for i in range(n_ops // 2):
        y = ad.tanh(y * 0.9)
    return y


def test_a_recorded_op_keeps_at_most_one_object_the_cycle_collector_tracks():
    """Every tracked object lengthens each collection, and a growing graph triggers
    collections all along: a node keeps its one or two parents in its own slots, and
    (collector.py) most nodes are not tracked at all."""
    assert _tracked_objects_kept_per_op(_unary_binary_chain) <= 1.01
    x = ad.tensor(0.5, requires_grad=True)
    node = (x * 2.0).node
    assert node.parents == (x, None) and node.args[1] == 2.0
    assert (ad.exp(x) * 2.0).node.parents[0].parents == (x,)


def test_variadic_ops_keep_their_parents_in_a_tuple():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = ad.concatenate([x[:1], x, x * 3.0])
    parents = y.node.parents
    assert isinstance(parents, tuple) and len(parents) == 3 and parents[1] is x
    assert [p.op.name for p in (parents[0], parents[2])] == ["getitem", "multiply"]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 4.0])


def test_the_reverse_pass_gives_the_cycle_collector_no_work():
    """The reverse pass makes no long-lived tracked objects (gradients are arrays, the
    parents tuples it builds die at once) and frees the graph as it goes, so the cycle
    collector never starts inside it: there is nothing to gain from pausing it there."""
    # A first backward in a process imports what the reverse pass imports lazily (new
    # modules' objects would count): run one first, as any earlier test would have.
    ad.tanh(ad.tensor(0.5, requires_grad=True) * 0.9 + 0.1).backward()
    x = ad.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(5000):
        y = ad.tanh(y * 0.9 + 0.1)
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        y.backward()
    finally:
        gc.callbacks.remove(count)
    assert collections == [] and x.grad is not None
