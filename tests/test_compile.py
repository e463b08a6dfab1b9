"""ad.compile: a traced step replays to the same bits as eager execution."""

import gc
import tracemalloc

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
            assert x_grad2 is x2.grad.base      # (the buffer that .grad views)


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


def test_the_plan_prints_one_line_per_step_with_sizes():
    model, opt = _mlp_and_optimizer("sgd", np.float64, sizes=(2, 3, 2))
    step = ad.compile(_train_step(model, opt))
    step(np.ones((4, 2)), np.array([0, 1, 0, 1]))
    text = str(step.plan)
    assert text.splitlines()[0].startswith("plan for step:")
    assert "op matmul" in text and "rule matmul" in text and "call SGD.step" in text
    assert "float64[4, 3] 96 B" in text
    steps, checks = text.split("\n  checked before each replay", 1)   # (plan_checks.py)
    assert len(steps.splitlines()) == len(step.plan.instrs) + 1 + bool(step.plan.removed)
    assert "layers.0.weight, layers.0.bias" in checks


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
    # (the returned loss alone is made, by its last line: a tensor requiring grad, as
    # eager's, over one node with no inputs: outputs.replayed_tensor)
    made = [k for k, line in enumerate(lines) if "MAKE(" in line or "replayed_tensor" in
            repr(step.plan.replay.__globals__.get(line.split("return ")[-1].split("(")[0]))]
    assert made == [len(lines) - 1]


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
