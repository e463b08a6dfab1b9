"""exp and expm1 of values known to be <= 0 in fused loops: ``codegen.signs`` proves
the sign from the expression (``-x * x``, ``-abs(x)``, ``x - max(x)``), and the loop
calls the cheaper ``*_nonpositive`` functions, which must give exactly what the
general ones give for such arguments."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.compile.codegen import NONNEG, NONPOS, signs
from autodiff.compile.symbolic import Expr

numba = pytest.importorskip("numba")
needs_jit = pytest.mark.skipif(not kernels.JIT_ENABLED, reason="Numba kernels are off")


@numba.njit
def _apply(f, x, out):
    for i in range(x.size):
        out[i] = f(x[i])


def _nonpositive_float32():
    # A stride through every non-positive float32 (with -0, -inf and NaNs), and every
    # float32 in [-104, -86], where exp's result is subnormal or underflows.
    every = np.arange(0x80000000, 0x100000000, 997, dtype=np.uint64).astype(np.uint32)
    start, stop = (int(np.float32(v).view(np.uint32)) for v in (-104, -86))
    low = np.arange(start, stop, -1, dtype=np.int64).astype(np.uint32)
    return np.concatenate([every, low, np.array([0], np.uint32)]).view(np.float32)


def _nonpositive_float64():
    rng = np.random.default_rng(0)
    magnitude = 2.0 ** rng.uniform(-60, 10, 2_000_000)          # 1e-18 .. 1024
    low = -rng.uniform(700, 750, 500_000)                       # subnormal results
    special = [0.0, -0.0, -np.inf, np.nan, -5e-324, -np.finfo(float).max, -745.2, -708.4]
    return np.concatenate([-magnitude, low, special])


@pytest.mark.parametrize("name", ["exp", "expm1"])
@pytest.mark.parametrize("bits", [32, 64])
def test_nonpositive_variants_equal_the_general_ones_to_the_last_bit(name, bits):
    from autodiff.compile import loopmath
    x = _nonpositive_float32() if bits == 32 else _nonpositive_float64()
    general = getattr(loopmath, f"{name}{'_' if name == 'expm1' else ''}{bits}")
    special = getattr(loopmath, f"{name}_nonpositive{bits}")
    want, got = np.empty_like(x), np.empty_like(x)
    _apply(general, x, want)
    _apply(special, x, got)
    uint = np.uint32 if bits == 32 else np.uint64
    same = (want.view(uint) == got.view(uint)) | (np.isnan(want) & np.isnan(got))
    assert same.all(), x[~same][:5]


def _claims(build, shape=(4, 5)):
    """Sign claims of the expression ``build`` makes, checked against NumPy values."""
    e = Expr()
    x = e.input(0, shape, np.float64)
    y = e.input(1, shape, np.float64)
    out = build(x, y)
    return signs(e.nodes)[out.index]


@pytest.mark.parametrize("build, sign", [
    (lambda x, y: -(x * x), NONPOS),
    (lambda x, y: -np.abs(x), NONPOS),
    (lambda x, y: -2.0 * np.abs(x), NONPOS),
    (lambda x, y: x - x.max(axis=1, keepdims=True), NONPOS),
    (lambda x, y: x - x.max(), NONPOS),
    (lambda x, y: x - x.max(axis=0), NONPOS),           # leading axis: lines up
    (lambda x, y: np.minimum(x, 0.0), NONPOS),
    (lambda x, y: np.exp(x) + y * y, NONNEG),
    (lambda x, y: np.maximum(x, 0.0) * np.sqrt(y), NONNEG),
    (lambda x, y: -np.abs(x) - y * y, NONPOS),
    (lambda x, y: x * x - y, 0),
    (lambda x, y: x - y.max(axis=1, keepdims=True), 0),  # another array's max
    (lambda x, y: x + np.abs(y), 0),
    (lambda x, y: np.where(x > 0, -np.abs(y), -(x * x)), NONPOS),
    (lambda x, y: np.where(x > 0, np.abs(y), -(x * x)), 0),
    (lambda x, y: x * 0.0, 0),
    (lambda x, y: np.abs(x) * 0.0, NONNEG | NONPOS),    # 0 or NaN
    (lambda x, y: -np.abs(x) * np.abs(y), NONPOS),
    (lambda x, y: -np.abs(x) * -np.abs(y), NONNEG),
    (lambda x, y: np.maximum(np.minimum(x, 0.0), -np.abs(y)), NONPOS),
])
def test_signs_of_expressions(build, sign):
    assert _claims(build) == sign


def test_a_square_array_minus_its_row_maxima_without_keepdims_is_not_claimed():
    # (4, 4) - (4,) broadcasts the maxima along the other axis: not <= 0.
    assert _claims(lambda x, y: x - x.max(axis=1), shape=(4, 4)) == 0


def test_claimed_signs_hold_on_values_with_infinities_and_nans():
    rng = np.random.default_rng(1)
    builds = [lambda x, y: -(x * x), lambda x, y: x - x.max(axis=1, keepdims=True),
              lambda x, y: -np.abs(x) - y * y, lambda x, y: np.minimum(x, 0.0) * np.exp(y),
              lambda x, y: np.exp(x) + y * y]
    for build in builds:
        claim = _claims(build)
        for _ in range(20):
            x, y = (rng.choice([-np.inf, np.inf, np.nan, 0.0, -0.0, 1e308, -3.0, 2.5],
                               size=(4, 5)) for _ in range(2))
            with np.errstate(all="ignore"):
                value = np.asarray(build(x, y))
            ok = np.isnan(value)
            if claim & NONNEG:
                ok |= value >= 0
            if claim & NONPOS:
                ok |= value <= 0
            assert claim and ok.all()


@needs_jit
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_fused_loop_uses_them_and_agrees_with_eager(dtype):
    rng = np.random.default_rng(2)
    x = ad.tensor(rng.normal(size=(6, 9)).astype(dtype) * 4, requires_grad=True)

    def step(scale):
        gauss = ad.exp(-(x * x) * scale)
        z = x - ad.max(x, axis=1, keepdims=True)
        y = ad.sigmoid(x) * ad.tanh(x) + gauss + ad.exp(z)
        x.grad = None
        y.sum().backward()
        return y, x.grad

    compiled = ad.compile(step)
    scale = np.asarray(0.5, dtype)
    got, want = compiled(scale), step(scale)
    sources = " ".join(i.extra["kernel"].source for i in compiled.plan.instrs
                       if i.kind == "kernel")
    bits = np.dtype(dtype).itemsize * 8
    assert f"expm1_nonpositive{bits}(" in sources          # tanh
    assert sources.count(f"exp_nonpositive{bits}(") >= 2  # the gaussian, exp(x - max)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data if hasattr(g, "data") else g,
                                   w.data if hasattr(w, "data") else w,
                                   rtol=4 * np.finfo(dtype).eps, atol=0)
