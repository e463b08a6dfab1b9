"""ad.compile on inputs and parameters with unusual memory layouts: transposed views,
broadcast (stride-0) views, strided slices, Fortran order, size-1 axes and 0-d.

In the style of ``test_compile.py``'s random programs: each function is a small
training step (a loss and its backward); eager and compiled runs get the same
values in the same layouts, three calls with different values, and the loss and
every gradient must agree to the last bit.  Functions that evaluate exp, tanh and
the like are compared within a few ulp when loops are fused (the README's one
exception: a fused loop computes those with its own functions) and bitwise without
fusion.
"""

import zlib

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F
from ulp_compare import assert_few_ulp

N, C = 11, 3
TARGETS = np.array([0, 2, 1, 2, 0, 1, 1, 2, 0, 0, 2])
REGRESSION = np.linspace(-1.0, 1.0, N * C).reshape(N, C)


def _layout(values, kind):
    """``values`` (read-only afterwards only if broadcast) in the memory layout ``kind``."""
    if kind == "c":
        return np.ascontiguousarray(values)
    if kind == "fortran":
        return np.asfortranarray(values)
    if kind == "transposed":                    # a transposed view of a C array
        return np.ascontiguousarray(values.T).T
    if kind == "sliced":                        # every other element of a larger array
        big = np.zeros(tuple(2 * n + 1 for n in values.shape))
        view = big[tuple(slice(1, None, 2) for _ in values.shape)]
        view[...] = values
        return view
    if kind == "broadcast":                     # the first row repeated (stride 0)
        return np.broadcast_to(values[:1], values.shape) if values.ndim else values
    raise ValueError(kind)


# name -> (loss of x (N, C), w (C, C), b (C,), s (0-d), uses exp/tanh-like functions)
FUNCTIONS = {
    "matmul_sum": (lambda x, w, b, s: (x @ w).sum(), False),
    "affine_square_mean": (lambda x, w, b, s: ((x @ w + b) ** 2).mean(), False),
    "mse": (lambda x, w, b, s: F.mse_loss(x @ w, REGRESSION), False),
    "relu_bias": (lambda x, w, b, s: F.relu(x @ w + b).sum(), False),
    "sigmoid": (lambda x, w, b, s: ad.sigmoid(x @ w).sum(), True),
    "tanh_mean": (lambda x, w, b, s: ad.tanh(x @ w + b).mean(), True),
    "cross_entropy": (lambda x, w, b, s: F.cross_entropy(x @ w + b, TARGETS), True),
    "log_softmax_nll": (lambda x, w, b, s: F.nll_loss(F.log_softmax(x @ w, 1), TARGETS), True),
    "nll_sum": (lambda x, w, b, s: F.nll_loss(x * b, TARGETS, reduction="sum"), False),
    "nll_expanded": (lambda x, w, b, s: F.nll_loss(ad.broadcast_to(b, (N, C)) * x, TARGETS,
                                                   weight=ad.tensor([1.0, 2.0, 0.5])), False),
    "nll_expand_none": (lambda x, w, b, s: (F.nll_loss(b.expand(N, C) * s, TARGETS,
                                                       reduction="none") * x[:, 0]).sum(),
                        False),
    "max_rows": (lambda x, w, b, s: ad.max(x * b, axis=1).sum(), False),
    "mean_cols_matmul": (lambda x, w, b, s: (x.mean(axis=0) @ w).sum() * s, False),
    "var_cols": (lambda x, w, b, s: ad.var(x @ w, axis=0).sum(), False),
    "std_rows": (lambda x, w, b, s: ad.std(x + b, axis=1).sum(), False),
    "abs_diff": (lambda x, w, b, s: ad.abs(x - b).sum(), False),
    "max_min": (lambda x, w, b, s: (ad.maximum(x, b) - ad.minimum(x * s, b)).sum(), False),
    "leaky_where": (lambda x, w, b, s: ad.where(x > 0, x, x * 0.1).sum() * s, False),
    "clip": (lambda x, w, b, s: (ad.clip(x @ w, -0.5, 0.5) * b).sum(), False),
    "gram": (lambda x, w, b, s: (x.T @ x * w).sum(), False),
    "concat_matmul": (lambda x, w, b, s: (ad.concatenate([x, x * s], axis=0) @ w).mean(),
                      False),
    "slice_scale": (lambda x, w, b, s: (x[1:, ::2] * b[::2]).sum(), False),
    "reshape_square": (lambda x, w, b, s: (x.reshape(C, N) ** 2).sum() + (w * w).sum(), False),
    "cumsum": (lambda x, w, b, s: (ad.cumsum(x, axis=0) * b).sum(), False),
    "layer_norm": (lambda x, w, b, s: (F.layer_norm(x @ w, (C,)) * b).sum(), False),
    "linear": (lambda x, w, b, s: F.linear(x, w, b).pow(2).sum(), False),
    "softsign": (lambda x, w, b, s: (x / (1 + ad.abs(x @ w))).sum(), False),
    "l1": (lambda x, w, b, s: F.l1_loss(x @ w * s, REGRESSION), False),
    "sum_both_axes": (lambda x, w, b, s: (x * x * s).sum(axis=(0, 1)), False),
    "row_times_bias": (lambda x, w, b, s: (x[0] * b).sum() + (x[1:2] @ w).sum(), False),
    "sqrt_sum_squares": (lambda x, w, b, s: ad.sqrt((x @ w) ** 2 + 1.0).sum(), False),
    "softmax_weighted": (lambda x, w, b, s: (F.softmax(x @ w, 1) * b).sum(), True),
}

