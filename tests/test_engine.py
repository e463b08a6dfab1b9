"""The tape and the reverse pass: accumulation, freeing, errors, deep graphs, memory, threads."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import autodiff as ad


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None


def test_accumulation_reuses_the_grad_buffer_nobody_else_holds():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    buffer = weakref.ref(x.grad.base)           # (.grad is a GradArray view of the buffer;
    (x * x).sum().backward()                    # a weak reference: the engine owns it)
    assert x.grad.base is buffer()              # accumulated in place
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_accumulation_adds_into_a_grad_array_the_user_holds_as_pytorch():
    # PyTorch adds into .grad in place (grad += new): a name or a view the user kept
    # for it, or an array assigned to .grad by hand, sees the sum.
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    first = x.grad                              # the user keeps the first gradient
    row = ad.tensor([1.0, 2.0], requires_grad=True)
    (row * 3).sum().backward()
    view = row.grad[:1]                         # or a view of it
    (x * x).sum().backward()
    (row * 3).sum().backward()
    assert x.grad is first
    np.testing.assert_array_equal(first, [4.0, 8.0])
    np.testing.assert_array_equal(view, [6.0])
    np.testing.assert_array_equal(row.grad, [6.0, 6.0])
    given = np.zeros(2, dtype=np.float32)       # a .grad set by hand and kept
    w = ad.tensor([1.0, 1.0], dtype=np.float32, requires_grad=True)
    w.grad = given
    (w * 2).sum().backward()
    np.testing.assert_array_equal(given, [2.0, 2.0])
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [2.0, 2.0]


def test_a_tensor_used_twice_gets_both_contributions():
    a = ad.tensor(2.0, requires_grad=True)
    b = ad.tensor(5.0, requires_grad=True)
    (a * b + a).backward()
    assert a.grad == 6.0 and b.grad == 2.0


def test_partial_gradients_of_a_value_used_many_times_add_up_in_one_buffer():
    from autodiff.ops import registry
    made = []                                   # weak: the engine alone holds them

    def triple_rule(xp, g, ans, x):
        out = g * 3.0
        made.append(weakref.ref(out))
        return out

    arrived = []

    def identity_rule(xp, g, ans, x):
        arrived.append(g)
        return g

    triple = ad.defop("triple_for_engine_test", lambda x: x * 3.0, x=("3 * g", triple_rule))
    same = ad.defop("same_for_engine_test", lambda x: x * 1.0, x=("g", identity_rule))
    try:
        x = ad.tensor(np.arange(4.0), requires_grad=True)
        a = same(x)
        (triple(a).sum() + triple(a).sum() + triple(a).sum()).backward()
        assert arrived[0] is made[0]()          # the first partial took the other two
        np.testing.assert_array_equal(x.grad, [9.0] * 4)

        kept = np.ones(4)                       # a gradient someone else holds is not
        held = ad.defop("held_for_engine_test", lambda x: x * 1.0,
                        x=("ones", lambda xp, g, ans, x: kept))
        b = same(x)
        (held(b).sum() + held(b).sum()).backward()
        np.testing.assert_array_equal(kept, np.ones(4))
        assert arrived[1] is not kept
        np.testing.assert_array_equal(arrived[1], [2.0] * 4)
    finally:
        for name in ("triple_for_engine_test", "same_for_engine_test",
                     "held_for_engine_test"):
            registry.REGISTRY.get(name) and registry.unregister(name)


def test_leaf_grads_do_not_alias_each_other_or_the_upstream_gradient():
    x = ad.tensor(np.zeros(3), requires_grad=True)
    y = ad.tensor(np.zeros(3), requires_grad=True)
    upstream = np.ones(3)
    (x + y).backward(upstream)
    assert x.grad is not y.grad and x.grad is not upstream
    x.grad[0] = 100.0
    assert y.grad[0] == 1.0 and upstream[0] == 1.0


def test_backward_twice_raises_and_names_retain_graph():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (ad.exp(x) * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_saved_values_are_released_after_backward():
    x = ad.tensor(np.ones(3), requires_grad=True)
    y = ad.exp(x)
    z = y.sum()
    node = y.node
    assert node.args is not None
    z.backward()
    assert node.freed and node.args is None and node.ans is None
    assert node.shape == (3,) and node.dtype == np.float64


def test_non_scalar_backward_needs_grad():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one element.*shape \(2,\)"):
        (x * 2).backward()


def test_grad_argument_of_the_wrong_shape():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the tensor has shape \(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_takes_pytorchs_gradient_keyword():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(gradient=ad.tensor([3.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [6.0, -4.0])
    with pytest.raises(TypeError, match="both grad and gradient="):
        (x * x).backward(np.ones(2), gradient=np.ones(2))


def test_backward_on_a_tensor_without_history():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ad.tensor(1.0).backward()


@pytest.mark.parametrize("data", [[1, 2], [True, False], np.arange(3)])
def test_requires_grad_on_integer_or_bool_data_is_a_type_error(data):
    with pytest.raises(TypeError, match="requires_grad=True needs floating-point data"):
        ad.tensor(data, requires_grad=True)


def test_assigning_requires_grad_is_checked_as_requires_grad_is():
    # t.requires_grad = True on integers gave a truncated integer gradient, and
    # y.requires_grad = False on a computed tensor let gradients flow on regardless.
    t = ad.tensor([1, 2])
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad = True
    assert not t.requires_grad
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only a leaf.*'multiply'.*detach"):
        y.requires_grad = False
    y.requires_grad = True              # what it is already: nothing to change
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad, [8.0, 16.0])
    c = ad.tensor([3.0])
    c.requires_grad = True
    (c * c).sum().backward()
    np.testing.assert_array_equal(c.grad, [6.0])
    c.requires_grad = False
    assert not (c * 2).requires_grad


def test_astype_to_the_same_dtype_is_a_copy_as_in_numpy():
    # It returned the parameter's own array, which the mutation guard did not see:
    # a write into w.data before backward changed the saved value and x's gradient.
    w = ad.tensor(np.ones(3), requires_grad=True)
    x = ad.tensor(np.ones(3), requires_grad=True)
    same = w.astype(np.float64)
    assert not np.shares_memory(same.data, w.data)
    y = (same * x).sum()
    w.data[:] = 5
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])


def test_dtype_policy():
    assert ad.tensor([1.0, 2]).dtype == np.float64
    assert ad.tensor([1, 2]).dtype.kind == "i"
    assert ad.tensor(3.0).dtype == np.float64
    f32 = ad.tensor(np.ones(2, dtype=np.float32))
    assert (f32 * 2.5).dtype == np.float32            # a Python float does not upcast
    assert (f32 + np.ones(2)).dtype == np.float64     # NumPy 2 promotion between arrays
    array = np.ones(3)
    assert ad.tensor(array).data is array             # no copy of an ndarray
    values = [1.0, 2.0]
    t = ad.tensor(values)
    values[0] = 9.0
    assert t.data[0] == 1.0                           # lists are copied


def test_ndarray_plus_tensor_is_a_tensor():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([10.0, 20.0]) + x
    assert isinstance(y, ad.Tensor)
    (np.array([1.0, 2.0]) * y).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_broadcasting_gradient_is_reduced_to_each_operand():
    a = ad.tensor(np.ones((3, 1)), requires_grad=True)
    b = ad.tensor(np.ones(4), requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad, np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad, np.full(4, 3.0))


def test_shapes_that_do_not_broadcast_name_the_op_and_both_shapes():
    a = ad.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=r"add: .*\(3,\).*\(4,\)"):
        a + np.ones(4)


def test_matmul_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: .*\(2, 3\), \(4, 5\).*last axis of a"):
        ad.tensor(np.ones((2, 3))) @ ad.tensor(np.ones((4, 5)))


def test_index_errors():
    x = ad.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(IndexError, match=r"getitem: .*out of bounds.*-n \.\.\. n-1"):
        x[5]
    with pytest.raises(TypeError, match="float.*cannot be an index"):
        x[1.0]
    with pytest.raises(TypeError, match="must hold integers or booleans"):
        x[np.array([0.0, 1.0])]
    with pytest.raises(IndexError, match="take: "):
        ad.take(x, np.array([3]))


def test_ties_split_the_gradient_evenly():
    x = ad.tensor([3.0, 1.0, 3.0], requires_grad=True)
    ad.max(x).backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 0.5])
    a = ad.tensor(2.0, requires_grad=True)
    b = ad.tensor(2.0, requires_grad=True)
    ad.maximum(a, b).backward()
    assert a.grad == 0.5 and b.grad == 0.5
    c = ad.tensor([1.0, 1.0], requires_grad=True)
    ad.min(c).backward()
    np.testing.assert_array_equal(c.grad, [0.5, 0.5])


def test_relu_and_abs_have_zero_derivative_at_zero():
    x = ad.tensor([0.0, -0.0], requires_grad=True)
    ad.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    y = ad.tensor(0.0, requires_grad=True)
    ad.abs(y).backward()
    assert y.grad == 0.0


def test_round_floor_sign_have_zero_gradient():
    x = ad.tensor([0.3, 1.7], requires_grad=True)
    (ad.round(x) + ad.floor(x) + ad.sign(x)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_grad_dtype_equals_the_leaf_dtype():
    w = ad.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    (w * np.float64(2.0)).sum().backward()      # the product is float64
    assert w.grad.dtype == np.float32


def test_no_grad_records_nothing_and_is_thread_local():
    x = ad.tensor([1.0], requires_grad=True)
    seen = {}

    def other_thread():
        seen["other"] = (x * 2).requires_grad

    with ad.no_grad():
        assert not (x * 2).requires_grad
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert seen["other"] is True
    assert (x * 2).requires_grad


def test_a_backward_records_nothing_and_restores_grad_mode_also_when_a_rule_raises():
    from autodiff import grad_mode

    seen = []

    class Probe(ad.Function):
        fail = False

        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            seen.append(ad.is_grad_enabled())
            if Probe.fail:
                raise ValueError("the rule failed")
            return grad

    start = grad_mode.threads_without_grad
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    Probe.apply(x).sum().backward()
    Probe.apply(x).sum().backward(create_graph=True)
    assert seen == [False, True] and ad.is_grad_enabled()
    Probe.fail = True
    with pytest.raises(ValueError, match="the rule failed"):
        Probe.apply(x).sum().backward()
    assert ad.is_grad_enabled() and grad_mode.threads_without_grad == start
    y = Probe.apply(x).sum()
    with ad.no_grad():                  # a backward inside no_grad leaves it off
        with pytest.raises(ValueError):
            y.backward(create_graph=True)
        assert not ad.is_grad_enabled()
    assert ad.is_grad_enabled() and grad_mode.threads_without_grad == start


def test_the_count_of_threads_without_grad_follows_every_way_of_switching():
    # The op call paths read the thread-local flag only while some thread has
    # recording off; the count must come back to where it was however blocks end.
    from autodiff import grad_mode

    x = ad.tensor([1.0], requires_grad=True)
    start = grad_mode.threads_without_grad
    with ad.no_grad():
        with ad.no_grad():
            assert grad_mode.threads_without_grad == start + 1
            with ad.enable_grad():
                assert grad_mode.threads_without_grad == start and (x * 2).requires_grad
            assert not (x * 2).requires_grad
    assert grad_mode.threads_without_grad == start
    with pytest.raises(ZeroDivisionError):
        with ad.no_grad():
            1 / 0
    assert grad_mode.threads_without_grad == start
    ad.grad(lambda t: (t * t).sum())(x)     # transforms switch recording on and back
    (x * x).sum().backward()                # the reverse pass switches it off and back
    assert grad_mode.threads_without_grad == start

    inside, leave = threading.Event(), threading.Event()

    def other_thread():
        with ad.no_grad():
            inside.set()
            leave.wait()

    t = threading.Thread(target=other_thread)
    t.start()
    inside.wait()
    assert grad_mode.threads_without_grad == start + 1 and (x * 2).requires_grad
    leave.set()
    t.join()
    assert grad_mode.threads_without_grad == start


def test_a_first_order_backward_adds_plain_values_into_a_grad_that_has_a_graph():
    # x.grad from backward(create_graph=True) is a Tensor with a graph; a later pass
    # that records nothing adds into its values in place, silently (no tape-drop
    # warning), as PyTorch's grad += new under no_grad: first is x.grad, with the sum.
    import warnings

    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    first = x.grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (first ** 2).sum().backward()
    assert x.grad is first and first.requires_grad
    np.testing.assert_allclose(first.data, 3 * np.array([1.0, 4.0]) + 36 * np.array([1.0, 8.0]))


def test_detach_and_stop_gradient():
    x = ad.tensor([2.0], requires_grad=True)
    y = x.detach()
    assert not y.requires_grad and y.data is x.data
    z = x * ad.stop_gradient(x)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0])


def test_a_chain_of_100000_ops_backpropagates_without_recursion():
    x = ad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    del y                               # freeing a long chain must not recurse either


def test_a_value_consumed_early_and_late_waits_for_every_consumer():
    # a feeds a long chain made right away and a product made after it: the pass takes
    # nodes newest first, so a's gradient is complete before its rule runs.
    x = ad.tensor(0.7, requires_grad=True)
    a = ad.sin(x)
    chain = a
    for _ in range(50):
        chain = chain * 1.01
    late = a * 3.0
    (chain + late + a).backward()
    expected = np.cos(0.7) * (1.01 ** 50 + 3.0 + 1.0)
    assert x.grad == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("seed", range(20))
def test_random_graphs_match_autograd(seed):
    # Random DAGs: each new value combines two earlier ones (any of them, so a value
    # may be consumed by nodes made much later, several times, or not at all).
    import autograd
    import autograd.numpy as anp

    rng = np.random.default_rng(seed)
    steps = [(int(rng.integers(0, 4)), int(rng.integers(0, k + 2)), int(rng.integers(0, k + 2)))
             for k in range(40)]
    chosen = rng.choice(len(steps) + 2, size=5, replace=False)

    def program(xp, x, y):
        values = [x, y]
        for kind, i, j in steps:
            a, b = values[i], values[j]
            values.append(a * b * 0.5 if kind == 0 else a + b if kind == 1
                          else xp.sin(a) - b if kind == 2 else xp.tanh(a * 0.3) * b)
        return sum(values[k] for k in chosen)

    x0, y0 = np.array([0.3, -0.8]), np.array([1.1, 0.4])
    x = ad.tensor(x0, requires_grad=True)
    y = ad.tensor(y0, requires_grad=True)
    program(ad, x, y).sum().backward()
    expected = autograd.grad(lambda u, v: anp.sum(program(anp, u, v)), argnum=(0, 1))(x0, y0)
    np.testing.assert_allclose(x.grad, expected[0], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(y.grad, expected[1], rtol=1e-12, atol=1e-300)


def test_gradients_of_graphs_built_by_two_threads_at_once_meet_in_order():
    # The recording order interleaves two threads' nodes; a node is still numbered
    # after its inputs, which is all the pass relies on.
    x = ad.tensor(np.linspace(-1, 1, 5), requires_grad=True)
    halves = [None, None]

    def build(k):
        y = x
        for _ in range(2000):
            y = ad.sin(y) * 0.5 + y * (0.25 + k)
        halves[k] = y

    threads = [threading.Thread(target=build, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (halves[0] * halves[1]).sum().backward()
    together = x.grad.copy()
    x.grad = None
    build(0)
    build(1)
    (halves[0] * halves[1]).sum().backward()
    # (the leaf's four contributions may add up in another order)
    np.testing.assert_allclose(together, x.grad, rtol=1e-13)


def test_graph_is_collected_without_the_cycle_collector():
    gc.disable()
    try:
        x = ad.tensor(np.ones(3), requires_grad=True)
        loss = (ad.tanh(x * 2) ** 2).sum()
        node_ref = weakref.ref(loss.node)
        inner_ref = weakref.ref(loss.node.parents[0])
        loss.backward()
        del loss
        # ad.explain keeps the freed skeleton of the last backward of this thread; the
        # next backward replaces it, and then nothing holds the old graph.
        (x * 1.0).sum().backward()
        assert node_ref() is None and inner_ref() is None
        y = (x * 3).sum()               # a graph dropped without backward is freed too
        ref = weakref.ref(y.node)
        del y
        assert ref() is None
    finally:
        gc.enable()


def test_threads_get_exactly_the_single_threaded_gradients():
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((4, 3)) for _ in range(8)]
    weight = rng.standard_normal((3, 2))

    def gradient(x_data):
        x = ad.tensor(x_data, requires_grad=True)
        w = ad.tensor(weight, requires_grad=True)
        loss = (ad.tanh(x @ w) ** 2).mean() + ad.sigmoid(x).sum()
        loss.backward()
        return x.grad, w.grad

    expected = [gradient(x) for x in inputs]
    failures = []

    def worker(k):
        for _ in range(300):
            gx, gw = gradient(inputs[k])
            if not (np.array_equal(gx, expected[k][0]) and np.array_equal(gw, expected[k][1])):
                failures.append(k)
                return

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_tensor_attributes():
    t = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="W")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.T.shape == (3, 2) and t.is_leaf and t.name == "W"
    assert not (t * 2).is_leaf
    assert ad.tensor([[5.0]]).item() == 5.0
    assert t.numpy() is t.data
    with pytest.warns(ad.TapeDropWarning):      # the tape is dropped: say so
        assert np.asarray(t) is t.data
    assert np.asarray(t.detach()) is t.data
    assert "requires_grad=True" in repr(t)
    with pytest.raises(RuntimeError, match="no_grad"):
        t[0] = 1.0


def test_backward_frees_branches_that_fed_the_output_only_through_comparisons():
    s = ad.tensor([0.5], requires_grad=True)
    x = ad.tensor(np.linspace(-1, 1, 5))
    squared = s * s
    inside = x * x < squared                     # s reaches the loss through a comparison
    loss = ad.where(inside, s * x, 0.0).sum()
    loss.backward()
    assert squared.node.freed
    s.data -= 0.1                                # a parameter update after backward works
    assert ad.explain(s) is not None             # the structure is still there to explain


def test_threads_running_backward_on_graphs_sharing_a_leaf_lose_no_gradient():
    import sys

    x = np.random.default_rng(0).normal(size=(4, 64))
    w = ad.tensor(np.ones((64, 64)), requires_grad=True)
    iterations, n_threads = 150, 4

    def train():
        for _ in range(iterations):
            (ad.tensor(x) @ w).sum().backward()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)          # switch threads often: the race shows at once
    try:
        threads = [threading.Thread(target=train) for _ in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    expected = np.repeat(x.sum(0)[:, None], 64, axis=1) * (iterations * n_threads)
    np.testing.assert_allclose(w.grad, expected, rtol=1e-12)


def test_grad_mode_decorators_on_generator_functions_cover_the_body_not_the_caller():
    w = ad.tensor([1.0, 2.0], requires_grad=True)

    @ad.no_grad()
    def scaled(factors):
        total = 0
        for factor in factors:
            received = yield w * factor
            total += received or 0
        return total

    generator = scaled([1.0, 2.0, 3.0])
    first = next(generator)
    assert not first.requires_grad
    assert (w * 1.0).requires_grad              # the caller records between yields
    assert not generator.send(5).requires_grad
    with pytest.raises(StopIteration) as stop:
        generator.send(None)
        generator.send(7)
    assert stop.value.value == 12               # the generator's return value comes back
    assert ad.is_grad_enabled()

    @ad.enable_grad()
    def recorded():
        yield w * 2

    with ad.no_grad():
        assert next(recorded()).requires_grad


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_detect_anomaly_as_a_decorator_covers_a_generators_body():
    @ad.detect_anomaly()
    def steps():
        x = ad.tensor([-1.0], requires_grad=True)
        yield 0
        yield ad.sqrt(x)                        # NaN: reported inside the body

    generator = steps()
    next(generator)
    with pytest.raises(ad.AnomalyError):
        next(generator)
