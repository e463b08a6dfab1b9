"""Ops whose rules read only shapes and dtypes (``defop``'s ``reads=()``).

Their nodes need no value to run their rules, as PyTorch's ``TransposeBackward`` or
``SumBackward`` save none: a parameter seen only through them is not made read-only
(through a view such as ``w.T`` or ``w[0]`` either: the op that reads the view guards
the parameter), an in-place change of it before the backward is not refused, and a
later backward that reaches such a node after an earlier one released it runs it again
on stand-ins of the same shapes and dtypes (``autodiff/revive.py``).  A backward that
reaches a released node which needed values still raises the "already freed" error.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import graph, guard, revive
from autodiff.ops.registry import REGISTRY
from autodiff.overwrites import _loaded_names

from op_specs import SPECS

READ_ONLY = "read-only"
FREED = "already freed"


def _parameter():
    return ad.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)


def _nodes(t):
    stack, seen = [t.node], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(p for p in node.parents if p.__class__ is graph.Node)
    return seen


# ----- the two cases that led to this -------------------------------------------------

def test_a_view_of_a_parameter_kept_for_logging_does_not_block_the_optimizer():
    w = ad.tensor(np.ones((3, 2)), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.1)
    row = w[0]                                  # kept, never backpropagated
    loss = (ad.tensor(np.ones((4, 3))) @ w).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 4.0))
    opt.step()
    np.testing.assert_allclose(w.data, np.full((3, 2), 0.6))
    np.testing.assert_allclose(row.data, [0.6, 0.6])      # a view, as in NumPy
    assert w.data.flags.writeable and row.data.flags.writeable


def test_a_transpose_made_once_is_reused_by_every_steps_loss():
    w = ad.tensor(np.ones((3, 2)), requires_grad=True)
    wt = w.T
    for _ in range(2):
        loss = (ad.tensor(np.ones((4, 2))) @ wt).sum()
        loss.backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 8.0))     # twice 4
    assert wt.node.freed                        # released again after each pass


def test_a_transpose_made_once_trains_as_sgd_by_hand_for_three_steps():
    x = np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 1.5], [2.0, 0.0]])
    y = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0], [0.0, -1.0, 2.0], [1.0, 1.0, 1.0]])
    start = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
    w = ad.tensor(start.copy(), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.01)
    wt = w.T                                    # made once, as in PyTorch
    by_hand = start.copy()
    for _ in range(3):
        opt.zero_grad()
        loss = ((ad.tensor(x) @ wt - y) ** 2).sum()
        loss.backward()
        # d/dw sum((x w.T - y)**2) = 2 (x w.T - y).T x
        expected = 2.0 * (x @ by_hand.T - y).T @ x
        np.testing.assert_allclose(w.grad, expected, rtol=1e-12)
        opt.step()
        by_hand -= 0.01 * expected
        np.testing.assert_allclose(w.data, by_hand, rtol=1e-12)
        np.testing.assert_array_equal(wt.data, w.data.T)        # a view: the new values


def test_a_reused_view_trains_like_a_fresh_one_each_step():
    def train(reuse):
        w = _parameter()
        opt = ad.optim.Adam([w], lr=0.1)
        wt = w.T
        x = ad.tensor(np.linspace(-1.0, 1.0, 8).reshape(4, 2))
        losses = []
        for _ in range(5):
            opt.zero_grad()
            loss = (((x @ (wt if reuse else w.T)) - 1.0) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, w.data
    reused, fresh = train(True), train(False)
    np.testing.assert_array_equal(reused[0], fresh[0])
    np.testing.assert_array_equal(reused[1], fresh[1])


# ----- a second backward ----------------------------------------------------------------

def _through_shape_ops(w, c):
    parts = ad.split(w.reshape(6), 3)
    joined = ad.concatenate([parts[2], parts[0], parts[1][::-1]])
    return ((joined + joined - c).sum() + ad.pad(w, 1).T.mean()
            + ad.stack([w[0], w[2]]).sum(axis=0).mean())


def test_a_second_backward_through_shape_ops_accumulates_the_same_gradient():
    c = ad.tensor(np.arange(6.0))
    w = _parameter()
    loss = _through_shape_ops(w, c)
    loss.backward()
    first = w.grad.copy()
    assert all(node.freed for node in _nodes(loss))
    loss.backward()
    reference = _parameter()
    kept = _through_shape_ops(reference, c)
    kept.backward(retain_graph=True)
    kept.backward()
    np.testing.assert_array_equal(w.grad, reference.grad)
    np.testing.assert_array_equal(w.grad, 2 * first)


def test_a_second_backward_that_reaches_an_op_which_needed_values_raises():
    w = _parameter()
    loss = (ad.exp(w).T - 2.0).sum()            # exp's rule reads its output
    loss.backward()
    with pytest.raises(RuntimeError, match=f"{FREED} — op 'exp'"):
        loss.backward()
    x = ad.tensor(np.ones((4, 2)), requires_grad=True)
    loss = (x @ w.T).sum()                      # matmul saved both: both need values
    loss.backward()
    grad = w.grad.copy()
    with pytest.raises(RuntimeError, match=f"{FREED} — op 'matmul'"):
        loss.backward()
    np.testing.assert_array_equal(w.grad, grad)  # nothing was added before it raised


def test_a_node_whose_rules_read_an_index_or_condition_array_it_dropped_raises():
    w = _parameter()
    mask = np.array([[True, False]] * 3)
    taken = ad.take(w, np.array([0, 0, 5]), axis=None).sum()
    chosen = ad.where(mask, w, 0.0).sum()
    for loss, name in ((taken, "take"), (chosen, "where")):
        loss.backward()
        with pytest.raises(RuntimeError, match=f"{FREED} — op '{name}'"):
            loss.backward()
    w.grad = None
    indexed = w[np.array([0, 0])].sum()         # the key is a keyword argument: kept
    indexed.backward()
    indexed.backward()                          # row 0: 2 + 2
    sliced = (w[1:, ::-1] - w[0]).sum()         # ints and slices
    sliced.backward()
    sliced.backward()                           # rows 1, 2: 1 + 1; row 0: -2 - 2
    expected = np.array([[0.0, 0.0], [2.0, 2.0], [2.0, 2.0]])
    np.testing.assert_array_equal(w.grad, expected)


def test_only_ops_that_read_no_value_at_all_run_again():
    w = _parameter()
    remainder = (w % 4.0).sum()                 # mod declares reads by input: not revived
    remainder.backward()
    with pytest.raises(RuntimeError, match=f"{FREED} — op 'mod'"):
        remainder.backward()
    scaled = (w * 0.5).sum()                    # as PyTorch: multiply saves the number
    scaled.backward()
    with pytest.raises(RuntimeError, match=f"{FREED} — op 'multiply'"):
        scaled.backward()


def test_a_constant_of_another_broadcast_shape_needs_nothing_kept():
    w = ad.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True)
    c = ad.tensor(np.arange(8.0).reshape(2, 1, 4))      # broadcast: out is (2, 3, 4)
    s = w.T.T + c                               # add keeps nothing of c
    assert revive._kept.get(s.node) is None
    k = np.random.default_rng(1).uniform(-1.0, 1.0, (2, 3, 4))
    for _ in range(3):
        (s * k).sum().backward()
    np.testing.assert_allclose(w.grad, 3 * k.sum(axis=(0, 2))[:, None])
    d = (ad.tensor(np.ones((2, 1))) - w.T).sum()        # the constant first: (2, 3)
    w.grad = None
    d.backward()
    d.backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 1), -4.0))


def test_constants_that_rules_name_are_kept_for_a_node_recorded_on_a_parameter():
    w = _parameter()
    cat = ad.concatenate([np.ones((4, 2)), w, np.zeros((1, 2))])    # every part's shape
    moved = ad.transpose(w, (1, 0))             # the axes
    flipped = ad.flip(w, 1)                     # the axis
    kept = revive._kept[cat.node]
    assert kept[1] is None and all(k.__class__ is revive._ArrayOf for k in kept[::2])
    assert revive._kept[moved.node] == (None, (1, 0))
    assert revive._kept.get((w + 1.0).node) is None     # add's rules name no constant
    rng = np.random.default_rng(2)
    for out, grad_of_w in ((cat, lambda k: k[4:7]), (moved, lambda k: k.T),
                           (flipped, lambda k: k[:, ::-1])):
        k = rng.uniform(-1.0, 1.0, out.shape)
        w.grad = None
        for _ in range(2):
            (out * k).sum().backward()
        np.testing.assert_array_equal(w.grad, 2 * grad_of_w(k))


def test_a_node_on_intermediates_whose_rules_name_a_constant_is_not_revived():
    w = _parameter()
    flipped = ad.flip(w + 0.0, 1)               # the axis is not kept: nothing is looked at
    loss = flipped.sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=f"{FREED} — op 'flip'"):
        loss.backward()
    np.testing.assert_array_equal(w.grad, np.ones((3, 2)))


def test_retain_graph_keeps_the_values_and_a_revived_node_is_released_again():
    w = _parameter()
    x = ad.tensor(np.ones((4, 2)), requires_grad=True)
    loss = (x @ w.T).sum()
    loss.backward(retain_graph=True)            # as before: nothing released
    assert not any(node.freed for node in _nodes(loss))
    loss.backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 8.0))
    assert all(node.freed for node in _nodes(loss))
    with pytest.raises(RuntimeError, match=f"{FREED} — op 'matmul'"):
        loss.backward(retain_graph=True)
    wt = w.T
    (wt * 1.0).sum().backward()
    for _ in range(2):
        (wt * 1.0).sum().backward(retain_graph=True)    # revived, then released again
        assert wt.node.freed and wt.node.args is None and wt.node.ans is None
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 11.0))


def test_higher_order_gradients_through_a_view_an_earlier_backward_released():
    w = _parameter()
    wt = w.T
    (wt * 2.0).sum().backward()                 # wt's node is released from here

    def f(x, v):
        return ((x @ v) ** 3).sum()
    x = np.linspace(-1.0, 1.0, 8).reshape(4, 2)
    curvature = ad.grad(lambda x: ad.grad(f)(x, wt).sum())(x)    # still on w's tape
    expected = ad.grad(lambda x: ad.grad(f)(x, w.T).sum())(x)    # with a fresh view
    np.testing.assert_allclose(curvature.data, expected.data)
    (curvature.sum() + expected.sum()).backward()               # and on to w, twice
    reference = _parameter()
    fresh = ad.grad(lambda x: ad.grad(f)(x, reference.T).sum())(x)
    (2 * fresh.sum()).backward()
    np.testing.assert_allclose(w.grad - 2.0, reference.grad)


def test_a_second_backward_may_record_the_gradient():
    w = _parameter()
    loss = ad.concatenate([w.T.reshape(6), w.reshape(6)]).sum()
    loss.backward()
    w.grad = None
    loss.backward(create_graph=True)            # the rules run on Tensors of stand-ins
    assert isinstance(w.grad, ad.Tensor)
    np.testing.assert_array_equal(w.grad.data, np.full((3, 2), 2.0))


# ----- in-place changes between forward and backward -------------------------------------

@pytest.mark.parametrize("how", ["no_grad", "optimizer", "data", "view"])
def test_changing_a_parameter_seen_only_through_value_free_ops_keeps_the_gradient(how):
    w = _parameter()
    row = w[1]
    loss = (w.T.reshape(6) * 2.0).sum() + (row * 3.0).sum() + ad.concatenate([w, w]).mean()
    expected = np.full((3, 2), 2.0 + 1.0 / 6.0)
    expected[1] += 3.0                          # the same gradient for any values of w
    w.grad = np.ones((3, 2))
    if how == "no_grad":
        with ad.no_grad():
            w -= 0.5
    elif how == "optimizer":
        ad.optim.SGD([w], lr=0.5).step()
    elif how == "data":
        w.data -= 0.5
    else:
        with ad.no_grad():
            row -= 0.5                          # writes into w, as a NumPy view does
    w.grad = None
    loss.backward()
    np.testing.assert_allclose(w.grad, expected)
    assert (w.data[1] == np.arange(2.0, 4.0) - 0.5).all()


def test_a_recorded_update_of_an_intermediate_before_the_backward_keeps_the_gradient():
    w = _parameter()
    h = w + 1.0
    loss = (h.T * 2.0).sum()
    h += 10.0                                   # recorded: h takes a new node
    loss.backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 2.0))
    with ad.no_grad():
        h -= 10.0                               # unrecorded: no rule reads h's values
    h.sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 3.0))


# ----- the guard, when an op reads the view -----------------------------------------------

@pytest.mark.parametrize("view", ["transpose", "row", "reshape", "view of a view"])
def test_a_view_read_by_an_op_keeps_the_parameter_read_only_until_backward(view):
    w = _parameter()
    v = {"transpose": lambda: w.T, "row": lambda: w[0], "reshape": lambda: w.reshape(6),
         "view of a view": lambda: w.T[1]}[view]()
    assert w.data.flags.writeable               # the view alone needs no value of w
    x = ad.tensor(np.ones(v.shape), requires_grad=True)
    loss = (x * v).sum()                        # x's rule reads v, that is w's memory
    opt = ad.optim.SGD([w], lr=0.1)
    w.grad = np.ones((3, 2))
    with pytest.raises(RuntimeError, match=READ_ONLY):
        opt.step()
    with pytest.raises(ValueError, match=READ_ONLY):
        w.data -= 0.1
    with pytest.raises(ValueError, match=READ_ONLY):
        v.data[...] = 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, v.data)
    assert w.data.flags.writeable and v.data.flags.writeable
    opt.step()


def test_a_view_made_before_another_op_guards_its_parameter_is_read_only_with_it():
    w = _parameter()
    row = w[0]                                  # made while w is writable
    x = ad.tensor(np.ones((3, 2)), requires_grad=True)
    loss = (w * x).sum()                        # x's rule reads w: w is guarded
    with pytest.raises(ValueError, match=READ_ONLY):
        row.data[0] = 100.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(3, 2))
    row.data[0] = 100.0
    assert w.data[0, 0] == 100.0


def test_a_view_whose_values_no_op_reads_leaves_no_guard_behind():
    w = _parameter()
    loss = (ad.tensor(np.ones((4, 2))) @ w.T[:, ::-1]).sum()
    assert w.data.flags.writeable and id(w.data) not in guard.guarded_arrays
    assert any(entry[1] is w.data for entry in guard.leaf_views.values())
    del loss
    gc.collect()
    assert not any(entry[1] is w.data for entry in guard.leaf_views.values())


def test_a_value_free_node_releases_no_guard_that_another_node_holds():
    w = _parameter()
    x = ad.tensor(np.ones((3, 2)), requires_grad=True)
    row = w[0]                                  # guards nothing
    held = (w * x).sum()                        # x's rule reads w: w is guarded
    shaped = w.T.sum()                          # guards nothing either
    shaped.backward()
    shaped.backward()                           # (revived: still guards nothing)
    assert not w.data.flags.writeable
    del row
    gc.collect()
    assert not w.data.flags.writeable
    with pytest.raises(ValueError, match=READ_ONLY):
        w.data -= 1.0
    held.backward()
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(3, 2))
    assert w.data.flags.writeable


# ----- what a released node keeps ------------------------------------------------------------

def test_a_released_node_keeps_no_array_alive_and_is_revived_on_stand_ins():
    big = np.ones((500, 400))
    w = ad.tensor(big.copy(), requires_grad=True)
    constant = ad.tensor(big)
    loss = ad.concatenate([w, constant]).T.sum()
    ref = weakref.ref(big)
    del big, constant
    loss.backward()
    assert ref() is None                        # the constant went with its tensor
    seen = []

    class Inputs(graph.BackwardObserver):
        def on_node(self, node, g):
            seen.extend(a for a in node.args + (node.ans,) if isinstance(a, np.ndarray))
    with graph.observe_backward(Inputs()):
        loss.backward()
    np.testing.assert_array_equal(w.grad, np.full((500, 400), 2.0))
    assert len(seen) == 7 and all(revive.is_stand_in(a) for a in seen)   # 3 nodes
    assert all(a.strides == (0,) * a.ndim and not a.flags.writeable for a in seen)
    assert all(node.freed for node in _nodes(loss))


def test_a_compiled_function_refuses_a_node_released_before_its_trace():
    w = _parameter()
    w_t = w.T
    (w_t * 1.0).sum().backward()                # released before the trace

    def step(x):
        loss = (x @ w_t).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match=f"{FREED} — op 'transpose'.*compiled"):
        ad.compile(step)(ad.tensor(np.ones((4, 2))))


def test_anomaly_detection_in_a_second_backward_shows_no_stand_in_as_an_input():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    sums = ad.cumsum(x, 0)                      # its gradient sums g: it can overflow
    g = np.array([1e308, 1e308])
    with np.errstate(over="ignore"):
        sums.backward(g)                        # (not watched)
    with ad.detect_anomaly():
        with pytest.raises(ad.AnomalyError, match="cumsum: the backward pass") as info:
            sums.backward(g)
    assert "input x at those positions" not in str(info.value)


# ----- the declarations ----------------------------------------------------------------------

#: Declared ops whose rules' code cannot be read (they pass **kwargs on, or take the
#: inputs as *args): their declarations were checked by reading the rules.
#: unfold: fold(g, x.shape[2:], ...); fold: unfold(g, ...); concatenate: slices of g by
#: part.shape / part.size and ans.ndim; stack: g[..., i, ...] by ans.ndim.
_READ_BY_HAND = {"unfold", "fold", "concatenate", "stack"}


def test_each_declaration_names_all_that_its_rules_load():
    declared = [op for op in REGISTRY.values() if op._reads is not None]
    assert {"transpose", "reshape", "getitem", "add", "sum", "concatenate"} <= \
        {op.name for op in declared}
    for op in declared:
        if op.rules is None:
            assert op.name in _READ_BY_HAND
            continue
        for i, rule in enumerate(op.rules):
            if rule is None:
                continue
            loaded = _loaded_names(rule)
            if loaded is None:
                assert op.name in _READ_BY_HAND, op.name
                continue
            names, parameters = loaded
            loads = {"ans"} if len(parameters) > 2 and parameters[2] in names else set()
            loads |= {op.input_name(k) for k, p in enumerate(parameters[3:])
                      if p in names and k < len(op.rules) and op.rules[k] is not None}
            said = {"ans" if j < 0 else op.input_name(j) for j in op._reads[i]}
            assert loads <= said, (op.name, op.input_name(i), loads, said)


def test_every_declared_op_has_a_gradient_spec():
    declared = {op.name for op in REGISTRY.values() if op._reads is not None}
    assert {"transpose", "getitem", "concatenate", "mod"} <= declared
    assert declared <= {spec.name for spec in SPECS}


def _declared(spec):
    op = REGISTRY.get(spec.name)
    return spec.order >= 1 and op is not None and op._reads is not None


#: Declared ops whose specs must run a second backward (no index or condition array).
_REVIVED = {"add", "subtract", "negative", "copy", "sum", "mean", "reshape", "transpose",
            "swapaxes", "expand_dims", "squeeze", "flatten", "broadcast_to", "concatenate",
            "stack", "flip", "roll", "cumsum"}


def _refusable(node) -> bool:
    """Whether a second backward may refuse ``node``: it needed values, or where no
    gradient flows (an index, a condition) it holds more than numbers, slices and
    tuples of them: its rules read those values, which are not kept."""
    if not node.requires_grad:
        return False
    op = node.op
    if not op.value_free:
        return True
    grad_at = op._grad_at
    return any(p is not None or not revive._is_small(a)
               for i, (a, p) in enumerate(zip(node.args, node.parents))
               if grad_at is not None and (i >= len(grad_at) or grad_at[i] is None))


@pytest.mark.parametrize("spec", [s for s in SPECS if _declared(s)], ids=lambda s: s.name)
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_second_backward_through_a_declared_op_repeats_the_first(spec, data):
    case = spec.draw(data)
    leaves = [ad.tensor(x, requires_grad=True) if np.asarray(x).dtype.kind == "f" else x
              for x in case.inputs]
    out = case.func(*leaves)
    if not out.requires_grad:
        return
    leaves = [t for t in leaves if isinstance(t, ad.Tensor)]
    refusable = any(_refusable(node) for node in _nodes(out))
    g = np.random.default_rng(0).uniform(-1.0, 1.0, out.shape)
    out.backward(g)
    first = [None if t.grad is None else t.grad.copy() for t in leaves]
    if spec.name not in _REVIVED:
        try:
            out.backward(g)
        except RuntimeError as error:
            assert FREED in str(error)
            assert refusable, spec.name
            return
    for create_graph in (False, True):          # numpy_xp, then tensor_xp, on stand-ins
        for t in leaves:
            t.grad = None
        out.backward(g, create_graph=create_graph)
        for t, expected in zip(leaves, first):
            again = t.grad.data if isinstance(t.grad, ad.Tensor) else t.grad
            if expected is None:
                assert again is None
            else:
                np.testing.assert_allclose(again, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reads, message", [
    ({"a": "c", "b": ()}, "neither 'ans' nor an input with a rule"),
    ({"a": ()}, "name input 'b' too"),
    ({"a": (), "b": (), "z": ()}, "not inputs with a rule"),
    ([], "takes \\(\\) or a dict"),
])
def test_a_wrong_declaration_is_refused(reads, message):
    with pytest.raises(TypeError, match=message):
        ad.defop("misdeclared", np.add, reads=reads, a=("g", lambda xp, g, ans, a, b: g),
                 b=("g", lambda xp, g, ans, a, b: g))
    assert "misdeclared" not in REGISTRY