LAYOUTS = ["c", "fortran", "transposed", "sliced", "broadcast"]


def _values(rng, layouts):
    """x (N, C), w (C, C), b (C,), s (0-d) drawn from ``rng``, each in its layout."""
    x_kind, w_kind = layouts
    x = _layout(rng.normal(size=(N, C)), x_kind)
    w = _layout(rng.normal(size=(C, C)), w_kind)
    b = _layout(rng.normal(size=C), "sliced" if w_kind != "c" else "c")
    return x, w, b, np.array(rng.normal())


@pytest.mark.parametrize("fuse", [False, True])
@pytest.mark.parametrize("layouts", [("c", "c"), ("transposed", "fortran"),
                                     ("sliced", "transposed"), ("broadcast", "sliced"),
                                     ("fortran", "c")])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_layouts_replay_like_eager(name, layouts, fuse):
    loss_of, transcendental = FUNCTIONS[name]
    # (a seed from crc32: hash() of a string changes with every process)
    rng = np.random.default_rng(zlib.crc32(repr((name, layouts)).encode()))
    x0, w0, b0, s0 = _values(rng, layouts)
    # (parameters keep their arrays' layouts; each call copies new values into them)
    params = [ad.tensor(a, requires_grad=True) for a in (w0, b0, s0)]

    def step(x):
        for p in params:
            p.grad = None
        loss = loss_of(x, *params)
        loss.backward()
        return loss

    compiled = ad.compile(step, fuse=fuse)

    def same(got, want, what):
        if want is None:                        # a parameter the loss does not use
            assert got is None, what
        elif fuse and transcendental:
            assert_few_ulp(got, want, what=what)
        else:
            assert np.asarray(got).tobytes() == np.asarray(want).tobytes(), \
                f"{what}: {got} != {want}"

    for call in range(3):
        x, w, b, s = _values(rng, layouts)
        for p, value in zip(params, (w, b, s)):
            np.copyto(p.data, value)
        x_eager = ad.tensor(x, requires_grad=True)
        loss = step(x_eager)
        grads = [None if p.grad is None else p.grad.copy() for p in params]
        x_compiled = ad.tensor(x, requires_grad=True)
        loss2 = compiled(x_compiled)
        same(loss2.data, loss.data, f"call {call}: loss")
        for k, (p, want) in enumerate(zip(params, grads)):
            same(p.grad, want, f"call {call}: gradient of {'wbs'[k]}")
        same(x_compiled.grad, x_eager.grad, f"call {call}: gradient of x")


# ----- test_compile.py's random programs, on unusual layouts ------------------------

#: What a fused loop computes with its own functions (a few ulp from NumPy's).
_OWN_FUNCTIONS = ("exp", "tanh", "sigmoid", "sin", "cos")


def _loops_compute_own_functions(compiled) -> bool:
    kernels = [line for line in str(compiled.plan).splitlines() if " kernel k" in line]
    return any(name in line for line in kernels for name in _OWN_FUNCTIONS)


