"""Numba kernels behind ``autodiff.kernels`` (imported lazily, on the first large call).

Every function here takes float32/float64 C-contiguous ndarrays that the dispatcher
in ``__init__`` has already checked, and matches its twin in ``numpy_twins`` to
float tolerance.  Loops are serial (``parallel=True`` loses to a serial loop as soon as
another process holds a core, and doubles compile time); large calls of the
elementwise and row kernels run as parts on several threads instead (``parts.py``),
where a busy core costs nothing.

Why not ``math.exp``: without a vector math library, LLVM calls the scalar libm
``exp`` per element and the loop does not vectorize.  ``_exp`` below uses only
arithmetic and bit operations, so loops that call it vectorize:

    exp(x) = 2**k * p(r),  k = round(x / ln 2),  r = x - k ln 2  (two-part ln 2)

with ``p`` a near-minimax polynomial (degree 11 for float64, 6 for float32) and
``2**k`` built from its exponent bits, applied in two halves so subnormal results
and results just below overflow come out right.  Measured error: at most 1 ulp
from the correctly rounded result in both precisions over the whole finite range;
NaN, ±inf, 0, overflow and underflow are exact (tests/test_kernels.py sweeps them).

Everything the kernels call lives in this one file on purpose: Numba's on-disk cache
is invalidated by a change to the file that holds a kernel, not to its callees.
"""

from __future__ import annotations

import math
import warnings

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.errors import NumbaError
from numba.extending import intrinsic, overload

from ..canonical_dtypes import canonical_dtype
from . import numba_start, parts

numba_start.start()          # before any kernel loads: keeps scipy.linalg out (see there)

#: Errors that mean "this kernel could not be compiled or cached", as opposed to a
#: wrong argument; the dispatcher falls back to the NumPy twin on these.
CompileFailure = (NumbaError, OSError)

# ----- a vectorizable exp ----------------------------------------------------------


@intrinsic
def _pow2_f64(typingctx, k):
    """2.0**k for an integer-valued float64 k in [-1022, 1023], from its bits."""
    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        n = builder.fptosi(args[0], i64)
        bits = builder.shl(builder.add(n, ir.Constant(i64, 1023)), ir.Constant(i64, 52))
        return builder.bitcast(bits, ir.DoubleType())
    return types.float64(types.float64), codegen


@intrinsic
def _pow2_f32(typingctx, k):
    """2.0**k for an integer-valued float32 k in [-126, 127], from its bits."""
    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        n = builder.fptosi(args[0], i32)
        bits = builder.shl(builder.add(n, ir.Constant(i32, 127)), ir.Constant(i32, 23))
        return builder.bitcast(bits, ir.FloatType())
    return types.float32(types.float32), codegen


@intrinsic
def _pow2_plus_64(typingctx, k):
    """2.0**(k + 64) for an integer-valued k with k + 64 in the normal exponent range."""
    def codegen(context, builder, signature, args):
        single = signature.args[0] == types.float32
        ity = ir.IntType(32 if single else 64)
        bias, mantissa = (127 + 64, 23) if single else (1023 + 64, 52)
        n = builder.fptosi(args[0], ity)
        bits = builder.shl(builder.add(n, ir.Constant(ity, bias)), ir.Constant(ity, mantissa))
        return builder.bitcast(bits, ir.FloatType() if single else ir.DoubleType())
    return k(k), codegen


@intrinsic
def _maxnum(typingctx, a, b):
    """LLVM's maxnum: the larger of a and b, ignoring a NaN operand.  A loop reducing
    with it vectorizes (LLVM does not vectorize a compare-and-select max here)."""
    def codegen(context, builder, signature, args):
        ty = args[0].type
        fn = builder.module.declare_intrinsic("llvm.maxnum", [ty], ir.FunctionType(ty, [ty, ty]))
        return builder.call(fn, args)
    return a(a, a), codegen


