"""A weight's SGD update folded into its gradient product (compile/gemm_update.py),
and the BLAS call behind it (kernels/blas.py)."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import fused_optim, gemm_update
from autodiff.kernels import blas
from autodiff.nn import functional as F

from ulp_compare import assert_few_ulp, ulp_distance

FOLDS = gemm_update.fold_applies()
SIZES = (64, 128, 96, 4)           # the hidden weights have >= MIN_ELEMENTS elements


def _net(dtype, momentum=0.0, seed=0, weight_decay=0.0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        params.append(ad.nn.Parameter(
            (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(dtype)))
        params.append(ad.nn.Parameter(np.zeros(fan_out, dtype)))
    opt = ad.optim.SGD(params, lr=0.05, momentum=momentum, weight_decay=weight_decay)
    w1, b1, w2, b2, w3, b3 = params

    def step(x, y):
        h1 = ad.relu(x @ w1 + b1)
        h2 = ad.tanh(h1 @ w2 + b2)
        loss = F.cross_entropy(h2 @ w3 + b3, y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss
    return params, opt, step


def _batch(rng, dtype, rows=32):
    x = rng.standard_normal((rows, SIZES[0])).astype(dtype)
    return x, (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)


def _folds(compiled):
    return [i.fn for i in compiled.plan.instrs if isinstance(i.fn, gemm_update.FoldedUpdate)]


def _assert_params_close(got, want, ulps):
    for p, q in zip(got, want):
        assert_few_ulp(p.data, q.data, ulps=ulps, what="parameter")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_folded_step_is_within_a_few_ulp_of_eager(dtype):
    eager_params, _, eager = _net(dtype)
    params, _, step = _net(dtype)
    compiled = ad.compile(step)
    rng = np.random.default_rng(1)
    compiled(*_batch(rng, dtype))               # the trace (eager)
    eager(*_batch(np.random.default_rng(1), dtype))
    x, y = _batch(rng, dtype)
    before = [p.data.copy() for p in params]
    assert_few_ulp(compiled(x, y).data, eager(x, y).data, ulps=0, what="loss")
    _assert_params_close(params, eager_params, ulps=4)
    assert all(p.grad is None for p in params)
    assert all(not np.array_equal(p.data, b) for p, b in zip(params, before))
    folds = _folds(compiled)
    # w1 (64x128) and w2 (128x96) are large enough; w3 (96x4) keeps its update
    assert len(folds) == (2 if FOLDS else 0)
    assert all(f.folded == 1 for f in folds)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_100_folded_steps_agree_with_eager(dtype):
    eager_params, _, eager = _net(dtype)
    params, _, step = _net(dtype)
    compiled = ad.compile(step)
    rng = np.random.default_rng(2)
    for i in range(100):
        x, y = _batch(rng, dtype)
        assert_few_ulp(compiled(x, y).data, eager(x, y).data, ulps=64, what=f"loss {i}")
    _assert_params_close(params, eager_params, ulps=64)
    assert compiled.traces == 1
    assert all(f.folded == 99 for f in _folds(compiled))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weight_decay_is_folded_as_gemms_other_factor(dtype):
    eager_params, _, eager = _net(dtype, weight_decay=0.1)
    params, _, step = _net(dtype, weight_decay=0.1)
    compiled = ad.compile(step)
    rng, rng_eager = np.random.default_rng(10), np.random.default_rng(10)
    for i in range(5):
        x, y = _batch(rng, dtype)
        assert_few_ulp(compiled(x, y).data, eager(*_batch(rng_eager, dtype)).data, ulps=16,
                       what=f"loss {i}")
        for p, q in zip(params, eager_params):    # one step at a time from one state
            assert_few_ulp(p.data, q.data, ulps=4, what=f"parameter after step {i}")
            p.data[...] = q.data
    assert all(f.folded == 4 for f in _folds(compiled))


def test_the_plan_prints_which_products_update_their_weight():
    _, _, step = _net(np.float64)
    compiled = ad.compile(step)
    compiled(*_batch(np.random.default_rng(0), np.float64))
    text = str(compiled.plan)
    assert text.count("(into the weight)") == (2 if FOLDS else 0)


def test_nothing_is_folded_when_the_gradient_is_kept_after_the_step():
    params, opt, _ = _net(np.float64)
    w1, b1, w2, b2, w3, b3 = params

    @ad.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(ad.tanh(ad.relu(x @ w1 + b1) @ w2 + b2) @ w3 + b3, y)
        loss.backward()
        opt.step()
        return loss
    for _ in range(2):
        step(*_batch(np.random.default_rng(0), np.float64))
    assert not _folds(step)
    assert w1.grad is not None and w1.grad.shape == w1.shape


def test_nothing_is_folded_with_fuse_false():
    _, _, step = _net(np.float64)
    compiled = ad.compile(step, fuse=False)
    compiled(*_batch(np.random.default_rng(0), np.float64))
    assert not _folds(compiled)


def test_momentum_set_between_calls_is_used_and_nothing_is_folded_then():
    eager_params, eager_opt, eager = _net(np.float64)
    params, opt, step = _net(np.float64)
    compiled = ad.compile(step)
    rng, rng_eager = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(2):
        compiled(*_batch(rng, np.float64))
        eager(*_batch(rng_eager, np.float64))
    for o in (opt, eager_opt):
        o.param_groups[0]["momentum"] = 0.9
    # the eager state differs after folded steps by an ulp: start both from one state
    for p, q in zip(params, eager_params):
        p.data[...] = q.data
    folded_before = [f.folded for f in _folds(compiled)]
    for _ in range(3):
        x, y = _batch(rng, np.float64)
        assert_few_ulp(compiled(x, y).data, eager(x, y).data, ulps=4, what="loss")
    _assert_params_close(params, eager_params, ulps=4)
    assert [f.folded for f in _folds(compiled)] == folded_before
    assert all("momentum_buffer" in s for s in opt.state)


def test_a_gradient_set_before_the_call_is_added_to_as_eager_does():
    eager_params, _, eager = _net(np.float64)
    params, _, step = _net(np.float64)
    compiled = ad.compile(step)
    rng, rng_eager = np.random.default_rng(4), np.random.default_rng(4)
    compiled(*_batch(rng, np.float64))
    eager(*_batch(rng_eager, np.float64))
    for p, q in zip(params, eager_params):
        p.data[...] = q.data
    extra = np.full(params[0].shape, 0.25)
    params[0].grad, eager_params[0].grad = extra.copy(), extra.copy()
    x, y = _batch(rng, np.float64)
    compiled(x, y)
    eager(x, y)
    _assert_params_close(params, eager_params, ulps=4)
    folded = {id(f.weight): f.folded for f in _folds(compiled)}
    assert folded == ({id(params[0]): 0, id(params[2]): 1} if FOLDS else {})


def test_a_learning_rate_changed_between_calls_is_used():
    params, opt, step = _net(np.float32)
    compiled = ad.compile(step)
    rng = np.random.default_rng(5)
    compiled(*_batch(rng, np.float32))
    opt.param_groups[0]["lr"] = 0.0
    before = [p.data.copy() for p in params]
    compiled(*_batch(rng, np.float32))
    for p, b in zip(params, before):
        assert np.array_equal(p.data, b)


def test_a_weight_read_after_its_gradient_product_is_not_folded():
    # In w @ v the rule for w's gradient runs first and the rule for v's reads w:
    # updating w there would give v the gradient of the updated w.
    rng = np.random.default_rng(6)
    w = ad.nn.Parameter(rng.standard_normal((96, 96)) * 0.1)
    v = ad.nn.Parameter(rng.standard_normal((96, 96)) * 0.1)
    w_eager, v_eager = ad.nn.Parameter(w.data.copy()), ad.nn.Parameter(v.data.copy())

    def make(w, v):
        opt = ad.optim.SGD([w, v], lr=0.1)

        def step():
            ad.tanh(w @ v).sum().backward()
            opt.step()
            opt.zero_grad()
        return step
    compiled, eager = ad.compile(make(w, v)), make(w_eager, v_eager)
    for _ in range(3):
        compiled()
        eager()
    labels = [i.label for i in compiled.plan.instrs if i.kind == "rule"
              and i.label.startswith("matmul")]
    assert labels == (["matmul.a", "matmul.b (into the weight)"] if FOLDS
                      else ["matmul.a", "matmul.b"])
    assert ulp_distance(w.data, w_eager.data) <= 4
    assert ulp_distance(v.data, v_eager.data) <= 4


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_when_the_fused_step_falls_back_the_folded_weight_is_neither_warned_about_nor_changed(
        monkeypatch, weight_decay):
    params, opt, step = _net(np.float64, weight_decay=weight_decay)
    eager_params, _, eager = _net(np.float64, weight_decay=weight_decay)
    compiled = ad.compile(step)
    rng, rng_eager = np.random.default_rng(7), np.random.default_rng(7)
    compiled(*_batch(rng, np.float64))
    eager(*_batch(rng_eager, np.float64))
    for p, q in zip(params, eager_params):
        p.data[...] = q.data
    monkeypatch.setattr(fused_optim.fused, "load", lambda: False)   # no kernels: step()
    x, y = _batch(rng, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled(x, y)
    eager(x, y)
    _assert_params_close(params, eager_params, ulps=2)
    assert all(p.grad is None and p.requires_grad for p in params)
    fused_steps = [i.fn for i in compiled.plan.instrs if isinstance(i.fn, fused_optim.FusedStep)]
    assert [f.fallbacks for f in fused_steps] == ([1] if FOLDS else [])


# ----- the BLAS call ----------------------------------------------------------------------

@pytest.mark.skipif(not blas.AVAILABLE, reason="no BLAS found through NumPy")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transposed_a", [False, True])
@pytest.mark.parametrize("transposed_b", [False, True])
@pytest.mark.parametrize("m, k, n", [(3, 4, 5), (1, 1, 1), (70, 33, 9), (5, 0, 3)])
def test_add_product_equals_numpy_within_an_ulp(dtype, transposed_a, transposed_b, m, k, n):
    rng = np.random.default_rng(8)
    a = rng.standard_normal((k, m) if transposed_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if transposed_b else (k, n)).astype(dtype)
    a, b = (a.T if transposed_a else a), (b.T if transposed_b else b)
    c = rng.standard_normal((m, n)).astype(dtype)
    want = c + dtype(-0.125) * (a @ b)
    assert blas.fits(c, a, b)
    blas.add_product(c, a, b, -0.125)
    assert_few_ulp(c, want, ulps=2)


@pytest.mark.skipif(not blas.AVAILABLE, reason="no BLAS found through NumPy")
def test_add_product_copies_an_operand_that_is_neither_c_nor_f_contiguous():
    rng = np.random.default_rng(9)
    a = rng.standard_normal((6, 8))[:, ::2]
    b = np.broadcast_to(rng.standard_normal(5), (4, 5))
    c = np.zeros((6, 5))
    blas.add_product(c, a, b, 1.0)
    assert_few_ulp(c, a @ b, ulps=2)


def test_fits_refuses_what_gemm_cannot_take():
    c, a, b = np.zeros((2, 3)), np.ones((2, 4)), np.ones((4, 3))
    assert blas.fits(c, a, b) == blas.AVAILABLE
    assert not blas.fits(c.astype(np.float32), a, b)            # mixed dtypes
    assert not blas.fits(np.zeros((3, 2)), a, b)                 # wrong shape
    assert not blas.fits(np.zeros((3, 2)).T, a, b)               # not C-contiguous
    read_only = np.zeros((2, 3))
    read_only.flags.writeable = False
    assert not blas.fits(read_only, a, b)
    assert not blas.fits(c.astype(np.int64), a.astype(np.int64), b.astype(np.int64))
    assert not blas.fits(np.zeros(3), np.ones(4), np.ones((4, 3)))    # not 2-D