@pytest.mark.parametrize("fuse", [False, True])
@pytest.mark.parametrize("layout", ["fortran", "transposed", "sliced", "broadcast"])
@pytest.mark.parametrize("seed", [*range(10), 49])
def test_random_programs_on_unusual_layouts_replay_like_eager(seed, layout, fuse):
    """Bitwise, except within a few ulp when a fused loop computes exp, tanh, sin ...."""
    from test_compile import _random_program, _run
    rng = np.random.default_rng(seed)
    steps = _random_program(rng)
    w = ad.tensor(_layout(rng.normal(size=(4, 3)), "fortran" if layout != "c" else "c"),
                  requires_grad=True)
    b = ad.tensor(rng.normal(size=3))

    def step(x):
        w.grad = None
        loss = _run(steps, x, w, b)
        loss.backward()
        return loss, w.grad

    compiled = ad.compile(step, fuse=fuse)
    for call in range(3):
        x = _layout(rng.normal(size=(4, 3)), layout)
        x_eager, x_compiled = (ad.tensor(x, requires_grad=True) for _ in range(2))
        loss, grad = step(x_eager)
        grad = None if grad is None else grad.copy()
        loss2, grad2 = compiled(x_compiled)
        few_ulp = fuse and _loops_compute_own_functions(compiled)
        for got, want in [(loss2.data, loss.data), (grad2, grad),
                          (x_compiled.grad, x_eager.grad)]:
            if got is None or want is None:
                assert got is want
            elif few_ulp:
                assert_few_ulp(got, want, what=f"call {call}")
            else:
                assert got.tobytes() == want.tobytes(), f"call {call}: {got} != {want}"


# ----- size-1 axes and 0-d inputs, broadcast against (3, 3) and (3,) parameters -------

ONES = np.ones((3, 3))
SMALL_FUNCTIONS = {
    "matmul_or_scale": lambda x, w, b: (x @ w).sum() if x.shape == (1, 3) else (x * w).sum(),
    "square_mean": lambda x, w, b: ((x * b) ** 2).mean(),
    "abs_diff": lambda x, w, b: ad.abs(x - b).sum(),
    "max_rows": lambda x, w, b: ad.max(x * w, axis=1).sum(),
    "var_cols": lambda x, w, b: ad.var(x * w, axis=0).sum(),
    "std_rows": lambda x, w, b: ad.std(x + w, axis=1).sum(),
    "mse": lambda x, w, b: F.mse_loss(x * w, ONES),
    "max_min": lambda x, w, b: (ad.maximum(x, b) * ad.minimum(x, w)).sum(),
    "where": lambda x, w, b: ad.where(x * w > 0, w, x * 0.5).sum(),
    "clip": lambda x, w, b: (ad.clip(x * w, -0.3, 0.3) + b).mean(),
    "relu": lambda x, w, b: F.relu(x * w + b).sum(),
    "column_sums_max": lambda x, w, b: (x * w).sum(axis=0).max(),
    "cumsum": lambda x, w, b: (ad.cumsum(x * w, axis=1) * b).sum(),
    "layer_norm": lambda x, w, b: (F.layer_norm(x * w, (3,)) * b).sum(),
}


@pytest.mark.parametrize("fuse", [False, True])
@pytest.mark.parametrize("w_layout", ["c", "fortran"])
@pytest.mark.parametrize("shape", [(1, 3), (3, 1), (1, 1), ()])
@pytest.mark.parametrize("name", sorted(SMALL_FUNCTIONS))
def test_size_one_and_0d_inputs_replay_like_eager_bitwise(name, shape, w_layout, fuse):
    loss_of = SMALL_FUNCTIONS[name]
    rng = np.random.default_rng(zlib.crc32(repr((name, shape, w_layout)).encode()))
    w = ad.tensor(_layout(rng.normal(size=(3, 3)), w_layout), requires_grad=True)
    b = ad.tensor(rng.normal(size=3), requires_grad=True)

    def step(x):
        w.grad = b.grad = None
        loss = loss_of(x, w, b)
        loss.backward()
        return loss

    compiled = ad.compile(step, fuse=fuse)
    for call in range(3):
        x = rng.normal(size=shape)
        x_eager, x_compiled = (ad.tensor(x, requires_grad=True) for _ in range(2))
        want = [step(x_eager).data, w.grad, b.grad, x_eager.grad]
        want = [None if a is None else a.copy() for a in want]
        got = [compiled(x_compiled).data, w.grad, b.grad, x_compiled.grad]
        for g, e in zip(got, want):
            if e is None:                       # a parameter the loss does not use
                assert g is None
            else:
                assert g.tobytes() == e.tobytes(), f"call {call}: {g} != {e}"