_F = np.float32
# float64: k*LN2_HI is exact for |k| < 2**21; SHIFT = 1.5 * 2**52 rounds to an integer.
_LOG2E = 1.4426950408889634
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_SHIFT, _HI, _LO = 6755399441055744.0, 710.0, -746.0
(_Q9, _Q8, _Q7, _Q6, _Q5, _Q4, _Q3, _Q2, _Q1, _Q0) = (
    2.510040371657669e-08, 2.7620112139572367e-07, 2.7557268421682613e-06,
    2.4801521246131495e-05, 0.0001984126986307828, 0.0013888888917245787,
    0.008333333333330056, 0.041666666666624066, 0.16666666666666669, 0.5000000000000001)
# float32: the same scheme with float32 constants (all arithmetic stays float32).
_LOG2E_F, _LN2_HI_F, _LN2_LO_F = _F(_LOG2E), _F(0.693145751953125), _F(1.428606765330187045e-06)
_SHIFT_F, _HI_F, _LO_F, _HALF_F, _ONE_F = _F(12582912.0), _F(89.0), _F(-104.0), _F(0.5), _F(1.0)
_P4, _P3, _P2, _P1, _P0 = (_F(0.0013926198007538915), _F(0.008363190107047558),
                           _F(0.041666556149721146), _F(0.16666576266288757), _F(0.5))

# 'contract' lets LLVM fuse a*b+c into one FMA; no reassociation, which would
# break the round-to-integer trick (x + SHIFT) - SHIFT.
_MATH = {"contract"}


def _exp64(x):
    xc = _HI if x > _HI else x
    xc = _LO if xc < _LO else xc
    k = (xc * _LOG2E + _SHIFT) - _SHIFT
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    q = _Q9 * r + _Q8
    q = q * r + _Q7
    q = q * r + _Q6
    q = q * r + _Q5
    q = q * r + _Q4
    q = q * r + _Q3
    q = q * r + _Q2
    q = q * r + _Q1
    q = q * r + _Q0
    p = 1.0 + (r + (r * r) * q)
    k1 = (k * 0.5 + _SHIFT) - _SHIFT
    y = (p * _pow2_f64(k1)) * _pow2_f64(k - k1)
    return x if x != x else y


def _exp32(x):
    xc = _HI_F if x > _HI_F else x
    xc = _LO_F if xc < _LO_F else xc
    k = (xc * _LOG2E_F + _SHIFT_F) - _SHIFT_F
    r = (xc - k * _LN2_HI_F) - k * _LN2_LO_F
    q = _P4 * r + _P3
    q = q * r + _P2
    q = q * r + _P1
    q = q * r + _P0
    p = _ONE_F + (r + (r * r) * q)
    k1 = (k * _HALF_F + _SHIFT_F) - _SHIFT_F
    y = (p * _pow2_f32(k1)) * _pow2_f32(k - k1)
    return x if x != x else y


def _expm1_64(x):
    # The reduction and polynomial repeat _exp64's on purpose: each overload stays one
    # straight-line block that inlines into the caller's loop, which is what vectorizes.
    # For |x| < ln2/2 the reduction is exact (k = 0, r = x), so expm1 = r + r*r*q
    # with no cancellation; elsewhere exp(x) - 1 loses at most about 1 ulp.
    xc = _HI if x > _HI else x
    xc = _LO if xc < _LO else xc
    k = (xc * _LOG2E + _SHIFT) - _SHIFT
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    q = _Q9 * r + _Q8
    q = q * r + _Q7
    q = q * r + _Q6
    q = q * r + _Q5
    q = q * r + _Q4
    q = q * r + _Q3
    q = q * r + _Q2
    q = q * r + _Q1
    q = q * r + _Q0
    pm1 = r + (r * r) * q
    k1 = (k * 0.5 + _SHIFT) - _SHIFT
    y = ((1.0 + pm1) * _pow2_f64(k1)) * _pow2_f64(k - k1) - 1.0
    y = pm1 if k == 0.0 else y
    return x if x != x else y


