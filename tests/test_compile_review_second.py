"""A second adversarial review of ``ad.compile``, each test a situation where a replay
was silently different from eager execution: a rule whose result's shape followed a
mask computed in the call, library methods reading a traced tensor's values in Python,
numbers and flags the function's names hold changed between calls, and arrays computed
from the values that reached a step through a view.  Compiled runs are compared with
eager ones, bit for bit."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import NotReplayedWarning, TraceError


def _eager_and_compiled(body, xs, fuse=True):
    """Train ``w`` by SGD on ``body(w, x).sum()`` over ``xs``, eagerly and compiled;
    return the losses and weights of both."""
    runs = []
    for compiled in (False, True):
        w = ad.tensor(np.array([1.0, -2.0, 3.0, -0.5]), requires_grad=True)
        opt = ad.optim.SGD([w], lr=0.1)

        def step(x):
            loss = body(w, x).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        f = ad.compile(step, fuse=fuse) if compiled else step
        losses = [float(f(x if compiled else ad.tensor(x)).data) for x in xs]
        runs.append((losses, w.data.copy(), getattr(f, "traces", None)))
    return runs


def _masked_write_of_a_weight(w, x):
    c = w * 1.0
    c[x > 0] = w[:1]            # one value broadcast to as many entries as the mask holds
    return c


@pytest.mark.parametrize("fuse", [True, False])
def test_a_value_written_through_a_mask_gets_its_gradient_as_the_mask_changes(fuse):
    # The value's gradient was g[mask] (as many rows as the mask's true entries) summed
    # by a step after it; a fused loop took the traced count for the replay's, reading
    # the wrong number of entries (past the end of its buffer when the count shrank).
    xs = [np.array([1.0, -2.0, -3.0, -4.0]),         # traced with one true entry
          np.array([1.0, 2.0, 3.0, 4.0]),            # then four, none, two, one
          np.array([-1.0, -2.0, -3.0, -4.0]),
          np.array([-1.0, 2.0, -3.0, 4.0]),
          np.array([1.0, -2.0, -3.0, -4.0])]
    (eager_losses, eager_w, _), (losses, w, traces) = _eager_and_compiled(
        _masked_write_of_a_weight, xs, fuse)
    assert traces == 1
    np.testing.assert_array_equal(losses, eager_losses)
    np.testing.assert_array_equal(w, eager_w)


def test_the_written_value_gets_g_at_the_key_summed_to_its_shape():
    # The gradient of a value of shape (1, 2) broadcast into rows of x picked by a mask
    x = ad.tensor(np.zeros((3, 2)), requires_grad=True)
    value = ad.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    y = x * 1.0
    y[np.array([True, False, True])] = value
    (y * np.arange(6.0).reshape(3, 2)).sum().backward()
    np.testing.assert_array_equal(value.grad, [[0.0 + 4.0, 1.0 + 5.0]])
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [2.0, 3.0], [0.0, 0.0]])


def test_the_written_value_gets_pytorchs_gradient():
    torch = pytest.importorskip("torch")
    mask = np.array([True, False, True])
    g = np.arange(6.0).reshape(3, 2)
    value = ad.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    y = ad.zeros((3, 2)) * 1.0
    y[mask] = value
    (y * g).sum().backward()
    tv = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    ty = torch.zeros(3, 2, dtype=torch.float64)
    ty[torch.tensor(mask)] = tv
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    np.testing.assert_array_equal(value.grad, tv.grad.numpy())


def test_the_written_values_gradient_matches_central_differences():
    mask = np.array([True, False, True, True])
    weights = np.array([0.5, -1.0, 2.0, 3.0])

    def f(v):
        y = ad.tensor(np.ones(4)) * 1.0
        y[mask] = v
        return (ad.sin(y) * weights).sum()
    v0 = np.array([0.3])
    v = ad.tensor(v0, requires_grad=True)
    f(v).backward()
    h = 1e-6
    numerical = (f(ad.tensor(v0 + h)).data - f(ad.tensor(v0 - h)).data) / (2 * h)
    np.testing.assert_allclose(v.grad, [numerical], rtol=1e-8)


# Library methods that read a traced tensor's values in Python: refused, naming the
# method and the line, where a replay reused the traced values.
REFUSED = {
    "Tensor.nonzero(as_tuple=False)": (
        lambda w, x: w[(x > 0).nonzero(as_tuple=False)[:, 0]], "nonzero"),
    "Tensor.nonzero(as_tuple=True)": (
        lambda w, x: w[(x > 0).nonzero(as_tuple=True)[0]], "nonzero"),
    "ad.nonzero(as_tuple=False)": (
        lambda w, x: w * ad.nonzero(x > 0, as_tuple=False).shape[0], "nonzero"),
    "ad.nonzero": (lambda w, x: w[ad.nonzero(x > 0, as_tuple=True)[0]], "nonzero"),
    "tensor_split at a computed index": (
        lambda w, x: ad.tensor_split(w, ad.argmax(x).reshape(1))[0], "tensor_split"),
    "repeat_interleave by computed counts": (
        lambda w, x: w.repeat_interleave((x > 0).long() + 1), "repeat"),
    "ad.repeat_interleave by computed counts": (
        lambda w, x: ad.repeat_interleave(w, (x > 0).long() + 1), "repeat"),
    "Tensor.equal": (
        lambda w, x: w * 2 if x.equal(ad.tensor([1.0, 2.0, 3.0, 4.0])) else w, "equal"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_values_read_in_python_by_a_library_method_are_refused(case):
    body, name = REFUSED[case]
    with pytest.raises(TraceError, match=rf"compile: {name}\b.* at test_compile_review_second"):
        _eager_and_compiled(body, [np.array([1.0, 2.0, 3.0, 4.0])])


def test_the_refused_methods_still_work_on_constants_and_eagerly():
    # (a tensor from before the call is read again at each call, so it counts as traced)
    xs = [np.array([1.0, 2.0, 3.0, 4.0]), np.array([-1.0, -2.0, 3.0, -4.0])]
    def on_constants(w, x):
        mask = ad.tensor([True, False, True, True])    # made in the call from Python values
        picked = w[mask.nonzero(as_tuple=False)[:, 0]]
        first, _ = ad.tensor_split(w * x, ad.tensor([1]))
        doubled = w.repeat_interleave(ad.tensor([2, 1, 1, 1]))
        same = 2.0 if mask.equal(ad.tensor([True, False, True, True])) else 1.0
        return picked.sum() + first.sum() + doubled.sum() * same
    (eager_losses, eager_w, _), (losses, w, traces) = _eager_and_compiled(on_constants, xs)
    assert traces == 1
    np.testing.assert_array_equal(losses, eager_losses)
    np.testing.assert_array_equal(w, eager_w)
    # eagerly, the computed versions give PyTorch's answers
    x = ad.tensor([1.0, -2.0, 3.0])
    np.testing.assert_array_equal((x > 0).nonzero(as_tuple=False).data, [[0], [2]])
    assert x.repeat_interleave(ad.tensor([1, 0, 2])).tolist() == [1.0, 3.0, 3.0]
    assert [p.tolist() for p in x.tensor_split(ad.tensor([1]))] == [[1.0], [-2.0, 3.0]]
    assert x.equal(ad.tensor([1.0, -2.0, 3.0])) and not x.equal(ad.tensor([1.0, 2.0, 3.0]))


# Numbers and flags a name of the function holds: the trace fixes their values into
# the plan, so one changed between calls traces again rather than replaying the old.
SCALE = 1.0
USE_PENALTY = False


def _scaled_step():
    w = ad.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.1)
    mode = "mean"

    def step(x):
        loss = (w * x * SCALE).sum()
        if USE_PENALTY:
            loss = loss + (w ** 2).sum()
        if mode == "mean":
            loss = loss / 3
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def set_mode(value):
        nonlocal mode
        mode = value
    return w, step, set_mode


@pytest.mark.parametrize("fuse", [True, False])
def test_a_number_a_global_or_a_closure_holds_changed_between_calls_traces_again(fuse):
    global SCALE, USE_PENALTY
    runs = []
    try:
        for compiled in (False, True):
            SCALE, USE_PENALTY = 1.0, False
            w, step, set_mode = _scaled_step()
            f = ad.compile(step, fuse=fuse) if compiled else step
            losses = []
            for i in range(8):
                if i == 2:
                    SCALE = 2.5                 # a global number
                if i == 4:
                    USE_PENALTY = True          # a global flag
                if i == 6:
                    set_mode("sum")             # a closure variable
                x = np.array([1.0, 2.0, 3.0]) + i
                losses.append(float(f(x if compiled else ad.tensor(x)).data))
            runs.append((losses, w.data.copy(), getattr(f, "traces", None)))
    finally:
        SCALE, USE_PENALTY = 1.0, False
    (eager_losses, eager_w, _), (losses, w, traces) = runs
    assert traces == 4                          # the first call and each change
    np.testing.assert_array_equal(losses, eager_losses)
    np.testing.assert_array_equal(w, eager_w)


def test_tracing_again_for_a_changed_number_says_which_name_changed():
    global SCALE
    w, step, _ = _scaled_step()
    f = ad.compile(step, cache_size=2)
    try:
        why = r"3 times so far \(SCALE changed \(2\.0 -> 3\.0\)\)"
        with pytest.warns(RuntimeWarning, match=why):
            for i in range(4):
                SCALE = float(i + 1)
                f(np.ones(3))
    finally:
        SCALE = 1.0
    assert f.traces == 4


def test_a_number_the_function_itself_changes_does_not_trace_again():
    # (the trace warns that a replay does not repeat the change; the plan keeps the
    # value the call left, so the replays keep fitting)
    w = ad.tensor(np.ones(2), requires_grad=True)
    calls = 0

    def step(x):
        nonlocal calls
        calls += 1
        loss = (w * x).sum()
        w.grad = None
        loss.backward()
        return loss
    f = ad.compile(step)
    with pytest.warns(NotReplayedWarning, match="changed calls while tracing"):
        f(np.ones(2))
    for _ in range(3):
        f(np.ones(2))
    assert f.traces == 1 and calls == 1


step = 0            # a global loop counter named like the optimizer's method


def test_a_global_named_like_an_attribute_the_function_reads_is_not_a_setting():
    global step
    w = ad.tensor(np.ones(2), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.1)

    def train_step(x):
        loss = (w * x).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()                  # reads the attribute step, not the global
        return loss
    f = ad.compile(train_step)
    try:
        for step in range(5):
            f(np.ones(2))
    finally:
        step = 0
    assert f.traces == 1
    np.testing.assert_allclose(w.data, 1.0 - 5 * 0.1)


# An array computed from the values with NumPy in the call is refused when a step uses
# it; it also was when only a view of it reached a step (the view holds its base, which
# looked like a holder from before the call).
FROM_DATA = {
    "a slice of it as an index": lambda w, x: w[ad.tensor(np.argsort(x.data))[:2]],
    "it as index_select's indices": lambda w, x: ad.index_select(
        w, 0, ad.tensor(np.argsort(x.data))) * ad.tensor([1.0, 2.0, 3.0, 4.0]),
    "a reshaped view of it": lambda w, x: w * ad.tensor(np.sort(x.data)).reshape(2, 2)[0, 0],
}


@pytest.mark.parametrize("case", sorted(FROM_DATA))
def test_an_array_computed_from_the_data_reaching_a_step_through_a_view_is_refused(case):
    with pytest.raises(TraceError, match="was made during the call outside the library"):
        _eager_and_compiled(FROM_DATA[case], [np.array([1.0, 2.0, 3.0, 4.0])])


def test_views_of_arrays_from_before_the_call_and_of_constants_still_replay():
    table = np.array([3, 2, 1, 0])              # captured, from before the call

    def body(w, x):
        picked = (w[table] * x)[:2]
        order = ad.tensor([1, 0, 3, 2])[:2]     # made in the call from Python numbers
        return picked + w[order] + ad.tensor(np.array([0.5, 0.25]))[::-1]
    xs = [np.array([1.0, 2.0, 3.0, 4.0]), np.array([-1.0, 0.5, 2.0, 3.0])]
    (eager_losses, eager_w, _), (losses, w, traces) = _eager_and_compiled(body, xs)
    assert traces == 1
    np.testing.assert_array_equal(losses, eager_losses)
    np.testing.assert_array_equal(w, eager_w)


def test_count_nonzero_as_a_method_is_computed_again_at_each_replay():
    # (it was refused as an array made outside the library; ad.count_nonzero replayed)
    def body(w, x):
        positive = x > 0
        return w * positive.count_nonzero() + w * positive.reshape(2, 2).count_nonzero(
            dim=1).sum()
    xs = [np.array([1.0, 2.0, 3.0, 4.0]), np.array([-1.0, 2.0, -3.0, 4.0]),
          np.array([-1.0, -2.0, -3.0, 4.0])]
    (eager_losses, eager_w, _), (losses, w, traces) = _eager_and_compiled(body, xs)
    assert traces == 1
    np.testing.assert_array_equal(losses, eager_losses)
    np.testing.assert_array_equal(w, eager_w)
    t = ad.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert t.count_nonzero().dtype == np.int64 and int(t.count_nonzero().data) == 3
    np.testing.assert_array_equal(t.count_nonzero(dim=1).data, [1, 2])
