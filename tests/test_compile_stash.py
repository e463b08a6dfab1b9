"""Small fused loops hand the values later loops read as rows of one array (a stash,
``autodiff/compile/stash.py``): the same values to the last bit as one array each."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import fuse, stash
from ulp_compare import assert_few_ulp


def _chain(x, n=24):
    def run():
        y = x
        for _ in range(n // 4):
            y = y * 0.9
            y = y + 0.1
            y = ad.tanh(y)
            y = ad.sin(y)
        out = y.sum()
        out.backward()
        grad = x.grad
        x.grad = None
        return out, grad
    return run


def _kernels(plan):
    return [i for i in plan.instrs if i.kind == "kernel"]


@pytest.fixture
def short_loops(monkeypatch):
    monkeypatch.setattr(fuse, "MAX_OPS", 16)        # several loops from a short chain


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4,), (3, 2)])
def test_a_chain_split_in_loops_passes_stashes_and_matches_loops_without(
        short_loops, monkeypatch, shape, dtype):
    x = ad.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(dtype),
                  requires_grad=True)
    run = _chain(x)
    eager_out, eager_grad = run()
    stashed = ad.compile(run)
    stashed()
    out, grad = stashed()
    plan = stashed.plan
    made = [i.extra["stash_out"] for i in _kernels(plan) if "stash_out" in i.extra]
    assert made and all(plan.slots[s.slot].shape == (len(s.slots), x.size) for s in made)
    assert any("stash_in" in i.extra for i in _kernels(plan))
    assert f"v{made[0].slot}" in str(plan)

    monkeypatch.setattr(stash, "MAX_ELEMENTS", 0)   # every loop keeps its own arrays
    plain = ad.compile(run)
    plain()
    out_plain, grad_plain = plain()
    assert not any("stash_out" in i.extra for i in _kernels(plain.plan))
    assert out.data.tobytes() == out_plain.data.tobytes()
    assert grad.tobytes() == grad_plain.tobytes()
    assert_few_ulp(grad, eager_grad, 64)
    assert_few_ulp(out.data, eager_out.data, 64)
    again_out, again_grad = stashed()                 # a new stash each call
    assert again_grad.tobytes() == grad.tobytes()


def test_a_value_a_step_outside_the_loops_reads_keeps_its_own_array(short_loops):
    x = ad.tensor(np.linspace(-1, 1, 4), requires_grad=True)
    w = ad.tensor(np.linspace(0.5, 1, 4))

    def run():
        y = x
        kept = []
        for _ in range(6):
            y = ad.tanh(y * 0.9 + 0.1)
            kept.append(y)
        z = ad.matmul(kept[1], w)               # not a loop: reads kept[1] itself
        (y.sum() + z).backward()
        grad = x.grad
        x.grad = None
        return kept[1], grad

    eager_kept, eager_grad = run()
    step = ad.compile(run)
    step()
    kept, grad = step()
    plan = step.plan
    stashed = {s for i in _kernels(plan) if "stash_out" in i.extra
               for s in i.extra["stash_out"].slots}
    outside = {s for i in plan.instrs if i.kind != "kernel" for s in i.reads()}
    assert not stashed & outside
    assert_few_ulp(kept.data, eager_kept.data, 64)
    assert_few_ulp(grad, eager_grad, 64)


def test_large_loops_keep_one_array_per_value(short_loops):
    x = ad.tensor(np.linspace(-1, 1, 2048), requires_grad=True)
    step = ad.compile(_chain(x))
    step()
    step()
    assert len(_kernels(step.plan)) > 2
    assert not any("stash_out" in i.extra or "stash_in" in i.extra
                   for i in _kernels(step.plan))