def _expm1_32(x):
    xc = _HI_F if x > _HI_F else x
    xc = _LO_F if xc < _LO_F else xc
    k = (xc * _LOG2E_F + _SHIFT_F) - _SHIFT_F
    r = (xc - k * _LN2_HI_F) - k * _LN2_LO_F
    q = _P4 * r + _P3
    q = q * r + _P2
    q = q * r + _P1
    q = q * r + _P0
    pm1 = r + (r * r) * q
    k1 = (k * _HALF_F + _SHIFT_F) - _SHIFT_F
    y = ((_ONE_F + pm1) * _pow2_f32(k1)) * _pow2_f32(k - k1) - _ONE_F
    y = pm1 if k == _F(0.0) else y
    return x if x != x else y


def _exp_nonpositive64(x):
    # exp for x <= 0 (or NaN) only, as in softmax's exp(x - max): k <= 0, so the
    # overflow clamp goes, and 2**k is applied as 2**(k + 64) (a normal number) times
    # 2**-64, which rounds a subnormal result once, like the two halves in _exp64.
    xc = _LO if x < _LO else x
    k = (xc * _LOG2E + _SHIFT) - _SHIFT
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    q = _Q9 * r + _Q8
    q = q * r + _Q7
    q = q * r + _Q6
    q = q * r + _Q5
    q = q * r + _Q4
    q = q * r + _Q3
    q = q * r + _Q2
    q = q * r + _Q1
    q = q * r + _Q0
    p = 1.0 + (r + (r * r) * q)
    y = (p * _pow2_plus_64(k)) * 5.421010862427522e-20       # 2**-64
    return x if x != x else y


def _exp_nonpositive32(x):
    xc = _LO_F if x < _LO_F else x
    k = (xc * _LOG2E_F + _SHIFT_F) - _SHIFT_F
    r = (xc - k * _LN2_HI_F) - k * _LN2_LO_F
    q = _P4 * r + _P3
    q = q * r + _P2
    q = q * r + _P1
    q = q * r + _P0
    p = _ONE_F + (r + (r * r) * q)
    y = (p * _pow2_plus_64(k)) * _F(5.421010862427522e-20)
    return x if x != x else y



def _expm1_nonpositive64(x):
    # expm1 for x <= 0 (or NaN) only, as in tanh's expm1(-2|x|): _expm1_64 with 2**k
    # applied as in _exp_nonpositive64.  For such x both round the same exact value
    # once, so the results are the same to the last bit (tests/test_compile_exp.py).
    # Straight-line on purpose, like the others (it must inline into loops).
    xc = _LO if x < _LO else x
    k = (xc * _LOG2E + _SHIFT) - _SHIFT
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    q = _Q9 * r + _Q8
    q = q * r + _Q7
    q = q * r + _Q6
    q = q * r + _Q5
    q = q * r + _Q4
    q = q * r + _Q3
    q = q * r + _Q2
    q = q * r + _Q1
    q = q * r + _Q0
    pm1 = r + (r * r) * q
    y = ((1.0 + pm1) * _pow2_plus_64(k)) * 5.421010862427522e-20 - 1.0
    y = pm1 if k == 0.0 else y
    return x if x != x else y


def _expm1_nonpositive32(x):
    xc = _LO_F if x < _LO_F else x
    k = (xc * _LOG2E_F + _SHIFT_F) - _SHIFT_F
    r = (xc - k * _LN2_HI_F) - k * _LN2_LO_F
    q = _P4 * r + _P3
    q = q * r + _P2
    q = q * r + _P1
    q = q * r + _P0
    pm1 = r + (r * r) * q
    y = ((_ONE_F + pm1) * _pow2_plus_64(k)) * _F(5.421010862427522e-20) - _ONE_F
    y = pm1 if k == _F(0.0) else y
    return x if x != x else y

def fexp(x):
    """Vectorizable exp of a float32 or float64 scalar (usable inside Numba kernels)."""
    return math.exp(x)


def fexp_nonpositive(x):
    """fexp for x <= 0 or NaN only (about 20 % faster); larger x give wrong results."""
    return math.exp(x)


