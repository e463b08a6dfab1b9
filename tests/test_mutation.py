"""Mutation safety: a leaf array saved by a live graph cannot be changed in place.

The contract (see autodiff/anomaly.py): while a graph that will need a parameter's
array for its backward is alive, that array is read-only; it is writable again when
the graph is freed by backward (no retain_graph) or dropped.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autodiff as ad
from autodiff import graph, guard

READ_ONLY = "read-only"


def test_changing_a_parameter_between_forward_and_backward_raises():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(ValueError, match=READ_ONLY):
        w.data -= 0.5
    with pytest.raises(ValueError, match=READ_ONLY):
        w.data[0] = 10.0
    loss.backward()                          # the gradient of the values actually used
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_the_users_own_array_is_protected_too():
    a = np.array([1.0, 3.0])
    w = ad.tensor(a, requires_grad=True)     # no copy: w.data is a
    loss = ad.sin(w).sum()                   # sin's rule reads w (cos w)
    with pytest.raises(ValueError, match=READ_ONLY):
        a[1] = 0.0
    loss.backward()
    np.testing.assert_allclose(w.grad, np.cos([1.0, 3.0]))
    a[1] = 0.0                               # freed: allowed again
    assert w.data[1] == 0.0


def test_in_place_optimizer_step_after_backward_works():
    w = ad.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        w.data -= 0.25 * w.grad              # the idiom every optimizer uses
        w.grad = None
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) * 0.5 ** 3)


def test_optim_sgd_training_loop_runs_and_matches_the_closed_form():
    w = ad.nn.Parameter(np.array([3.0, -1.0]))
    opt = ad.optim.SGD([w], lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        loss = ((w - 1.0) ** 2).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.data, 1.0 + np.array([2.0, -2.0]) * 0.8 ** 5)


def test_a_graph_dropped_without_backward_releases_the_array():
    gc.disable()
    try:
        w = ad.tensor([1.0, 2.0], requires_grad=True)
        loss = (w * w).sum()
        assert not w.data.flags.writeable
        del loss
        assert w.data.flags.writeable
        w.data += 1.0
    finally:
        gc.enable()


def test_retain_graph_keeps_the_guard_until_the_last_backward():
    w = ad.tensor([2.0], requires_grad=True)
    loss = (w ** 3).sum()
    loss.backward(retain_graph=True)
    with pytest.raises(ValueError, match=READ_ONLY):
        w.data *= 2                           # would corrupt the second backward
    loss.backward()
    np.testing.assert_allclose(w.grad, [24.0])
    w.data *= 2
    assert w.data[0] == 4.0


def test_an_array_in_two_graphs_stays_guarded_until_both_are_freed():
    w = ad.tensor([1.0], requires_grad=True)
    first = (w * w).sum()
    second = (w * w * 5).sum()
    first.backward()
    with pytest.raises(ValueError, match=READ_ONLY):
        w.data += 1
    second.backward()
    w.data += 1
    assert w.data[0] == 2.0 and w.grad[0] == 12.0


def test_use_only_in_a_comparison_or_under_no_grad_does_not_guard():
    w = ad.tensor([1.0], requires_grad=True)
    mask = w > 0                                 # no gradient flows there
    with ad.no_grad():
        y = w * 2
    w.data += 1
    assert bool(mask.data[0]) and y.data[0] == 2.0


def test_an_array_that_was_read_only_already_stays_read_only():
    a = np.array([1.0, 2.0])
    a.flags.writeable = False
    w = ad.tensor(a, requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    assert not a.flags.writeable
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_functional_grad_and_higher_order_release_the_input():
    x = np.array([1.0, 2.0])
    g = ad.grad(lambda t: (t ** 3).sum())(x)
    np.testing.assert_allclose(g, 3 * x ** 2)
    x += 1                                        # the caller's array is writable again
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (w ** 3).sum()
    (gw,) = graph.run_backward(y, np.ones(()), inputs=[w], create_graph=True)
    gw.sum().backward()
    del y, gw
    w.data += 1


def test_the_guard_registry_empties_after_each_training_step():
    gc.collect()        # graphs that earlier tests left in reference cycles (tracebacks)
    assert not guard.guarded_arrays
    w = ad.tensor(np.ones((3, 2)), requires_grad=True)
    v = ad.tensor(np.ones((2, 2)), requires_grad=True)
    b = ad.tensor(np.zeros(2), requires_grad=True)
    x = np.ones((4, 3))
    for _ in range(20):
        loss = (((x @ w) @ v + b) ** 2).mean()
        assert len(guard.guarded_arrays) >= 1   # v: x @ w's gradient reads it
        loss.backward()
        assert not guard.guarded_arrays
        for p in (w, v, b):
            p.data -= 0.01 * p.grad
            p.grad = None


def test_many_live_graphs_each_looked_at_once(monkeypatch):
    """n graphs that saved one parameter, each given its backward in turn: a guard's
    savers are looked at O(n) times in all, not once per backward each (n**2)."""
    looked_at = []
    is_live = guard._is_live
    monkeypatch.setattr(guard, "_is_live", lambda node: looked_at.append(1) or is_live(node))
    w = ad.tensor(np.ones(3), requires_grad=True)
    n = 300
    losses = [(w * w * float(k)).sum() for k in range(n)]
    for k, loss in enumerate(losses):
        with pytest.raises(ValueError):
            w.data[0] = 5.0                 # graphs k.. still need w: read-only
        loss.backward()
        np.testing.assert_array_equal(w.grad, 2 * w.data * (k * (k + 1) / 2))
    w.data[0] = 1.0                         # all backward passes done: writable again
    assert len(looked_at) <= 4 * n
    kept = [(w * w).sum() for _ in range(3)]
    del losses
    with pytest.raises(ValueError):
        w.data[0] = 5.0                     # the three new graphs hold it
    del kept
    w.data[0] = 5.0                         # their deaths released it


def test_custom_function_inputs_are_guarded_too():
    class Square(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved
            return 2 * x * grad

    w = ad.tensor([3.0], requires_grad=True)
    out = Square.apply(w).sum()
    with pytest.raises(ValueError, match=READ_ONLY):
        w.data[0] = 0.0
    out.backward()
    np.testing.assert_array_equal(w.grad, [6.0])
    w.data[0] = 0.0


def test_a_saver_dying_while_guards_are_released_is_handled_once(monkeypatch):
    """A node can die in the middle of release_guarded_leaves (a collection runs its
    weak reference's callback on this thread, which removes the guard): the release
    must not remove that guard a second time, and the array ends up writable."""
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (w * w).sum()
    holder = [y._node.parents[0]]           # the product's node, the saver of w's array
    del y
    graph.release(holder[0])                # freed as a backward frees it, still alive
    assert id(w.data) in guard.guarded_arrays and not w.data.flags.writeable
    is_live = guard._is_live
    dropped = []

    def drop_the_last_reference_first(node):
        if not dropped:
            dropped.append(True)
            node = None
            holder.clear()                  # the saver dies here; its callback runs now
        return is_live(node)

    monkeypatch.setattr(guard, "_is_live", drop_the_last_reference_first)
    guard.release_guarded_leaves()
    assert dropped
    assert id(w.data) not in guard.guarded_arrays
    assert w.data.flags.writeable


# ----- unrecorded writes into arrays that are not leaves (autodiff/overwrites.py) --------

def test_an_intermediate_changed_under_no_grad_after_an_op_saved_it_is_refused():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y ** 2).sum()                          # power saves y
    with ad.no_grad():
        y += 1
    with pytest.raises(ad.InPlaceError, match="op 'power' saved its input 'a'"):
        z.backward()


def test_an_input_batch_changed_after_an_op_saved_it_is_refused():
    w = ad.nn.Parameter(np.ones(3))
    batch = ad.tensor([1.0, 2.0, 3.0])
    loss = (w * batch).sum()
    batch *= 10
    with pytest.raises(ad.InPlaceError, match="op 'multiply' saved its input 'b'"):
        loss.backward()
    loss = (w * batch).sum()
    batch[0] = 50.0                             # setitem, and through a view
    with pytest.raises(ad.InPlaceError, match="changed in place after that"):
        loss.backward()
    y = ad.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2
    s = (y * y).sum()
    tail = y[1:]
    with ad.no_grad():
        tail.fill_(0.0)
    with pytest.raises(ad.InPlaceError):
        s.backward()


def test_a_saved_output_changed_in_place_is_refused():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = ad.exp(x)                               # exp's rule reads its output
    with ad.no_grad():
        y *= 2
    with pytest.raises(ad.InPlaceError, match="op 'exp' saved its output"):
        y.sum().backward()


def test_writes_that_no_rule_reads_or_that_come_before_the_op_pass():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y + 1                                   # add's rules read no input
    with ad.no_grad():
        y += 1
    z.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    x.grad = None
    y = x * 2
    with ad.no_grad():
        y += 1                                  # before power saves it
    (y ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [12.0, 20.0])
    x.grad = None
    h = x * 1.0
    r = ad.relu(h)                              # relu's rule reads its output, not h
    with ad.no_grad():
        h += 10
    r.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_which_inputs_a_rule_reads_is_read_off_its_code():
    from autodiff.overwrites import _loaded_names

    def rule(xp, g, ans, a, b):
        if b.ndim == 1:
            return g * a.shape[0]
        return g * a.T

    loaded, parameters = _loaded_names(rule)
    assert parameters == ("xp", "g", "ans", "a", "b")
    assert "a" in loaded and "b" not in loaded and "ans" not in loaded   # b.ndim is metadata
    assert _loaded_names(lambda *args: args[3]) is None                  # unknown: everything
    assert "x" in _loaded_names(lambda xp, g, ans, x: (lambda: x))[0]    # a closure reads it


def test_no_false_errors_for_rules_that_read_only_shapes_or_for_other_slices():
    h = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 1.0
    outputs = [h.T, ad.transpose(h, (1, 0)), ad.floor(h), ad.round(h), ad.sign(h)]
    with ad.no_grad():
        h += 1                                  # none of these rules reads h's values
    sum(o.sum() for o in outputs).backward()
    data = np.arange(40.0)                      # two batches sliced from one array
    first, second = ad.tensor(data[0:10]), ad.tensor(data[10:20])
    w = ad.tensor(1.0, requires_grad=True)
    loss = (w * first).sum()
    second -= 1.0                               # does not touch what loss saved
    loss.backward()
    assert w.grad == data[0:10].sum()


def test_a_write_through_a_view_that_is_gone_still_counts():
    w = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    buf = ad.tensor(np.arange(6.0).reshape(2, 3))
    y = (buf[0] * w).sum()                      # multiply saves a view of buf
    with ad.no_grad():
        buf[0].add_(100.0)                      # through a temporary view
    with pytest.raises(ad.InPlaceError, match="op 'multiply' saved its input 'a'"):
        y.backward()


def test_threads_writing_rows_of_one_buffer():
    import threading
    buf = ad.tensor(np.zeros((64, 4)))
    errors = []

    def fill(rows):
        try:
            with ad.no_grad():
                for i in rows:
                    for _ in range(50):
                        buf[i] += 1.0
        except Exception as error:              # noqa: BLE001 (collected for the assert)
            errors.append(error)
    threads = [threading.Thread(target=fill, args=(range(k, 64, 4),)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and (buf.data == 50.0).all()


def test_a_parameter_whose_values_no_rule_reads_stays_writable():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    loss = (w * 3).sum() + (x @ w).sum() + w[0]   # rules read 3, x and w.shape only
    assert w.data.flags.writeable
    w.data += 10.0                              # changes no gradient
    loss.backward()
    np.testing.assert_array_equal(w.grad, [3 + 2 + 1, 3 + 2])


@pytest.mark.parametrize("use", ["row", "transpose", "reshape", "tied"])
def test_a_parameter_seen_through_a_view_is_guarded(use):
    W = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = ad.tensor([[1.0, 1.0]])
    y = {"row": lambda: (W[0] ** 2).sum(),
         "transpose": lambda: (W.T ** 2).sum(),
         "reshape": lambda: (W.reshape(4) ** 2).sum(),
         "tied": lambda: ((x @ W) @ W.T).sum()}[use]()
    with pytest.raises(ValueError, match=READ_ONLY):
        W.data -= 0.1                           # an optimizer step before backward()
    with pytest.raises((ad.InPlaceError, RuntimeError)):
        with ad.no_grad():
            W -= 0.1
    y.backward()


@pytest.mark.parametrize("rows", [4, 200])       # few written ranges, and many (arrays)
def test_writing_one_row_leaves_nodes_that_saved_other_rows_alone(rows):
    from autodiff import overwrites
    assert (rows > overwrites.MANY_RANGES) == (rows == 200)
    buf = ad.tensor(np.zeros((rows + 1, 3)))
    w = ad.tensor(np.ones(3), requires_grad=True)
    total = 0.0
    for i in range(rows):
        total = total + (buf[i] * w).sum()      # multiply saves row i
        with ad.no_grad():
            buf[i + 1] = buf[i] + 1.0           # a write of row i + 1 only
    total.backward()
    np.testing.assert_array_equal(w.grad, [rows * (rows - 1) / 2] * 3)
    w.grad = None
    loss = (buf[rows // 2] * w).sum() + (buf[rows] * w).sum()
    with ad.no_grad():
        buf[:, 0] = 7.0                             # a column: every row's bytes
    with pytest.raises(ad.InPlaceError, match="op 'multiply' saved its input 'a'"):
        loss.backward()
    loss = (buf[1] * w).sum()
    with ad.no_grad():
        buf[np.array([1])] = 5.0                    # an index array: all of buf counts
    with pytest.raises(ad.InPlaceError):
        loss.backward()
    loss = (buf[1] * w).sum()
    with ad.no_grad():
        buf[1, 2] = 5.0                             # one element of the saved row
    with pytest.raises(ad.InPlaceError):
        loss.backward()


def test_row_views_that_died_do_not_pile_up():
    """A loop writing ``out[t]`` makes one bucket of views per row; the dead ones are
    dropped as new ones come, so each write looks at a bounded number of them."""
    from autodiff import inplace
    buf = ad.tensor(np.zeros((2000, 2)))
    with ad.no_grad():
        for i in range(1999):
            buf[i + 1] = buf[i] + 1.0
    buckets = inplace._views_of[id(buf)][1]
    assert len(buckets) <= 32
    np.testing.assert_array_equal(buf.data[:, 0], np.arange(2000.0))


def test_a_backward_that_fails_part_way_leaves_no_parameter_read_only():
    class Fails(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            raise FloatingPointError("backward failed")

    w = ad.tensor(np.array([0.5, 1.0]), requires_grad=True)
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    first = Fails.apply(x)            # recorded first: the pass reaches it last
    loss = (first * ad.sin(w)).sum()  # sin saves w: read-only while its node lives
    del first
    with pytest.raises(FloatingPointError):
        loss.backward()
    assert w.data.flags.writeable     # sin's node was released before the failure
    with ad.no_grad():
        w -= 0.1
