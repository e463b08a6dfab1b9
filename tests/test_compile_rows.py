"""ad.compile fuses across rows: operands broadcast along leading or trailing axes
(a bias), reductions over the trailing axes feeding broadcasts back (softmax, layer
norm, a mean's gradient) and sums over the leading axes (a bias's gradient) run in
one loop nest.  Sums follow NumPy's pairwise order, so where no exp or tanh is
computed the replay equals eager to the last bit."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from ulp_compare import assert_few_ulp


def _kernels(plan):
    return [i.extra["kernel"] for i in plan.instrs if i.kind == "kernel"]


def _row_kernels(plan):
    return [k for k in _kernels(plan) if k.split[0] > 1]


def _run_both(step, make_args, calls=3):
    compiled = ad.compile(step)
    for _ in range(calls):
        args = make_args()
        want = step(*[ad.tensor(a, requires_grad=True) for a in args])
        got = compiled(*[ad.tensor(a, requires_grad=True) for a in args])
        yield compiled, got, want


def _data(value):
    return np.asarray(getattr(value, "data", value))


def _relu_net(rng, n_in, n_out, dtype, layers=1):
    """A step through ``layers`` ReLU layers sharing one weight and one bias (added to
    every row), a sum-of-squares loss and its backward: (out, loss, w.grad, b.grad)."""
    w = ad.tensor(rng.normal(size=(n_in, n_out)).astype(dtype), requires_grad=True)
    b = ad.tensor(rng.normal(size=n_out).astype(dtype), requires_grad=True)

    def step(x):
        out = x
        for _ in range(layers):
            out = ad.relu(out @ w + b)
        loss = (out * out).sum()
        w.grad = b.grad = None
        loss.backward()
        return out, loss, w.grad, b.grad
    return step


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_relu_layer_with_bias_fuses_the_add_and_its_bias_gradient_bitwise(dtype):
    rng = np.random.default_rng(0)
    step = _relu_net(rng, 20, 30, dtype)
    compiled = ad.compile(step)
    sources = []
    for n in (64, 64, 7):                       # a new batch size traces again
        x = rng.normal(size=(n, 20)).astype(dtype)
        want = [_data(v).copy() for v in step(ad.tensor(x))]
        got = [_data(v) for v in compiled(ad.tensor(x))]
        for g, e in zip(got, want):
            assert g.dtype == e.dtype and g.tobytes() == e.tobytes()
        sources.append(sorted(k.source for k in _kernels(compiled.plan)))
    assert compiled.traces == 2
    # The loops take their sizes as arguments: the new batch size reuses the kernels.
    assert sources[2] == sources[0]
    text = str(compiled.plan)
    rows = _row_kernels(compiled.plan)
    assert any("add, relu" in k.ops() for k in rows), text
    assert any("sum_to (30,)" in k.ops() and "rule relu.x" in k.ops() for k in rows), text


def _softmax(x):
    e = ad.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _layer_norm(x):
    centered = x - x.mean(axis=-1, keepdims=True)
    return centered / ad.sqrt((centered * centered).mean(axis=-1, keepdims=True) + 1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 9), (2, 130), (5, 1), (1, 7)])
@pytest.mark.parametrize("fn", [_softmax, _layer_norm], ids=["softmax", "layer_norm"])
def test_row_reductions_feeding_broadcasts_are_fused_and_agree_with_eager(fn, shape, dtype):
    rng = np.random.default_rng(sum(shape))
    weights = rng.normal(size=shape).astype(dtype)

    def step(x):
        y = fn(x)
        loss = (y * weights).sum()
        loss.backward()
        return y, x.grad

    for compiled, got, want in _run_both(step, lambda: [rng.normal(size=shape).astype(dtype)]):
        assert_few_ulp(_data(got[0]), _data(want[0]), what="forward")
        assert_few_ulp(got[1], want[1], what="x.grad")
    if shape[-1] > 1 and int(np.prod(shape[:-1])) > 1:
        assert _row_kernels(compiled.plan), compiled.plan
    if kernels.JIT_ENABLED:
        assert all(k.mode == "numba" for k in _kernels(compiled.plan))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("row", [1, 2, 7, 8, 9, 100, 128, 129, 257, 1000])
def test_sums_in_a_loop_are_numpys_sums_to_the_last_bit(row, dtype):
    """Row sums (pairwise, as NumPy) and column sums (row after row), forward and
    backward, with no exp in sight: bitwise equal."""
    rng = np.random.default_rng(row)
    bias = ad.tensor(rng.normal(size=row).astype(dtype) * 100, requires_grad=True)

    def step(x):
        h = x * 3.0 + bias
        rows = (h * h).sum(axis=-1, keepdims=True)
        centered = h - h.mean(axis=1, keepdims=True)
        out = (centered / rows).sum(axis=1)
        loss = (out * out).sum()
        bias.grad = None
        loss.backward()
        return out, x.grad, bias.grad

    def make():
        return [(rng.normal(size=(37, row)) * 10).astype(dtype)]
    for compiled, got, want in _run_both(step, make):
        for g, e in zip(got, want):
            g, e = _data(g), _data(e)
            assert g.dtype == e.dtype and g.tobytes() == e.tobytes()
    assert _row_kernels(compiled.plan) or row == 1, compiled.plan


def test_a_broadcast_the_loop_nest_cannot_index_stays_a_numpy_step():
    """(N, 1) + (1, M) fills an (N, M) array from two vectors: an outer sum, not a
    row split of either; and a mean over all elements of a row-split group."""
    rng = np.random.default_rng(1)

    def step(a, b):
        outer = ad.tanh(a + b) * 2.0 + 1.0
        return outer.mean(), (outer * a).sum(axis=0)

    a, b = rng.normal(size=(5, 1)), rng.normal(size=(1, 4))
    compiled = ad.compile(step)
    for _ in range(2):
        got = compiled(ad.tensor(a), ad.tensor(b))
    want = step(ad.tensor(a), ad.tensor(b))
    for g, e in zip(got, want):
        assert_few_ulp(g.data, e.data)


def test_fused_outputs_go_into_plan_buffers_and_returned_values_stay_fresh():
    rng = np.random.default_rng(2)
    step = _relu_net(rng, 64, 64, np.float64, layers=2)
    compiled = ad.compile(step)
    x = rng.normal(size=(32, 64))
    first = [_data(v) for v in compiled(ad.tensor(x))]
    snapshot = [v.copy() for v in first]
    later = [_data(v) for v in compiled(ad.tensor(x * 2))]
    for a, s in zip(first, snapshot):           # a later call did not write over them
        assert a.tobytes() == s.tobytes()
    plan = compiled.plan
    buffered_kernels = [i for i in plan.instrs if i.kind == "kernel" and "buffer" in i.extra]
    assert buffered_kernels, plan
    assert " -> b" in str(plan)
    for value in later:
        assert not any(np.shares_memory(value, buf) for buf in plan.buffers)
    want = [_data(v) for v in step(ad.tensor(x * 2))]
    for g, e in zip(later, want):
        assert g.tobytes() == e.tobytes()


NAN_STEPS = {
    "row max and min": lambda t: t - t.max(axis=1, keepdims=True) + t.min(axis=-1,
                                                                          keepdims=True),
    "column max": lambda t: (t * 2.0).max(axis=0),
    "column min": lambda t: (t * 2.0).min(axis=0),
    "column sum": lambda t: (t * 2.0).sum(axis=0),
}


@pytest.mark.parametrize("name", sorted(NAN_STEPS))
def test_reductions_in_a_loop_keep_nan_infinities_and_zeros_as_numpy(name):
    step = NAN_STEPS[name]
    x = np.array([[1.0, np.nan, 3.0, -np.inf], [-np.inf, 2.0, np.inf, -np.inf],
                  [2.0, 5.0, np.nan, -np.inf], [0.0, -0.0, -1.0, -np.inf]])
    compiled = ad.compile(step)
    with np.errstate(invalid="ignore"):
        want = step(ad.tensor(x)).data
        for _ in range(2):
            got = compiled(ad.tensor(x)).data
    np.testing.assert_array_equal(got, want)
    assert _row_kernels(compiled.plan), compiled.plan


# ----- random row programs -------------------------------------------------------------

ROW_SHAPES = [(4, 6), (2, 3, 5), (1, 7), (6, 1)]
UNARY_OPS = [ad.exp, ad.tanh, ad.sigmoid, ad.relu, ad.square, ad.negative, ad.abs]


def _row_program(rng, shape):
    """Steps over a pool of values of ``shape``: elementwise ops, a bias over the last
    axes, row statistics (max, sum, mean over the trailing axes) broadcast back, and
    column sums over the leading axes added back as a bias."""
    steps = []
    for _ in range(rng.integers(3, 9)):
        steps.append((str(rng.choice(["unary", "bias", "row", "column", "binary"])),
                      int(rng.integers(0, 1 << 30))))
    return steps


def _run_row_program(steps, x, bias):
    pool = [x]
    ndim = x.ndim
    for kind, seed in steps:
        r = np.random.default_rng(seed)
        a = pool[r.integers(len(pool))]
        if kind == "unary":
            out = UNARY_OPS[r.integers(len(UNARY_OPS))](a)
        elif kind == "bias":
            out = a * 0.5 + bias
        elif kind == "row":
            axes = tuple(range(int(r.integers(1, ndim)), ndim)) if ndim > 1 else (0,)
            reduce = (ad.max, ad.sum, ad.mean)[r.integers(3)]
            out = a - reduce(a, axis=axes, keepdims=True) * 0.25
        elif kind == "column":
            out = a + ad.sum(a, axis=0) * 0.1
        else:
            out = a * pool[r.integers(len(pool))] - 0.5
        pool.append(out)
    return sum(ad.sum(p * (k + 1.0)) for k, p in enumerate(pool[1:]))


@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("seed", range(12))
def test_random_row_programs_replay_like_eager_to_a_few_ulp(seed, shape):
    rng = np.random.default_rng(seed)
    steps = _row_program(rng, shape)
    bias = ad.tensor(rng.normal(size=shape[-1:]), requires_grad=True)

    def step(x):
        bias.grad = None
        loss = _run_row_program(steps, x, bias)
        loss.backward()
        return loss, x.grad, bias.grad

    compiled = ad.compile(step)
    for _ in range(3):
        x = rng.normal(size=shape)
        want = step(ad.tensor(x, requires_grad=True))
        got = compiled(ad.tensor(x, requires_grad=True))
        for g, e, what in zip(got, want, ("loss", "x.grad", "bias.grad")):
            assert_few_ulp(_data(g), _data(e), what=f"{what} of {steps}")