def fexpm1(x):
    """Vectorizable expm1 of a float32 or float64 scalar (usable inside Numba kernels;
    the LSTM step kernel computes tanh with it)."""
    return math.expm1(x)


def _by_precision(f32_impl, f64_impl):
    def typer(x):
        if x == types.float32:
            return f32_impl
        if x == types.float64:
            return f64_impl
        return None
    return typer


# inline="always" inlines at the Numba level, so the loop that calls fexp vectorizes;
# the inlined code takes the caller's fastmath flags, so callers use _MATH only.
overload(fexp, inline="always")(_by_precision(_exp32, _exp64))
overload(fexp_nonpositive, inline="always")(_by_precision(_exp_nonpositive32,
                                                        _exp_nonpositive64))
overload(fexpm1, inline="always")(_by_precision(_expm1_32, _expm1_64))

# ----- compilation -----------------------------------------------------------------

_SOURCES = {}        # name -> [python function, njit options, its dispatcher]


def _kernel(**options):
    """Register a kernel; it is compiled on its first call (``cache=True`` when possible)."""
    def register(fn):
        dispatcher = _compile(fn, options, cache=_CACHE)
        _SOURCES[fn.__module__ + "." + fn.__name__] = [fn, options, dispatcher]
        return dispatcher
    return register


def _compile(fn, options, cache):
    # error_model="numpy": x / 0 gives inf/nan like NumPy instead of raising, and
    # keeps the checks out of the loops so they vectorize.
    options = {"error_model": "numpy", **options}
    if cache:
        try:
            return _returning_canonical_dtypes(numba.njit(cache=True, **options)(fn))
        except Exception:   # no writable cache location: compile without caching
            pass
    return numba.njit(cache=False, **options)(fn)


def _returning_canonical_dtypes(dispatcher):
    """Make the arrays a cached kernel allocates carry NumPy's own dtype objects.

    A kernel loaded from Numba's on-disk cache boxes the arrays it creates with dtype
    objects unpickled from that cache: equal to ``np.dtype(np.float64)`` but not the
    same object, and the library's fast paths compare dtypes by identity
    (``a.dtype is b.dtype``), so every op downstream of such an array would take its
    slow path.  Each overload's constants are swapped for the canonical dtypes as it
    is added (Numba calls ``add_overload`` after a cache load and after a compile).
    """
    add_overload = dispatcher.add_overload

    def add_with_canonical_dtypes(compile_result):
        constants = getattr(getattr(compile_result, "environment", None), "consts", None)
        for i, constant in enumerate(constants or ()):
            if isinstance(constant, np.dtype):
                constants[i] = canonical_dtype(constant)
        add_overload(compile_result)

    dispatcher.add_overload = add_with_canonical_dtypes
    return dispatcher


_CACHE = True


def disable_cache():
    """Recompile every kernel without the on-disk cache (after a failed cache write)."""
    global _CACHE
    if not _CACHE:
        return
    _CACHE = False
    warnings.warn("autodiff.kernels: the Numba cache could not be written; kernels are "
                  "compiled without caching in this process", RuntimeWarning, stacklevel=3)
    # A kernel is bound in the module that defines it, and perhaps here too (jit_conv,
    # jit_rnn): every name bound to the old dispatcher gets the new one.  Kernels that
    # call another resolve it when they compile, after all of them are replaced.
    namespaces = {id(fn.__globals__): fn.__globals__ for fn, _, _ in _SOURCES.values()}
    namespaces = list(namespaces.values())
    for entry in _SOURCES.values():
        fn, options, old = entry
        entry[2] = new = _compile(fn, options, cache=False)
        for namespace in namespaces:
            for name, value in list(namespace.items()):
                if value is old:
                    namespace[name] = new


# ----- elementwise -----------------------------------------------------------------


@_kernel(fastmath=_MATH, nogil=True)
def _sigmoid_fwd(x, out, one):
    for i in range(x.size):
        v = x[i]
        e = fexp(-abs(v))
        inv = one / (one + e)
        out[i] = inv if v >= 0 else e * inv


