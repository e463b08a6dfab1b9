"""The exact GELU on float32 arrays: the forward (``kernels/jit_gelu.py``) within 1 ulp of
the correctly rounded value everywhere sampled and equal to it nearly everywhere; the
backward (which reads Phi off the forward's output) within its bound; special values; the
float64 path's gradients against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.nn import functional as F

special = pytest.importorskip("scipy.special")
needs_jit = pytest.mark.skipif(not kernels.JIT_ENABLED, reason="AUTODIFF_JIT=0: no kernels")

RNG = np.random.default_rng(11)
ROOT = -0.7517915246935645                 # Phi(x) + x phi(x) = 0: the backward's zero
# sqrt(1/2) = _S1 + _S2 + _S_LO with _S1, _S2 of 26 bits: x * _S1 and x * _S2 are exact
# for a float32 x, so z = -x / sqrt 2 is known to about 1e-32 relative.
_S_HI = math.sqrt(0.5)
_S1 = np.float64(np.float32(_S_HI))
_S2 = _S_HI - _S1
_S_LO = -4.833646656726457e-17


def _consecutive(center, count):
    """``count`` consecutive float32 values around ``center``."""
    mid = np.float32(center).view(np.int32).astype(np.int64)
    bits = np.arange(mid - count // 2, mid + count // 2)
    return bits.astype(np.int32).view(np.float32)


def _random_bits(low, high, count):
    """Float32 values with bit patterns uniform in [low, high] (every binade equally)."""
    lo, hi = np.float32(low).view(np.int32), np.float32(high).view(np.int32)
    return RNG.integers(lo, hi, count, endpoint=True).astype(np.int32).view(np.float32)


def _sample():
    """About 10 million float32 values, dense where the kernels are hardest: every binade
    (subnormals included), the backward's zero, the forward's underflow, the cut at 20."""
    both = lambda a: np.concatenate([a, -a])                                 # noqa: E731
    parts = [
        both(_random_bits(0.0, 10.0, 2_000_000)),
        RNG.uniform(-10, 10, 2_000_000).astype(np.float32),
        _consecutive(ROOT, 1_000_000),
        _consecutive(-0.5, 200_000), _consecutive(0.5, 200_000),
        RNG.uniform(-15, -12.5, 1_000_000).astype(np.float32),
        both(_consecutive(20.0, 100_000)),
        both(RNG.uniform(10, 30, 300_000).astype(np.float32)),
        both(_random_bits(30.0, 3.4e38, 200_000)),
        both(_consecutive(np.float32(1.1754944e-38), 100_000)),           # normal/subnormal edge
        both(np.arange(0, 100_000, dtype=np.int32).view(np.float32)),       # smallest subnormals
    ]
    return np.concatenate(parts)


def _reference(x):
    """float64 x Phi(x) and Phi(x) + x phi(x) (erfc, exp of exactly x*x/2), each error
    below 1e-15 relative (away from the backward's zero)."""
    v = x.astype(np.float64)
    p1, p2 = -v * _S1, -v * _S2
    z = p1 + p2
    dz = (p1 - z) + p2 - v * _S_LO
    cdf = 0.5 * (special.erfc(z) - (2 / math.sqrt(math.pi)) * np.exp(-z * z) * dz)
    pdf = np.exp(-0.5 * (v * v)) / math.sqrt(2 * math.pi)
    with np.errstate(invalid="ignore"):
        return v * cdf, cdf + v * pdf


def _round32(r, x, residual_positive_below=0.0):
    """r rounded to float32; where r is a midpoint and |x| < ``residual_positive_below``
    (the true value is known to be above r there), rounded up."""
    a = r.astype(np.float32)
    other = np.nextafter(a, np.where(a < r, np.float32(np.inf), np.float32(-np.inf)))
    tie = (a != r) & ((a.astype(np.float64) + other) * 0.5 == r)
    fix = tie & (np.abs(x) < residual_positive_below)
    return np.where(fix, np.maximum(a, other), a)


def _ulps(a, b):
    """|a - b| in float32 ulps (NaNs must match; they count 0)."""
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ka, kb = (c.view(np.int32).astype(np.int64) for c in (a, b))
    ka = np.where(ka < 0, -(ka & 0x7FFFFFFF), ka)
    kb = np.where(kb < 0, -(kb & 0x7FFFFFFF), kb)
    return np.where(np.isnan(a), 0, np.abs(ka - kb))


def _errors(x):
    """The forward's error in ulps; the backward's error over its bound (<= 1 passes)."""
    fwd = kernels.gelu(x)
    bwd = kernels.gelu_backward(np.ones_like(x), x, fwd)
    ref_fwd, ref_bwd = _reference(x)
    cdf = np.where(x == 0, 0.5, ref_fwd / np.where(x == 0, 1, x.astype(np.float64)))
    # x Phi(x) - x/2 = x**2 phi(0) + ... > 0: below 1e-30 the float64 product is x/2 exactly
    fwd_ulps = _ulps(fwd, _round32(ref_fwd, x, 1e-30))
    # Phi = y / x carries y's rounding (half an ulp of Phi, or of the subnormal y, over |x|)
    # and that of the division, which is float32's
    ref32 = _round32(ref_bwd, x)
    bound = (np.spacing(np.abs(ref32)).astype(np.float64) + 2.0 ** -23 * cdf
             + 2.0 ** -150 / np.maximum(np.abs(x.astype(np.float64)), 1e-300))
    with np.errstate(invalid="ignore"):
        over = np.abs(bwd.astype(np.float64) - ref_bwd) / bound
    return fwd_ulps, np.where(np.isnan(over), 0.0, over)


@needs_jit
def test_float32_gelu_forward_within_one_ulp_of_the_correctly_rounded_value():
    x = _sample()
    assert x.size > 9_000_000
    worst_fwd, off_fwd, worst_bwd = 0, 0, 0.0
    for start in range(0, x.size, 1 << 20):
        fwd_ulps, bwd_over = _errors(x[start:start + (1 << 20)])
        worst_fwd = max(worst_fwd, int(fwd_ulps.max()))
        off_fwd += int(np.count_nonzero(fwd_ulps))
        worst_bwd = max(worst_bwd, float(bwd_over.max()))
    assert worst_fwd <= 1
    # float64 error of ~1e-15 misrounds about one value in 10**9 (the reference's own
    # error is of the same order); a float32-accurate erf would misround millions
    assert off_fwd <= 20, off_fwd
    assert worst_bwd <= 1.0, worst_bwd


@needs_jit
def test_the_ulp_check_fails_on_a_kernel_one_ulp_off():
    x = _random_bits(0.0, 10.0, 4096)
    ref_fwd, _ = _reference(x)
    ref = _round32(ref_fwd, x, 1e-30)
    shifted = np.nextafter(ref, np.float32(np.inf))
    assert _ulps(shifted, ref).max() == 1
    assert _ulps(np.nextafter(shifted, np.float32(np.inf)), ref).max() == 2
    assert _errors(x)[0].max() == 0


@needs_jit
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_float32_gelu_special_values():
    tiny = np.float32(1.4e-45)
    values = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, tiny, -tiny, 3e38, -3e38, -20.0,
                       20.0, -19.999998, -13.5, 1.1754942e-38, -1.1754942e-38], np.float32)
    x = np.resize(values, 2048)             # large enough for the compiled path
    y = kernels.gelu(x)[:values.size]
    d = kernels.gelu_backward(np.ones_like(x), x, kernels.gelu(x))[:values.size]
    want_y = [np.inf, np.nan, np.nan, 0.0, -0.0, tiny, -0.0, 3e38, -0.0, -0.0, 20.0, -0.0]
    np.testing.assert_array_equal(y[:12], np.array(want_y, np.float32))
    assert np.signbit(y[4]) and np.signbit(y[6]) and np.signbit(y[8]) and not np.signbit(y[3])
    want_d = [np.nan, np.nan, np.nan, 0.5, 0.5, 0.5, 0.5, 1.0, 0.0, 0.0, 1.0, -0.0]
    np.testing.assert_array_equal(d[:12], np.array(want_d, np.float32))
    # -13.5: x Phi(x) is a subnormal float32 (about -1.06e-40), not zero
    ref_fwd, _ = _reference(values[12:])
    np.testing.assert_array_equal(y[12:], _round32(ref_fwd, values[12:], 1e-30))
    assert y[12] != 0


