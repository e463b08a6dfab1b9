"""ad.compile: a traced step replays to the same bits as eager execution."""

import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from autodiff.nn import functional as F
from ulp_compare import assert_few_ulp


def _mlp_and_optimizer(kind, dtype, sizes=(6, 16, 16, 3)):
    model = ad.nn.MLP(list(sizes), rng=0)
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    if kind == "sgd":
        opt = ad.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    else:
        opt = ad.optim.Adam(model.parameters(), lr=1e-2)
    return model, opt


def _train_step(model, opt):
    def step(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_100_compiled_steps_equal_eager_bitwise(kind, dtype):
    rng = np.random.default_rng(0)
    eager_model, eager_opt = _mlp_and_optimizer(kind, dtype)
    model, opt = _mlp_and_optimizer(kind, dtype)
    eager = _train_step(eager_model, eager_opt)
    compiled = ad.compile(_train_step(model, opt))
    for i in range(100):
        xb = rng.normal(size=(32, 6)).astype(dtype)
        yb = rng.integers(0, 3, size=32)
        a, b = eager(xb, yb), compiled(xb, yb)
        assert a.data.tobytes() == b.data.tobytes(), f"step {i}"
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
        assert p.grad.tobytes() == q.grad.tobytes()
    assert compiled.traces == 1


def test_a_new_batch_size_traces_again_and_gives_the_eager_result():
    eager_model, eager_opt = _mlp_and_optimizer("sgd", np.float64)
    model, opt = _mlp_and_optimizer("sgd", np.float64)
    eager = _train_step(eager_model, eager_opt)
    compiled = ad.compile(_train_step(model, opt))
    rng = np.random.default_rng(1)
    for n in (8, 8, 5, 8, 5, 1):
        xb, yb = rng.normal(size=(n, 6)), rng.integers(0, 3, size=n)
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes()
    assert compiled.traces == 3
    assert len(compiled.plans) == 3


def test_the_plan_cache_drops_the_least_recently_used_signature():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    f = ad.compile(lambda x: (w * x).sum(), cache_size=2)
    with pytest.warns(RuntimeWarning, match="traced again, 3 times so far"):
        for n in (1, 2, 3, 1):
            f(np.ones((n, 2)))
    assert f.traces == 4                # (1, 2) was dropped when (3, 2) came


def test_gradients_accumulate_across_calls_without_zero_grad_as_in_eager():
    w = ad.tensor([0.5, -1.5], requires_grad=True)
    v = ad.tensor([0.5, -1.5], requires_grad=True)

    def f(x, param):
        (ad.tanh(param * x) ** 2).sum().backward()

    g = ad.compile(lambda x: f(x, v))
    for k in range(4):
        x = np.array([1.0 + k, 2.0])
        f(x, w)
        g(x)
        assert_few_ulp(v.grad, w.grad)          # tanh is fused: a few ulp


def test_two_backward_passes_through_one_graph_with_different_gradients():
    def make():
        w = ad.tensor([0.5, -1.0, 2.0], requires_grad=True)

        def f(x, upstream):
            y = ad.tanh(w * x)
            y.backward(upstream, retain_graph=True)
            y.backward(upstream * 3.0)
            return y
        return w, f

    w, eager = make()
    v, compiled = make()
    compiled = ad.compile(compiled)
    for k in range(3):
        x, up = np.array([1.0, 2.0, 3.0]) * k, ad.tensor([1.0, -2.0, 0.5 + k])
        eager(x, up)
        compiled(x, up)
        assert_few_ulp(v.grad, w.grad)
        w.grad = v.grad = None


def test_arguments_by_keyword():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    f = ad.compile(lambda x, *, scale: ((w * x).sum() * scale))
    for k in range(3):
        f(np.ones(2), scale=2.0)
        out = f(x=np.array([1.0, 1.0 + k]), scale=3.0)
        assert out.data == 3.0 * (1.0 + 2.0 * (1.0 + k))
    assert f.traces == 2


def test_input_tensors_that_require_grad_get_their_gradient_on_every_call():
    def f(x, y):
        z = (ad.exp(x) * y).sum()
        z.backward()
        return z

    g = ad.compile(f)
    for k in range(3):
        x = ad.tensor([1.0, 2.0 + k], requires_grad=True)
        y = ad.tensor([3.0, -1.0], requires_grad=True)
        x2, y2 = ad.tensor(x.data, requires_grad=True), ad.tensor(y.data, requires_grad=True)
        assert_few_ulp(g(x2, y2).data, f(x, y).data)
        assert_few_ulp(x2.grad, x.grad)
        assert_few_ulp(y2.grad, y.grad)


# ----- random programs drawn from the registry ------------------------------------

UNARY = ["exp", "tanh", "sigmoid", "relu", "sin", "cos", "square", "negative", "abs"]
BINARY = ["add", "subtract", "multiply", "maximum", "minimum"]


def _random_program(rng):
    """A list of steps over a pool of values, drawn from elementwise ops (with
    broadcasting), reductions, matmul and indexing."""
    steps = []
    for _ in range(rng.integers(3, 12)):
        kind = rng.choice(["unary", "binary", "binary", "reduce", "matmul", "index"])
        steps.append((kind, int(rng.integers(0, 1 << 30))))
    return steps


def _run(steps, x, w, b):
    pool = [x, w]
    for kind, seed in steps:
        r = np.random.default_rng(seed)
        a = pool[r.integers(len(pool))]
        if kind == "unary":
            out = getattr(ad, UNARY[r.integers(len(UNARY))])(a)
        elif kind == "binary":
            other = pool[r.integers(len(pool))]
            if other.shape != a.shape:      # broadcast a row, or a scalar
                other = b if a.shape[-1:] == b.shape else b[1]
            out = getattr(ad, BINARY[r.integers(len(BINARY))])(a, other)
        elif kind == "reduce":              # over rows or columns, broadcast back
            if a.ndim:
                reduce = (ad.sum, ad.mean, ad.max)[r.integers(3)]
                out = reduce(a, axis=(-1, 0)[r.integers(2)], keepdims=True) + a
            else:
                out = a * 2.0 + a
        elif kind == "matmul" and a.ndim == 2 and a.shape[-1] == 3:
            out = ad.tanh(a @ ad.transpose(w))
        elif kind == "index" and a.ndim == 2:
            out = ad.concatenate([a[1:], a[:1] * 0.5], axis=0)
        else:
            out = a * 1.5
        pool.append(out)
    return sum(ad.sum(p) for p in pool[2:]) if len(pool) > 2 else ad.sum(x * w)


@pytest.mark.parametrize("fuse", [False, True])
@pytest.mark.parametrize("seed", range(25))
def test_random_programs_replay_like_eager_forward_and_gradients(seed, fuse):
    """Bitwise without fusion; within a few ulp with it."""
    rng = np.random.default_rng(seed)
    steps = _random_program(rng)
    w_eager = ad.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    w = ad.tensor(w_eager.data.copy(), requires_grad=True)
    b = ad.tensor(rng.normal(size=3))

    def step(x, weight):
        loss = _run(steps, x, weight, b)
        loss.backward()
        return loss, weight.grad, x.grad

    compiled = ad.compile(lambda x: step(x, w), fuse=fuse)

    def same(got, want):
        if fuse:
            assert_few_ulp(got, want)
        else:
            assert got.tobytes() == want.tobytes()

    for _ in range(3):
        x = rng.normal(size=(4, 3))
        w.grad = w_eager.grad = None
        loss, grad, x_grad = step(ad.tensor(x, requires_grad=True), w_eager)
        x2 = ad.tensor(x, requires_grad=True)
        loss2, grad2, x_grad2 = compiled(x2)
        same(loss2.data, loss.data)
        same(grad2, grad)
        if x_grad is None:                  # the program did not use x
            assert x_grad2 is None and x2.grad is None
        else:
            same(x_grad2, x_grad)
            assert x_grad2 is x2.grad


# ----- memory -----------------------------------------------------------------------

def test_memory_stays_flat_over_10000_compiled_steps():
    model, opt = _mlp_and_optimizer("sgd", np.float64, sizes=(2, 4, 2))
    step = ad.compile(_train_step(model, opt))
    xb, yb = np.ones((4, 2)), np.array([0, 1, 0, 1])
    for _ in range(100):
        step(xb, yb)
    tracemalloc.start()
    try:
        first = tracemalloc.get_traced_memory()[0]
        for _ in range(10_000):
            step(xb, yb)
        grown = tracemalloc.get_traced_memory()[0] - first
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"{grown} bytes more after 10,000 steps"


# ----- refusals ---------------------------------------------------------------------

W = ad.tensor([1.0, -2.0], requires_grad=True)


@pytest.mark.parametrize("body, words", [
    (lambda x: (W * x).sum().item(), "item()"),
    (lambda x: float((W * x).sum()), "item()"),
    (lambda x: W * 2 if (W * x).sum() > 0 else W, "bool()"),
    (lambda x: np.asarray(W * x) + 1, "np.asarray"),
])
def test_values_leaving_the_library_are_refused_naming_the_op_and_line(body, words):
    f = ad.compile(body)
    with pytest.raises(TraceError) as error:
        f(np.ones(2))
    message = str(error.value)
    assert words in message and "test_compile.py" in message


def test_numpy_on_grad_inside_the_function_is_refused():
    p = ad.tensor([1.0, 2.0], requires_grad=True)

    def manual_sgd(x):
        (p * x).sum().backward()
        with ad.no_grad():
            p.sub_(0.1 * p.grad)        # NumPy on .grad: a replay could not follow it
        p.grad = None

    f = ad.compile(manual_sgd)
    with pytest.raises(TraceError, match="test_compile.py.*outside the library"):
        f(np.ones(2))


def test_in_place_updates_in_no_grad_replay_like_eager():
    def make():
        p = ad.tensor([1.0, 2.0, -0.5], requires_grad=True)

        def manual_sgd(x):
            loss = (ad.sigmoid(p * x) ** 2).sum()
            loss.backward()
            with ad.no_grad():
                p.sub_(ad.tensor(p.grad) * 0.1)     # tensor ops on .grad: recorded
                p.clamp_(-1.0, 1.5)
                p[0] = 0.25 * p[1]
            p.grad = None
            return loss
        return p, manual_sgd

    p, eager = make()
    q, step = make()
    step = ad.compile(step)
    for k in range(5):
        x = np.array([1.0, -1.0, 0.5]) * (k + 1)
        assert eager(x).data == step(x).data
        assert np.array_equal(p.data, q.data)
    assert step.traces == 1


def test_a_function_replays_its_forward_and_backward():
    class Cube(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved
            return grad * 3 * x ** 2

    w = ad.tensor([1.0, -2.0], requires_grad=True)

    def f(x):
        w.grad = None
        y = Cube.apply(w * x).sum()
        y.backward()
        return y, w.grad

    g = ad.compile(f)
    for k in range(3):
        x = np.array([1.0, 0.5 + k])
        y1, g1 = f(x)
        g1 = g1.copy()
        y2, g2 = g(x)
        assert y1.data == y2.data and np.array_equal(g1, g2)


def test_custom_gradient_is_refused():
    @ad.custom_gradient
    def scaled(x):
        return x * 2.0, lambda g: g * 2.0 * x

    f = ad.compile(lambda x: scaled(W * x).sum())
    with pytest.raises(TraceError, match="custom_gradient"):
        f(np.ones(2))


def test_returning_an_array_no_step_made_is_refused():
    def f(x):
        h = W * x
        h.retain_grad()
        (h ** 2).sum().backward()
        W.grad = None
        return h.grad                   # set by the engine, not by a recorded step

    with pytest.raises(TraceError, match="returns an array of shape"):
        ad.compile(f)(np.ones(2))
    with pytest.raises(TraceError, match="returns an array of shape"):
        ad.compile(lambda x: (W * x, W.data * 2))(np.ones(2))
    with pytest.raises(TraceError, match="returns the number"):
        ad.compile(lambda x: float((W * x).sum().data))(np.ones(2))


def test_global_random_numbers_are_refused():
    f = ad.compile(lambda x: (W * x * ad.tensor(np.random.normal(size=2))).sum())
    with pytest.raises(TraceError, match="random"):
        f(np.ones(2))


@pytest.mark.parametrize("make", [
    lambda rng: ad.tensor(rng.normal(size=2)),          # a draw outside any rng= argument
    lambda rng: ad.tensor(W.data * 2.0),                # NumPy on .data
])
def test_tensors_made_from_arrays_built_outside_the_library_are_refused(make):
    rng = np.random.default_rng(0)
    f = ad.compile(lambda x: (W * x * make(rng)).sum())
    with pytest.raises(TraceError, match="test_compile.py.*made during the call"):
        f(np.ones(2))


@pytest.mark.parametrize("make", [
    lambda x, rng: x.data.sum(),                        # a NumPy scalar from .data
    lambda x, rng: np.mean(W.data),
    lambda x, rng: np.asarray(x.data.sum()),            # a 0-d array
    lambda x, rng: ad.tensor(x.data.max()),             # a 0-d tensor
])
def test_zero_d_values_made_from_data_in_the_call_are_refused(make):
    rng = np.random.default_rng(0)
    f = ad.compile(lambda x: (W * x).sum() * make(x, rng))
    with pytest.raises(TraceError, match="test_compile.py.*made during the call"):
        f(np.ones(2))


def test_numbers_drawn_from_a_captured_generator_are_refused():
    rng = np.random.default_rng(0)
    f = ad.compile(lambda x: (W * x).sum() * rng.normal())     # a Python float
    with pytest.raises(TraceError, match="random generator 'rng'"):
        f(np.ones(2))


SCALE = np.float64(3.0)


def test_numbers_from_before_the_call_and_generators_given_to_ops_are_fine():
    rng = np.random.default_rng(0)
    half = np.float32(0.5)

    def f(x):
        return ((W * x).sum() * SCALE * half * 2.0 + ad.rand(2, rng=rng)).sum()

    step = ad.compile(f)
    first, second = step(np.ones(2)).data, step(np.ones(2)).data
    assert first != second and step.traces == 1            # drawn again at the replay


def test_tensors_made_in_the_call_from_python_numbers_are_constants():
    def f(x):
        return (W * x * ad.tensor([2.0, 3.0])).sum() - ad.tensor(1.0)

    step = ad.compile(f)
    for x in (np.ones(2), np.array([2.0, -1.0])):
        assert step(x).data == f(x).data
    assert step.traces == 1


def test_constant_tensors_made_outside_the_function_are_fine():
    scale = ad.tensor([2.0, 3.0])
    f = ad.compile(lambda x: (W * x * scale).sum())
    assert f(np.ones(2)).data == f(np.ones(2)).data == -4.0


def test_grad_set_to_none_by_hand_is_replayed():
    def make():
        p = ad.tensor([1.0, 2.0], requires_grad=True)

        def f(x):
            y = (p * p * x).sum()
            p.grad = None               # not through zero_grad: seen at the next op
            y.backward()
            return y
        return p, f

    p, eager = make()
    q, step = make()
    step = ad.compile(step)
    for k in range(3):
        eager(np.ones(2) * k)
        step(np.ones(2) * k)
        assert np.array_equal(p.grad, q.grad)
    assert "clear_grad" in str(step.plan)


def test_grad_set_to_an_array_by_hand_is_refused():
    p = ad.tensor([1.0, 2.0], requires_grad=True)

    def f(x):
        y = (p * x).sum()
        p.grad = np.zeros(2)
        y.backward()

    with pytest.raises(TraceError, match="is set to an array at test_compile.py"):
        ad.compile(f)(np.ones(2))


def _update_data_in_place(w, ema):
    w.data -= 0.1 * w.grad              # NumPy in place, then w.data = that array


def _assign_data(w, ema):
    ema.data = 0.9 * ema.data + 0.1 * w.data


@pytest.mark.parametrize("update", [_update_data_in_place, _assign_data])
def test_assigning_data_of_a_tensor_from_before_the_call_is_refused(update):
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    ema = ad.tensor([0.0, 0.0])

    def f(x):
        w.grad = None
        (w * x).sum().backward()
        update(w, ema)

    with pytest.raises(TraceError, match=r"\.data of .* assigned at test_compile.py"):
        ad.compile(f)(np.ones(2))


def test_data_of_a_tensor_made_in_the_call_may_be_assigned():
    w = ad.tensor([1.0, 2.0], requires_grad=True)

    def f(x):
        h = w * x
        h.data = (w * 3.0).data         # an array a recorded step made
        return h

    step = ad.compile(f)
    for k in range(3):
        assert np.array_equal(step(np.full(2, k)).data, [3.0, 6.0])


def test_an_average_updated_in_place_under_no_grad_replays_like_eager():
    def make():
        w = ad.tensor([1.0, 2.0], requires_grad=True)
        ema = ad.tensor([0.0, 0.0])
        opt = ad.optim.SGD([w], lr=0.1)

        def f(x):
            opt.zero_grad()
            (w * w * x).sum().backward()
            opt.step()
            with ad.no_grad():
                ema.copy_(0.9 * ema + 0.1 * w)
        return ema, f

    ema, eager = make()
    ema_c, step = make()
    step = ad.compile(step)
    for k in range(4):
        eager(np.full(2, k + 1.0))
        step(np.full(2, k + 1.0))
        assert np.array_equal(ema.data, ema_c.data)
    assert step.traces == 1


def test_a_changed_captured_array_is_noticed_and_traced_again():
    scale = np.array([1.0, 2.0])
    w = ad.tensor([1.0, 1.0], requires_grad=True)
    f = ad.compile(lambda x: (w * x * scale).sum())
    assert f(np.ones(2)).data == 3.0
    assert f(np.ones(2)).data == 3.0
    scale[1] = 10.0                     # the plan captured this array
    assert f(np.ones(2)).data == 11.0
    assert f.traces == 2


def test_a_parameter_given_an_array_of_another_shape_is_traced_again():
    w = ad.tensor([1.0, 1.0], requires_grad=True)
    f = ad.compile(lambda x: (w * x).sum())
    assert f(np.ones(2)).data == 2.0
    w.data = np.array([2.0])                # broadcasts against x: another plan
    assert f(np.ones(2)).data == 4.0
    w.data = np.array([3.0, 3.0])           # same shape, new array: read on each call
    assert f(np.ones(2)).data == 6.0
    assert f.traces == 3


class _Net(ad.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = ad.nn.Linear(3, 4, rng=0)
        self.fc = ad.nn.Linear(4, 2, rng=1)

    def forward(self, x):
        return self.fc(ad.tanh(self.hidden(x)))


def _rebinding_run(compiled, rebind):
    model = _Net()
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def new_optimizer():
        nonlocal opt
        opt = ad.optim.Adam(model.parameters(), lr=0.05)

    f = ad.compile(step) if compiled else step
    x, y = np.ones((5, 3)), np.full((5, 2), 0.5)
    losses = []
    for k in range(5):
        if k == 2 and rebind == "layer":
            model.fc = ad.nn.Linear(4, 2, rng=7)        # the old optimizer does not see it
        elif k == 2 and rebind == "optimizer":
            new_optimizer()
        losses.append(float(f(x, y).data))
    return losses, getattr(f, "traces", None)


@pytest.mark.filterwarnings("ignore:SGD.step. parameter 'fc")    # the replaced head
@pytest.mark.parametrize("rebind", ["layer", "optimizer"])
def test_a_new_layer_or_a_new_optimizer_between_calls_is_traced_again(rebind):
    eager, _ = _rebinding_run(False, rebind)
    compiled, traces = _rebinding_run(True, rebind)
    np.testing.assert_allclose(compiled, eager, rtol=1e-12)   # Adam's step is fused
    assert traces == 2


def test_an_object_replaced_in_a_dict_entry_the_code_names_traces_again():
    w = ad.tensor([1.0, 1.0], requires_grad=True)
    held = {"w": w}
    f = ad.compile(lambda x: (held["w"] * x).sum())
    assert f(np.ones(2)).data == 2.0
    held["w"] = ad.tensor([5.0, 5.0], requires_grad=True)
    assert f(np.ones(2)).data == 10.0
    assert f.traces == 2


def test_the_plan_prints_one_line_per_step_with_sizes():
    model, opt = _mlp_and_optimizer("sgd", np.float64, sizes=(2, 3, 2))
    step = ad.compile(_train_step(model, opt))
    step(np.ones((4, 2)), np.array([0, 1, 0, 1]))
    text = str(step.plan)
    assert text.splitlines()[0].startswith("plan for step:")
    assert "op matmul" in text and "rule matmul" in text and "call SGD.step" in text
    assert "float64[4, 3] 96 B" in text
    assert len(text.splitlines()) == len(step.plan.instrs) + 1 + bool(step.plan.removed)


def test_the_plan_draws_with_its_phases_as_clusters():
    model, opt = _mlp_and_optimizer("sgd", np.float64, sizes=(2, 3, 2))
    step = ad.compile(_train_step(model, opt))
    step(np.ones((4, 2)), np.array([0, 1, 0, 1]))
    source = ad.viz.draw(step.plan).source
    for cluster in ("cluster_forward", "cluster_backward", "cluster_updates"):
        assert cluster in source
    boxes = sum(len(i.extra["kernel"].members) if i.kind == "kernel" else 1
                for i in step.plan.instrs)      # a fused kernel: one box per step in it
    assert source.count("shape=box") == boxes
    assert "cross_entropy head (fused)" in source and "call SGD.step" in source


def test_the_replay_calls_raw_functions_and_builds_no_node():
    import gc
    from autodiff.graph import Node
    from autodiff.ops.registry import Op

    model, opt = _mlp_and_optimizer("adam", np.float64, sizes=(2, 3, 2))
    step = ad.compile(_train_step(model, opt))
    xb, yb = np.ones((4, 2)), np.array([0, 1, 0, 1])
    step(xb, yb)
    step(xb, yb)
    gc.collect()
    before = sum(issubclass(type(o), Node) for o in gc.get_objects())
    step(xb, yb)
    gc.collect()
    assert sum(issubclass(type(o), Node) for o in gc.get_objects()) == before
    assert not any(isinstance(f, Op) for f in step.plan.functions)
    lines = step.plan.source.splitlines()
    assert [k for k, line in enumerate(lines) if "MAKE(" in line] == [len(lines) - 1]


def test_a_scheduler_stepped_inside_the_function_is_replayed():
    def make():
        model, opt = _mlp_and_optimizer("sgd", np.float64, sizes=(2, 3, 2))
        sched = ad.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        inner = _train_step(model, opt)

        def step(xb, yb):
            loss = inner(xb, yb)
            sched.step()
            return loss
        return model, step

    eager_model, eager = make()
    model, step = make()
    step = ad.compile(step)
    xb, yb = np.ones((4, 2)), np.array([0, 1, 0, 1])
    for _ in range(6):
        assert eager(xb, yb).data.tobytes() == step(xb, yb).data.tobytes()
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()


def test_step_with_a_closure_is_refused():
    model, opt = _mlp_and_optimizer("sgd", np.float64, sizes=(2, 3, 2))

    def f(xb, yb):
        return opt.step(lambda: F.cross_entropy(model(xb), yb))

    with pytest.raises(TraceError, match="SGD.step is called with arguments(.|\n)*closure="):
        ad.compile(f)(np.ones((4, 2)), np.array([0, 1, 0, 1]))


def test_with_autodiff_jit_0_the_plan_replays_numpy_and_equals_eager(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "jit0.py"
    script.write_text(
        "import numpy as np, autodiff as ad\n"
        "from autodiff import kernels\n"
        "from autodiff.nn import functional as F\n"
        "assert not kernels.JIT_ENABLED\n"
        "def make():\n"
        "    m = ad.nn.MLP([3, 5, 2], rng=0); o = ad.optim.Adam(m.parameters(), lr=0.1)\n"
        "    def step(x, y):\n"
        "        loss = F.cross_entropy(m(x), y); o.zero_grad(); loss.backward(); o.step()\n"
        "        return loss\n"
        "    return step\n"
        "eager, compiled = make(), ad.compile(make())\n"
        "x, y = np.linspace(-1, 1, 12).reshape(4, 3), np.array([0, 1, 1, 0])\n"
        "for _ in range(20):\n"
        "    assert eager(x, y).data.tobytes() == compiled(x, y).data.tobytes()\n"
        "print(compiled.traces)\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, AUTODIFF_JIT="0",
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def _tracers_alive():
    from autodiff.compile.tracer import Tracer
    # type(), not isinstance: a dead weak proxy among gc's objects raises on isinstance
    return sum(issubclass(type(o), Tracer) for o in gc.get_objects())


def test_a_trace_leaves_no_cycle_keeping_its_graph_alive():
    """Without the cycle collector, a finished or refused trace frees its tracer and
    nodes at once: the parameters it saved are writable again for the next step."""
    model = ad.nn.MLP([2, 4, 3], rng=0)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    X, y = np.random.default_rng(0).normal(size=(5, 2)), np.array([0, 1, 2, 0, 1])

    @ad.compile
    def good(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    @ad.compile
    def refused(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        return loss * 2 if loss.item() > 0 else loss

    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = _tracers_alive()
        good(X, y)
        with pytest.raises(TraceError):
            refused(X, y)
        assert _tracers_alive() == before
        loss = F.cross_entropy(model(ad.tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()          # raised "read-only" while a refused trace lingered
    finally:
        if was_enabled:
            gc.enable()


def test_tracing_more_often_than_the_cache_holds_plans_warns_once_saying_why():
    w = ad.tensor(np.ones(3), requires_grad=True)

    @ad.compile(cache_size=3)
    def step(x, lr):
        loss = (w * x).sum() * lr
        loss.backward()
        return loss

    with pytest.warns(RuntimeWarning) as caught:
        for k in range(6):
            step(np.ones(3), 1.0 / (k + 1))     # a new Python float: a new signature
    found = [str(w.message) for w in caught if "traced again" in str(w.message)]
    assert found == [found[0]] and step.traces == 6
    assert found[0].startswith(
        "compile: step is traced again, 4 times so far (argument 1: 0.3333333333333333 -> "
        "0.25)")
    assert caught[0].filename == __file__


def test_a_captured_array_changed_at_every_call_is_named_when_it_retraces_too_often():
    w = ad.tensor(np.ones(3), requires_grad=True)
    scale = np.ones(3)

    @ad.compile(cache_size=2)
    def step(x):
        return (w * x * scale).sum()            # 'scale' read as a constant, checksummed

    with pytest.warns(RuntimeWarning, match=r"traced again, 3 times so far \(the NumPy "
                      r"array the function captures, read by 'multiply' at .*changed its "
                      r"values\)"):
        with ad.no_grad():
            for k in range(4):
                scale[0] = k
                step(np.ones(3))


def test_a_few_signatures_that_fit_the_cache_do_not_warn():
    w = ad.tensor(np.ones(3), requires_grad=True)
    step = ad.compile(lambda x: (w * x).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for _ in range(10):
            for n in (4, 5, 6):                 # three batch sizes, again and again
                step(np.ones((n, 3)))
    assert step.traces == 3


def test_a_tensor_argument_with_a_graph_after_a_leaf_at_the_trace_is_refused_not_replayed():
    # The plan made for a leaf argument would give the graph's output a .grad and the
    # ops before it no gradient; a tensor with a graph traces again, which refuses it.
    encoder = ad.tensor(np.full((3, 3), 0.5), requires_grad=True)
    w = ad.tensor(np.ones(3), requires_grad=True)

    @ad.compile
    def step(h):
        loss = (h @ w).sum()
        loss.backward()
        return loss

    step(ad.tensor(np.ones((2, 3)), requires_grad=True))
    features = ad.tensor(np.ones((2, 3))) @ encoder
    with pytest.raises(ad.TraceError, match="recorded before the call"):
        step(features)


def test_a_returned_namedtuple_is_built_again_by_each_replay():
    from collections import OrderedDict, namedtuple
    Out = namedtuple("Out", "loss scaled")
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        return Out(loss, loss * 2.0)

    for k in range(3):
        out = step(np.full(2, float(k)))
        assert type(out) is Out and float(out.scaled.data) == 2 * float(out.loss.data) == 6 * k

    @ad.compile
    def ordered(x):
        return OrderedDict(loss=(w * x).sum())

    with pytest.raises(TraceError, match="OrderedDict, a subclass of dict"):
        ordered(np.ones(2))


def test_an_array_argument_that_is_also_captured_stays_captured_in_replays():
    anchor = np.array([1.0, 2.0])
    w = ad.tensor(np.array([0.5, -1.0]), requires_grad=True)

    @ad.compile
    def step(x):
        return (w * x).sum() + (w * anchor).sum() * 10.0

    step(anchor)                        # the first batch happens to be the anchor itself
    x = np.array([3.0, 5.0])
    assert float(step(x).data) == float((w * x).sum().data) + float((w * anchor).sum().data) * 10


def test_a_tensor_argument_that_the_function_also_captures_is_refused():
    anchor = ad.tensor(np.array([1.0, 2.0]))

    @ad.compile
    def step(x):
        return (x * anchor).sum()

    with pytest.raises(TraceError, match="argument 0 of step is the tensor the function "
                                         "also reaches as anchor"):
        step(anchor)
    assert float(step(ad.tensor(np.array([3.0, 5.0]))).data) == 13.0


def _dropout_model():
    return ad.nn.Sequential(ad.nn.Linear(4, 6, rng=0), ad.nn.Dropout(0.5, rng=1),
                            ad.nn.Linear(6, 2, rng=2))


def test_train_and_eval_inside_the_step_replay_as_eager_without_tracing_each_call():
    # The plans are keyed by the training flags at the call's start, not at the first
    # use (train() inside the step set that to True at every call, while the call
    # began in eval mode: a new trace at every call), and a replay leaves the flags
    # as the traced call did.
    models = [_dropout_model(), _dropout_model()]
    xs = np.random.default_rng(0).normal(size=(6, 3, 4))

    def make(model):
        def step(x, xv):
            model.train()
            loss = (model(x) ** 2).mean()
            model.zero_grad()
            loss.backward()
            model.eval()
            return loss, model(xv)
        return step

    eager, compiled = make(models[0]), ad.compile(make(models[1]))
    for x in xs:
        expected, got = eager(x, x[:1]), compiled(x, x[:1])
        for e, g in zip(expected, got):
            assert e.data.tobytes() == g.data.tobytes()
        assert models[1].training is False and models[1][1].training is False
    assert compiled.traces == 2


def test_a_step_that_only_switches_to_train_leaves_the_model_training_after_a_replay():
    model = _dropout_model()

    @ad.compile
    def step(x):
        model.train()
        return (model(x) ** 2).mean()

    for x in np.random.default_rng(1).normal(size=(4, 3, 4)):
        model.eval()                    # evaluation between steps, outside
        step(x)
        assert model.training and model[1].training
    assert step.traces == 1


def test_a_returned_loss_whose_graph_a_backward_kept_is_warned_of_as_kept():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)

    @ad.compile
    def step(x):
        out = w * x
        first, second = out.sum(), (out ** 2).sum()
        first.backward(retain_graph=True)
        second.backward()
        return first

    with pytest.warns(ad.TapeDropWarning, match="with the graph its backward kept "
                                                "\\(retain_graph=True\\)"):
        step(np.ones(2))


def test_a_compiled_step_runs_eagerly_inside_detect_anomaly_and_its_nan_is_reported():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)

    @ad.compile
    def step(x):
        loss = ad.sqrt(w * x).sum()
        loss.backward()
        return loss

    step(np.ones(2))
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError, match="sqrt: the forward pass "
                                                                    "produced NaN"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            step(np.array([-1.0, 1.0]))
    assert step.traces == 1 and float(step(np.ones(2)).data) == 1.0 + np.sqrt(2.0)