@_kernel(fastmath=_MATH, nogil=True)
def _sigmoid_bwd(g, x, out, one):
    for i in range(g.size):
        e = fexp_nonpositive(-abs(x[i]))
        inv = one / (one + e)
        out[i] = g[i] * (e * inv * inv)


@_kernel(fastmath=_MATH, nogil=True)
def _tanh_bwd(g, x, out, one, four):
    for i in range(g.size):
        v = abs(x[i])
        e = fexp_nonpositive(-(v + v))
        d = one + e
        out[i] = g[i] * ((four * e) / (d * d))


@_kernel(nogil=True)
def _relu_bwd(g, x, out, zero):
    for i in range(g.size):
        out[i] = g[i] if x[i] > zero else zero


@_kernel(nogil=True)
def _leaky_fwd(x, out, slope, zero):
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > zero else v * slope


@_kernel(nogil=True)
def _leaky_bwd(g, x, out, slope, zero):
    for i in range(g.size):
        out[i] = g[i] if x[i] > zero else g[i] * slope


def _flat_call(kernel, x, *extra):
    out = np.empty_like(x)
    _in_parts(kernel, (x.reshape(-1), out.reshape(-1)), extra)
    return out


def _flat_call_pair(kernel, g, y, *extra, out=None):
    """A backward kernel of (upstream gradient, saved array) on flat views."""
    if out is None:
        out = np.empty_like(g)
    _in_parts(kernel, (g.reshape(-1), y.reshape(-1), out.reshape(-1)), extra)
    return out


def _in_parts(kernel, arrays, extra, elements_per_row=1):
    """``kernel(*arrays, *extra)``, cut into parts over the arrays' rows when large."""
    if parts.how_many(arrays[0].shape[0], elements_per_row) == 1:
        kernel(*arrays, *extra)
        return
    parts.call_in_parts(kernel, arrays + tuple(extra),
                        (True,) * len(arrays) + (False,) * len(extra), elements_per_row)


# The same loops for arrays too small for the calls above: one dispatcher call that
# makes its own output and constants (about 1 µs, where the Python wrapper above
# takes 2.5 µs and the NumPy formula five to eight calls).


@_kernel(fastmath=_MATH)
def sigmoid_small(x):
    out = np.empty_like(x)
    _sigmoid_fwd(x.reshape(-1), out.reshape(-1), np.ones(1, x.dtype)[0])
    return out


@_kernel(fastmath=_MATH)
def sigmoid_backward_small(g, x):
    out = np.empty_like(g)
    _sigmoid_bwd(g.reshape(-1), x.reshape(-1), out.reshape(-1), np.ones(1, g.dtype)[0])
    return out


@_kernel(fastmath=_MATH)
def tanh_backward_small(g, x):
    out = np.empty_like(g)
    one = np.ones(1, g.dtype)[0]
    _tanh_bwd(g.reshape(-1), x.reshape(-1), out.reshape(-1), one, one + one + one + one)
    return out


def sigmoid(x):
    return _flat_call(_sigmoid_fwd, x, x.dtype.type(1))


def sigmoid_backward(g, x):
    return _flat_call_pair(_sigmoid_bwd, g, x, g.dtype.type(1))


def tanh_backward(g, x):
    return _flat_call_pair(_tanh_bwd, g, x, g.dtype.type(1), g.dtype.type(4))


def relu_backward(g, x, out=None):
    return _flat_call_pair(_relu_bwd, g, x, g.dtype.type(0), out=out)


def leaky_relu(x, slope=0.01):
    return _flat_call(_leaky_fwd, x, x.dtype.type(slope), x.dtype.type(0))


def leaky_relu_backward(g, x, slope=0.01):
    return _flat_call_pair(_leaky_bwd, g, x, g.dtype.type(slope), g.dtype.type(0))