@needs_jit
def test_float32_gelu_through_the_op_is_the_kernels_output():
    x = RNG.uniform(-6, 6, 3_000_000).astype(np.float32)      # large: runs in parts
    g = RNG.standard_normal(x.size).astype(np.float32)
    t = ad.tensor(x, requires_grad=True)
    out = F.gelu(t)
    out.backward(g)
    one = np.empty_like(x)
    from autodiff.kernels import jit_gelu
    jit_gelu._gelu32_fwd(x, one)                              # one call, no parts
    np.testing.assert_array_equal(out.data, one)
    np.testing.assert_array_equal(t.grad, kernels.gelu_backward(g, x, one))
    assert out.dtype == t.grad.dtype == np.float32


def test_float64_gelu_gradients_against_finite_differences():
    for size in (12, 1100):                 # the NumPy twin, then the compiled kernel
        x = RNG.uniform(-5, 5, size)
        assert ad.gradcheck(F.gelu, [x], eps=1e-6, atol=1e-5, rtol=1e-3)
    x = RNG.uniform(-5, 5, 2000)
    t = ad.tensor(x, requires_grad=True)
    F.gelu(t).backward(np.ones_like(x))
    _, slope = _reference(x)
    np.testing.assert_allclose(t.grad, slope, rtol=1e-12, atol=1e-13)
