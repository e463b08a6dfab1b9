"""ad.compile fuses elementwise steps into generated loops; results stay eager's to a
few ulp, the plan shows the groups, and the loops are cached on disk."""

import os
import warnings
import subprocess
import sys

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.compile import fuse
from ulp_compare import assert_few_ulp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _kernels(plan):
    return [i.extra["kernel"] for i in plan.instrs if i.kind == "kernel"]


def _expression(x, y):
    return ad.sigmoid(x) * ad.tanh(y) + ad.exp(-(x * x)) * y - ad.relu(x) / (1.0 + y * y)


SHAPES = [((), ()), ((1,), ()), ((5,), ()), ((5,), (1,)), ((3, 4), ()), ((3, 4), (1, 1)),
          ((3, 4), (3, 4)), ((1, 4), (4,)), ((3, 4), (4,)), ((2, 1), (2, 3))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, y_shape", SHAPES)
def test_fused_forward_and_gradients_equal_eager_to_a_few_ulp(x_shape, y_shape, dtype):
    rng = np.random.default_rng(len(x_shape) * 10 + len(y_shape))

    def step(x, y):
        out = _expression(x, y)
        out.backward(np.ones(out.shape, dtype))
        return out, x.grad, y.grad

    compiled = ad.compile(step)
    for _ in range(3):
        xd = rng.normal(size=x_shape).astype(dtype)
        yd = rng.normal(size=y_shape).astype(dtype)
        want = step(ad.tensor(xd, requires_grad=True), ad.tensor(yd, requires_grad=True))
        got = compiled(ad.tensor(xd, requires_grad=True), ad.tensor(yd, requires_grad=True))
        assert_few_ulp(got[0].data, want[0].data, what="forward")
        assert_few_ulp(got[1], want[1], what="x.grad")
        assert_few_ulp(got[2], want[2], what="y.grad")
    fused = _kernels(compiled.plan)
    assert fused, compiled.plan
    assert all(k.n_ops >= 2 for k in fused)
    if kernels.JIT_ENABLED:
        assert all(k.mode == "numba" for k in fused)


def _tiny_net(dtype):
    rng = np.random.default_rng(0)
    params = [ad.tensor(rng.normal(size=(3, 8)).astype(dtype) * 0.5, requires_grad=True),
              ad.tensor(np.zeros(8, dtype), requires_grad=True),
              ad.tensor(rng.normal(size=(8, 1)).astype(dtype) * 0.5, requires_grad=True)]
    opt = ad.optim.SGD(params, lr=0.1, momentum=0.9)

    def step(x, y):
        w1, b1, w2 = params
        h = ad.tanh(x @ w1 + b1)
        out = ad.sigmoid(h @ w2) * 2.0 - 1.0
        loss = ((out - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return params, step


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_100_fused_training_steps_agree_with_eager(dtype):
    eager_params, eager = _tiny_net(dtype)
    params, step = _tiny_net(dtype)
    compiled = ad.compile(step)
    rng = np.random.default_rng(1)
    for i in range(100):
        x = rng.normal(size=(16, 3)).astype(dtype)
        y = np.sin(x.sum(axis=1, keepdims=True)).astype(dtype)
        assert_few_ulp(compiled(x, y).data, eager(x, y).data, ulps=64, what=f"loss {i}")
    for p, q in zip(eager_params, params):
        assert_few_ulp(q.data, p.data, ulps=64, what="parameter")
    assert compiled.traces == 1
    assert _kernels(compiled.plan)


def test_a_10000_op_chain_is_cut_into_loops_of_at_most_max_ops():
    x = ad.tensor(0.5, requires_grad=True)

    def chain():
        y = x
        for _ in range(5000):
            y = y * 0.9999
            y = y + 0.0001
        x.grad = None
        y.backward()
        return y, x.grad

    compiled = ad.compile(chain)
    compiled()
    y, grad = compiled()
    y_eager, grad_eager = chain()
    assert y.data.tobytes() == y_eager.data.tobytes()       # + and *: the same roundings
    assert grad.tobytes() == grad_eager.tobytes()
    fused = _kernels(compiled.plan)
    assert max(k.n_ops for k in fused) <= fuse.MAX_OPS
    assert sum(k.n_ops for k in fused) >= 10000             # every op is in some loop
    assert len(compiled.plan.instrs) < 200


def test_an_op_the_fuser_cannot_write_as_a_loop_stays_a_step_and_is_right():
    double = ad.defop("double_through_asarray", lambda x: np.asarray(x) * 2.0,
                      x=("2 g", lambda xp, g, ans, x: g * 2.0))
    try:
        w = ad.tensor([0.5, -1.0, 2.0], requires_grad=True)

        def f(x):
            out = ad.tanh(double(ad.exp(w * x)) * 0.5)
            out.sum().backward()
            return out

        compiled = ad.compile(f)
        x = np.array([1.0, 0.5, -0.25])
        got = compiled(x).data
        grad = w.grad.copy()
        w.grad = None
        want = f(x).data
        assert_few_ulp(got, want)
        assert_few_ulp(grad, w.grad)
        ops = [i.label for i in compiled.plan.instrs if i.kind == "op"]
        assert "double_through_asarray" in ops                   # not fused ...
        members = [m[1] for k in _kernels(compiled.plan) for m in k.members]
        assert "double_through_asarray.x" in " ".join(members)   # ... its rule is
    finally:
        ad.ops.registry.unregister("double_through_asarray")


def test_the_plan_prints_each_kernel_with_its_ops_and_draws_it_as_a_cluster():
    x = ad.tensor(np.linspace(-1, 1, 6), requires_grad=True)

    def f():
        y = ad.sigmoid(x) * ad.tanh(x)
        x.grad = None
        y.sum().backward()
        return x.grad

    compiled = ad.compile(f)
    compiled()
    text = str(compiled.plan)
    lines = [line for line in text.splitlines() if "= kernel k" in line]
    assert len(lines) == len(_kernels(compiled.plan)) >= 1
    assert "sigmoid" in lines[0] and "tanh" in lines[0] and "float64[6] 48 B" in text
    source = ad.viz.draw(compiled.plan).source
    assert "cluster_kernel" in source and "fused kernel k0" in source
    assert "rule sigmoid.x" in source


_SCRIPT = """
import json, sys, warnings
import numpy as np, autodiff as ad
from autodiff import kernels
x = ad.tensor(np.linspace(-2, 2, 7), requires_grad=True)
def f(up):
    y = ad.sigmoid(x) * ad.tanh(x) + ad.exp(-(x * x))
    x.grad = None
    y.backward(up)
    return y, x.grad
compiled = ad.compile(f)
up = np.linspace(1, 2, 7)
for _ in range(3):
    got = compiled(up)
want = f(up)
kernels_ = [i.extra["kernel"] for i in compiled.plan.instrs if i.kind == "kernel"]
stats = [(dict(k.dispatcher.stats.cache_hits), dict(k.dispatcher.stats.cache_misses))
         if k.dispatcher is not None else None for k in kernels_]
print(json.dumps({
    "jit": kernels.JIT_ENABLED,
    "groups": [[list(m[:3]) for m in k.members] for k in kernels_],
    "modes": [k.mode for k in kernels_],
    "bitwise": [a.tobytes() == b.tobytes() for a, b in ((got[0].data, want[0].data),
                                                        (got[1], want[1]))],
    "hits": [sum(s[0].values()) if s else 0 for s in stats],
    "misses": [sum(s[1].values()) if s else 0 for s in stats]}))
"""


def _run(tmp_path, **env):
    import json

    script = tmp_path / "fused.py"
    script.write_text(_SCRIPT)
    environment = dict(os.environ, **env)
    environment["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=environment, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_autodiff_jit_0_replays_the_same_groups_with_numpy_and_equals_eager(tmp_path):
    with_numpy = _run(tmp_path, AUTODIFF_JIT="0", AUTODIFF_CACHE_DIR=str(tmp_path / "c0"))
    assert with_numpy["jit"] is False
    assert with_numpy["modes"] == ["numpy"] * len(with_numpy["groups"])
    assert with_numpy["groups"]
    assert with_numpy["bitwise"] == [True, True]    # the same NumPy calls as eager
    with_numba = _run(tmp_path, AUTODIFF_JIT="1", AUTODIFF_CACHE_DIR=str(tmp_path / "c1"))
    assert with_numba["groups"] == with_numpy["groups"]


def test_a_second_process_loads_the_kernels_from_the_disk_cache(tmp_path):
    pytest.importorskip("numba")
    cache = tmp_path / "kernels"
    first = _run(tmp_path, AUTODIFF_JIT="1", AUTODIFF_CACHE_DIR=str(cache))
    assert first["modes"] == ["numba"] * len(first["groups"])
    assert all(m >= 1 for m in first["misses"]) and not any(first["hits"])
    assert any(name.startswith("fused_") and name.endswith(".py") for name in os.listdir(cache))
    second = _run(tmp_path, AUTODIFF_JIT="1", AUTODIFF_CACHE_DIR=str(cache))
    assert second["groups"] == first["groups"]
    assert all(h >= 1 for h in second["hits"]) and not any(second["misses"])


def test_without_fusion_the_plan_has_no_kernel():
    x = ad.tensor(np.linspace(-1, 1, 4), requires_grad=True)
    compiled = ad.compile(lambda: (ad.tanh(x) * ad.exp(x)).sum(), fuse=False)
    compiled()
    assert not _kernels(compiled.plan)


def test_nan_inf_and_signed_zeros_come_out_of_a_fused_loop_as_in_eager():
    values = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, -2.5, 3.0, 800.0, -800.0])
    w = ad.tensor(values[::-1].copy(), requires_grad=True)

    def f(x):
        y = (ad.maximum(x, w) + ad.minimum(x, 0.5) * ad.sign(x) - ad.abs(x) * 2.0
             + ad.tanh(x) + ad.sigmoid(x) * ad.exp(-ad.abs(x)) + ad.where(x > 0, x, w))
        y.sum().backward()
        return y, w.grad

    compiled = ad.compile(f)
    with np.errstate(all="ignore"):
        compiled(values)
        w.grad = None
        got, got_grad = compiled(values)
        got_grad = got_grad.copy()
        w.grad = None
        want, want_grad = f(values)
    assert _kernels(compiled.plan)
    assert_few_ulp(got.data, want.data)
    assert_few_ulp(got_grad, want_grad)


def test_the_kernel_cache_keeps_at_most_max_files_removing_the_oldest(tmp_path, monkeypatch):
    from autodiff.compile import codegen
    monkeypatch.setenv("AUTODIFF_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(codegen, "MAX_KERNEL_FILES", 3)
    monkeypatch.setattr(codegen, "_pruned", False)
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    old = 1_000_000_000                         # 2001: older than any PRUNE_AGE
    for k in range(5):
        (tmp_path / f"fused_old{k}.py").write_text("x = 1\n")
        (cache / f"fused_old{k}.kernel-9.py311.nbi").write_text("")
        (cache / f"fused_old{k}.cpython-311.pyc").write_text("")    # (Python's bytecode)
        os.utime(tmp_path / f"fused_old{k}.py", (old + k, old + k))
    (tmp_path / "fused_new.py").write_text("x = 2\n")     # young: never removed
    codegen.load("value = 42\n")
    left = sorted(p.name for p in tmp_path.glob("fused_*.py"))
    assert len(left) == 3 + 1                   # the limit, plus the one just written
    assert "fused_old0.py" not in left and "fused_old1.py" not in left
    assert "fused_old2.py" not in left and "fused_new.py" in left
    # (the module just written may have its own bytecode there, unless
    # PYTHONDONTWRITEBYTECODE is set)
    assert sorted(p.name for p in cache.iterdir() if p.name.startswith("fused_old")) == [
        "fused_old3.cpython-311.pyc", "fused_old3.kernel-9.py311.nbi",
        "fused_old4.cpython-311.pyc", "fused_old4.kernel-9.py311.nbi"]
    codegen.load("value = 43\n")                # once per process
    assert len(list(tmp_path.glob("fused_*.py"))) == 5


def test_a_reverse_pass_joins_the_loop_of_its_elementwise_forward():
    """The backward's seed (``ones``) is a constant in the loop: forward and backward
    of an elementwise chain are one loop, with no ``ones`` step left."""
    x = ad.tensor(np.linspace(-1, 1, 4), requires_grad=True)

    def run():
        y = x
        for _ in range(6):
            y = ad.sin(ad.tanh(y * 0.9 + 0.1))
        y.sum().backward()
        grad = x.grad
        x.grad = None
        return grad

    want = run()
    step = ad.compile(run)
    step()
    got = step()
    kinds = [i.kind for i in step.plan.instrs]
    assert kinds.count("kernel") == 1 and "ones" not in kinds, step.plan
    assert_few_ulp(got, want, 64)


def test_float32_values_inside_a_float64_loop_are_checked_in_float32_ulps():
    """sigmoid of a float32 x times a float64 w: the loop's own sigmoid rounds in float32,
    as NumPy's does, so its float64 result is a few float32 ulps from NumPy's; the
    check before a loop is used measures that in float32 ulps, keeps the loop and says
    nothing."""
    x = (np.random.default_rng(0).standard_normal((8, 4)) * 3).astype(np.float32)
    w = ad.tensor(np.array([0.5, -1.0, 2.0, 0.25]), requires_grad=True)

    def step(inputs):
        loss = (ad.sigmoid(inputs) * w).sum()
        loss.backward()
        return loss
    compiled = ad.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = compiled(x)
        got = compiled(x)
    assert got.dtype == np.float64
    expected = step(x)
    np.testing.assert_allclose(got.data, expected.data, rtol=1e-6)   # float32 rounding
    if kernels.JIT_ENABLED:
        assert all(k.mode == "numba" for k in _kernels(compiled.plan))