# ----- softmax family, by rows of a (rows, C) view ----------------------------------
# Each row (a few KB) stays in L1 across the passes over it, so memory is read once.
# The sums are separate functions with their own fastmath flags ('reassoc') so that
# they vectorize, while the loops that call fexp keep
# strict IEEE semantics (which its range reduction needs).  A NaN anywhere in a row
# still makes the whole row NaN, through exp(x - max) and the sum.


def _row_max_py(xr):
    # NaNs never win (maxnum skips them); they reach the output through exp(x - max).
    m = xr[0]
    for j in range(1, xr.size):
        m = _maxnum(m, xr[j])
    return m


def _row_sum_py(xr):
    s = xr[0]
    for j in range(1, xr.size):
        s += xr[j]
    return s


def _row_dot_py(xr, yr):
    s = xr[0] * yr[0]
    for j in range(1, xr.size):
        s += xr[j] * yr[j]
    return s


_row_max = _kernel()(_row_max_py)
_row_sum = _kernel(fastmath={"reassoc", "contract"})(_row_sum_py)
_row_dot = _kernel(fastmath={"reassoc", "contract"})(_row_dot_py)


@_kernel(fastmath=_MATH)
def _exp_shifted_row(xr, outr):
    """outr = exp(xr - max(xr)); returns (sum of outr, max(xr))."""
    m = _row_max(xr)
    for j in range(xr.size):
        outr[j] = fexp_nonpositive(xr[j] - m)      # xr[j] - m <= 0, or NaN
    return _row_sum(outr), m


# ----- scatter-add -----------------------------------------------------------------


@_kernel()
def _check_index(idx, n, fixed):
    """Copy idx into fixed with negatives wrapped; return the first bad position or -1."""
    for i in range(idx.size):
        j = idx[i]
        if j < 0:
            j += n
        if j < 0 or j >= n:
            return i
        fixed[i] = j
    return -1


@_kernel()
def _scatter_rows(out, idx, values):
    # out: (P, N, R); idx: (K,); values: (P, K, R)
    for p in range(out.shape[0]):
        for i in range(idx.size):
            row = idx[i]
            for r in range(out.shape[2]):
                out[p, row, r] += values[p, i, r]


def scatter_add(out, axis, idx, values):
    """out[(:,)*axis + (idx,)] += values for a 1-d integer idx, accumulating repeats."""
    n = out.shape[axis]
    fixed = np.empty(idx.size, dtype=np.intp)
    bad = _check_index(idx.reshape(-1), n, fixed)
    if bad >= 0:
        raise IndexError(f"index {idx.reshape(-1)[bad]} is out of bounds for axis {axis} "
                         f"with size {n}")
    pre = int(np.prod(out.shape[:axis], dtype=np.int64))
    post = int(np.prod(out.shape[axis + 1:], dtype=np.int64))
    _scatter_rows(out.reshape(pre, n, post), fixed, values.reshape(pre, idx.size, post))
    return out


# The nn, convolution, LSTM, softmax and LU kernels live in their own files, which import
# this one; the dispatcher finds them here by name.  They are imported as modules and their
# names looked up on use, so that any of those files can also be the first one imported.
from . import jit_conv, jit_linalg, jit_nn, jit_rnn, jit_softmax  # noqa: E402

_ELSEWHERE = {
    name: module
    for module, names in (
        (jit_nn, ("cross_entropy", "cross_entropy_head", "cross_entropy_loss", "erf",
                  "erf_backward", "gelu", "gelu_backward", "layer_norm",
                  "layer_norm_backward", "relu", "sum_rows")),
        (jit_conv, ("col2im", "max_pool2d", "max_pool2d_backward")),
        (jit_rnn, ("lstm_cell_backward", "lstm_cell_forward")),
        (jit_softmax, ("softmax", "softmax_backward", "log_softmax", "log_softmax_backward")),
        (jit_linalg, ("getrf_panel",)))
    for name in names}


def __getattr__(name):
    if name in _ELSEWHERE:
        value = globals()[name] = getattr(_ELSEWHERE[name], name)   # found once
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
