"""Hot-path kernels on plain ndarrays (no Tensor import).

Each kernel has a NumPy twin in ``numpy_twins``; the ops call only the names
exported here.  With Numba available, float32/float64 C-contiguous arrays that are
large enough go to the compiled kernels in ``jit``; everything else (float16,
integers, non-contiguous views, 0-d and tiny arrays, where the call overhead would
dominate) takes the twin, so results are identical there.  ``AUTODIFF_JIT=0`` in the
environment (read at import) selects the twins everywhere; ``JIT_ENABLED`` tells
which.

Compilation is lazy: ``import autodiff`` neither imports Numba nor compiles
anything; the first large call imports ``jit`` and compiles (or loads from Numba's
on-disk cache) the kernels it needs.  If the cache cannot be written the kernels are
compiled without it; if Numba is missing or a kernel fails to compile, the twin is
used and a warning says so once.

Which path each name takes is decided by measurement (``python -m bench``): where
NumPy's own SIMD loop is as fast as a compiled one (``tanh``, ``exp``), the name is
the NumPy function.

>>> import numpy as np
>>> from autodiff import kernels
>>> kernels.sigmoid(np.zeros(3))
array([0.5, 0.5, 0.5])
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from . import numpy_twins as _twins
from . import parts as _parts
from . import numpy_twins_linalg as _twins_linalg
from . import numpy_twins_nn as _twins_nn

JIT_ENABLED = os.environ.get("AUTODIFF_JIT", "1").strip().lower() not in ("0", "false", "no", "off")

#: Below these sizes (elements) the NumPy twin is used: a compiled call costs about
#: 1 µs, and small programs then never pay for importing Numba and loading kernels.
MIN_ELEMENTWISE = 1024
MIN_ROWS = 512
MIN_SCATTER = 256
MIN_LU = 256

_nd = np.ndarray
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))     # native byte order only
_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_jit = None          # the ``jit`` module once loaded; False when unavailable
_failed = set()      # kernels that could not be compiled: they use the twin


def _load():
    global _jit
    if _jit is None:
        try:
            from . import jit as module
        except Exception as error:  # Numba missing or broken: NumPy everywhere
            warnings.warn(f"autodiff.kernels: Numba kernels unavailable ({error!r}); "
                          "using the NumPy versions", RuntimeWarning, stacklevel=3)
            module = False
        _jit = module
    return _jit


def loaded() -> bool:
    """Whether the Numba kernels are loaded already (a kernel call then costs about a
    microsecond, not the import of Numba).

    >>> ad.kernels.loaded() in (True, False)
    True
    """
    return _jit is not None and _jit is not False


def _call(name, twin, *args):
    module = _jit if _jit is not None else _load()
    if module is False or name in _failed:
        return twin(*args)
    try:
        return getattr(module, name)(*args)
    except module.CompileFailure as error:
        if isinstance(error, OSError) and module._CACHE:
            module.disable_cache()          # e.g. a read-only cache location
            return _call(name, twin, *args)
        _failed.add(name)
        warnings.warn(f"autodiff.kernels: compiling {name} failed ({error!r}); using the "
                      "NumPy version", RuntimeWarning, stacklevel=3)
        return twin(*args)


def _ok(a, minimum):
    # type check first: it is the cheap test that rejects scalars and Python floats.
    return (type(a) is _nd and a.size >= minimum and a.dtype in _FLOATS
            and a.flags.c_contiguous)


def _ok2(a, b, minimum):
    # _ok(a, minimum) written out (one Python call less for every small backward).
    return (type(a) is _nd and type(b) is _nd and a.size >= minimum and a.dtype in _FLOATS
            and b.dtype is a.dtype and b.shape == a.shape and a.flags.c_contiguous
            and b.flags.c_contiguous)


def _half_pair(g, x):
    """Both float16 arrays: the backward is computed in float32 and rounded once, as
    PyTorch's float16 kernels."""
    return type(x) is _nd and x.dtype is _F16 and type(g) is _nd and g.dtype is _F16


def _last_axis(a, axis):
    return type(axis) is int and (axis == -1 or axis == a.ndim - 1)


# ----- elementwise ------------------------------------------------------------------
# NumPy's own SIMD loops for tanh and exp are as fast as or faster than a compiled
# loop here, and exp's backward is one multiply: these stay NumPy.
tanh = np.tanh
exp = np.exp


def relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.maximum(x, 0)``, bit for bit (NaN kept, -0.0 made 0.0); written into
    ``out`` (x's shape and dtype, C-contiguous) when given.

    >>> relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    if (JIT_ENABLED and _ok(x, MIN_ELEMENTWISE)
            and (out is None or (type(out) is _nd and out.dtype is x.dtype
                                 and out.shape == x.shape and out.flags.c_contiguous))):
        return _call("relu", _twins.relu, x, out)
    return _twins.relu(x, out)


def sum_rows(x: np.ndarray) -> np.ndarray:
    """``np.add.reduce(x, 0)`` of a 2-D array (a bias's gradient), bit for bit.  NumPy
    calls its add loop once per row; the compiled loop takes C-contiguous float32 and
    float64 arrays of two columns or more (one column is a 1-D sum, which NumPy adds
    pairwise) once the kernels are loaded, or when large.

    >>> sum_rows(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([4., 6.])
    """
    if (JIT_ENABLED and type(x) is _nd and x.ndim == 2 and x.shape[1] > 1
            and x.dtype in _FLOATS and x.flags.c_contiguous
            and (_jit is not None and _jit is not False or x.size >= MIN_ELEMENTWISE)):
        out = _empty(x.shape[1], x.dtype)
        _call("sum_rows", _add_reduce_rows, x, out)
        return out
    return _add_reduce(x, 0)


def _add_reduce_rows(x, out):
    _add_reduce(x, 0, out=out)


_add_reduce = np.add.reduce
_empty = np.empty


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), stable for any finite x.

    >>> sigmoid(np.array([0.0, 100.0]))
    array([0.5, 1. ])
    """
    if JIT_ENABLED and _ok(x, 0):
        if x.size >= MIN_ELEMENTWISE:
            return _call("sigmoid", _twins.sigmoid, x)
        return _call("sigmoid_small", _twins.sigmoid, x)
    if type(x) is _nd and x.dtype is _F16:
        return sigmoid(x.astype(_F32)).astype(_F16)     # rounded once, as PyTorch's
    if type(x) is _nd and x.dtype.kind == "c":  # (the stable form reads |x|: real only)
        return 1 / (1 + np.exp(-x))
    return _twins.sigmoid(x)


def sigmoid_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """g * sigmoid(x) * (1 - sigmoid(x)), given the input x (accurate where sigmoid
    saturates, unlike s * (1 - s) from its output).

    >>> sigmoid_backward(np.ones(2), np.array([0.0, 40.0]))
    array([2.50000000e-01, 4.24835426e-18])
    """
    if JIT_ENABLED and _ok2(g, x, 0):
        if g.size >= MIN_ELEMENTWISE:
            return _call("sigmoid_backward", _twins.sigmoid_backward, g, x)
        return _call("sigmoid_backward_small", _twins.sigmoid_backward, g, x)
    if _half_pair(g, x):
        return sigmoid_backward(g.astype(_F32), x.astype(_F32)).astype(_F16)
    return _twins.sigmoid_backward(g, x)


def tanh_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """g * (1 - tanh(x)**2), given the input x (accurate where tanh saturates, unlike
    1 - t*t from its output).

    >>> tanh_backward(np.ones(2), np.array([0.0, 20.0]))
    array([1.0000000e+00, 1.6993417e-17])
    """
    if JIT_ENABLED:
        if _ok2(g, x, 0):
            if g.size >= MIN_ELEMENTWISE:
                return _call("tanh_backward", _twins.tanh_backward, g, x)
            return _call("tanh_backward_small", _twins.tanh_backward, g, x)
        # Mixed dtypes or layouts: half the NumPy calls.  (With AUTODIFF_JIT=0 every
        # size keeps the twin, the formula fused loops are generated from, so their
        # NumPy replays equal eager bitwise.)
        if type(x) is _nd and type(g) is _nd and x.dtype in _FLOATS and g.dtype in _FLOATS:
            return _twins.tanh_backward_few_calls(g, x)
    if _half_pair(g, x):
        return tanh_backward(g.astype(_F32), x.astype(_F32)).astype(_F16)
    return _twins.tanh_backward(g, x)


def relu_backward(g: np.ndarray, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """g where x > 0, else 0; written into ``out`` (g's shape and dtype) when given."""
    if JIT_ENABLED and _ok2(g, x, MIN_ELEMENTWISE) and (out is None or out.flags.c_contiguous):
        return _call("relu_backward", _twins.relu_backward, g, x, out)
    return _twins.relu_backward(g, x, out)


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """x where x > 0, else slope * x."""
    if JIT_ENABLED and _ok(x, MIN_ELEMENTWISE) and type(slope) in (float, int):
        return _call("leaky_relu", _twins.leaky_relu, x, slope)
    if type(x) is _nd and x.dtype is _F16 and type(slope) in (float, int):
        # x * slope in float32, rounded once (not slope rounded to float16 first)
        return leaky_relu(x.astype(_F32), slope).astype(_F16)
    return _twins.leaky_relu(x, slope)


def leaky_relu_backward(g: np.ndarray, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """g where x > 0, else slope * g."""
    if JIT_ENABLED and _ok2(g, x, MIN_ELEMENTWISE) and type(slope) in (float, int):
        return _call("leaky_relu_backward", _twins.leaky_relu_backward, g, x, slope)
    if _half_pair(g, x) and type(slope) in (float, int):
        return leaky_relu_backward(g.astype(_F32), x.astype(_F32), slope).astype(_F16)
    return _twins.leaky_relu_backward(g, x, slope)


# ----- softmax family (compiled along the last axis only) ---------------------------

def rows_kernel_applies(x: np.ndarray, axis, other: np.ndarray | None = None) -> bool:
    """The softmax family below runs its Numba kernel on ``x`` (and ``other``, the
    backward's second array): a compiled step keeps such a step out of its fused loops,
    whose row sums follow NumPy's order rather than the kernel's.

    >>> rows_kernel_applies(np.ones((2, 3)), -1)
    False
    """
    if other is None:
        return JIT_ENABLED and _ok(x, MIN_ROWS) and _last_axis(x, axis)
    return JIT_ENABLED and _ok2(x, other, MIN_ROWS) and _last_axis(x, axis)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along ``axis``.

    >>> softmax(np.array([[0.0, 0.0]]))
    array([[0.5, 0.5]])
    """
    if rows_kernel_applies(x, axis):
        return _call("softmax", _twins.softmax, x, axis)
    return _twins.softmax(x, axis)


def softmax_backward(g: np.ndarray, s: np.ndarray, axis: int = -1) -> np.ndarray:
    """s * (g - sum(g * s, axis)), given the softmax output s."""
    if rows_kernel_applies(g, axis, s):
        return _call("softmax_backward", _twins.softmax_backward, g, s, axis)
    return _twins.softmax_backward(g, s, axis)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x - max - log(sum(exp(x - max))) along ``axis``."""
    if rows_kernel_applies(x, axis):
        return _call("log_softmax", _twins.log_softmax, x, axis)
    return _twins.log_softmax(x, axis)


def log_softmax_backward(g: np.ndarray, ans: np.ndarray, axis: int = -1) -> np.ndarray:
    """g - exp(ans) * sum(g, axis), given the log-softmax output ans."""
    if rows_kernel_applies(g, axis, ans):
        return _call("log_softmax_backward", _twins.log_softmax_backward, g, ans, axis)
    return _twins.log_softmax_backward(g, ans, axis)


def _targets_ok(target, n):
    return (type(target) is _nd and target.shape == (n,) and target.dtype.isnative
            and (target.dtype.kind == "i" or (target.dtype.kind == "u" and target.itemsize < 8)))


def _cross_entropy_ok(logits, target):
    return (JIT_ENABLED and _ok(logits, MIN_ROWS) and logits.ndim == 2
            and _targets_ok(target, logits.shape[0]))


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy of (N, C) logits against integer targets, and its gradient.

    The gradient with respect to the logits, ``(softmax(logits) - onehot(target)) / N``,
    comes out of the same pass over each row, so a backward only has to scale it.

    >>> loss, grad = cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> float(loss), grad[0]
    (1.3862943611198906, array([-0.375,  0.125,  0.125,  0.125]))
    """
    if _cross_entropy_ok(logits, target):
        return _call("cross_entropy", _twins.cross_entropy, logits, target)
    return _twins.cross_entropy(logits, target)


def cross_entropy_loss(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The mean cross-entropy alone (no (N, C) array is written).

    >>> float(cross_entropy_loss(np.zeros((2, 4)), np.array([0, 3])))
    1.3862943611198906
    """
    if _cross_entropy_ok(logits, target):
        return _call("cross_entropy_loss", _twins.cross_entropy_loss, logits, target)
    return _twins.cross_entropy_loss(logits, target)


def cross_entropy_head(x: np.ndarray, bias: np.ndarray,
                       target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``cross_entropy(x + bias, target)`` (bias along the rows), its gradient in the
    logits, and that gradient summed over the rows (the bias's gradient): a compiled
    step's loss head in one pass (``autodiff.compile.loss_head``), with the values of
    the three calls it replaces.

    >>> loss, grad, bias_grad = cross_entropy_head(np.zeros((2, 4)), np.zeros(4),
    ...                                            np.array([0, 3]))
    >>> bias_grad
    array([-0.25,  0.25,  0.25, -0.25])
    """
    if (_cross_entropy_ok(x, target) and type(bias) is _nd and bias.dtype is x.dtype
            and bias.shape == x.shape[1:] and bias.flags.c_contiguous
            and _parts.how_many(*x.shape) == 1):
        return _call("cross_entropy_head", _cross_entropy_head_calls, x, bias, target)
    return _cross_entropy_head_calls(x, bias, target)


def _cross_entropy_head_calls(x, bias, target):
    loss, grad = cross_entropy(np.add(x, bias), target)
    return loss, grad, np.add.reduce(grad, axis=0)


# ----- scatter-add ------------------------------------------------------------------

def _scatter_axis(out, key):
    """The axis and index array when ``key`` is one integer array (after full slices)."""
    if type(key) is _nd:
        return 0, key
    if type(key) is not tuple:
        return None
    axis = None
    for i, part in enumerate(key):
        if type(part) is _nd and axis is None:
            axis = i
        elif not (type(part) is slice and part == slice(None)):
            return None
    return None if axis is None else (axis, key[axis])


def scatter_add(out: np.ndarray, key, values: np.ndarray) -> np.ndarray:
    """out[key] += values with repeated indices accumulating (``np.add.at`` semantics).

    Compiled when ``key`` is one integer array, optionally after full slices
    (``(slice(None),) * axis + (idx,)``, as ``take`` produces), ``values`` has exactly
    the indexed shape and both arrays share a float dtype; otherwise ``np.add.at``.

    >>> scatter_add(np.zeros(3), np.array([0, 0, 2]), np.ones(3))
    array([2., 0., 1.])
    """
    if JIT_ENABLED and type(values) is _nd and values.size >= MIN_SCATTER and _ok(out, 1):
        found = _scatter_axis(out, key)
        if found is not None:
            axis, idx = found
            if (idx.dtype.kind == "i" and idx.dtype.isnative and values.dtype == out.dtype
                    and values.shape == out.shape[:axis] + idx.shape + out.shape[axis + 1:]):
                return _call("scatter_add", _scatter_twin, out, axis, idx,
                             np.ascontiguousarray(values))
    return _twins.scatter_add(out, key, values)


def _scatter_twin(out, axis, idx, values):
    return _twins.scatter_add(out, (slice(None),) * axis + (idx,), values)


# ----- nn: erf, GELU, layer norm ---------------------------------------------------

def erf(x):
    """The error function, accurate to a few ulp in float64.

    >>> erf(np.array([0.0, 1.0]))
    array([0.        , 0.84270079])
    """
    if JIT_ENABLED and _ok(x, MIN_ELEMENTWISE):
        return _call("erf", _twins_nn.erf, x)
    return _twins_nn.erf(x)


def erf_backward(g, x):
    """g * 2/sqrt(pi) * exp(-x**2)."""
    if JIT_ENABLED and _ok2(g, x, MIN_ELEMENTWISE):
        return _call("erf_backward", _twins_nn.erf_backward, g, x)
    return _twins_nn.erf_backward(g, x)


def gelu(x, approximate="none"):
    """x * Phi(x) (``approximate="none"``) or the tanh approximation (``"tanh"``)."""
    if JIT_ENABLED and _ok(x, MIN_ELEMENTWISE):
        return _call("gelu", _twins_nn.gelu, x, approximate)
    return _twins_nn.gelu(x, approximate)


def gelu_backward(g, x, ans, approximate="none"):
    """g * d gelu(x) / dx in one pass; ``ans`` is the forward's output (the compiled
    exact path reads the CDF from it, ``ans / x``, instead of evaluating it again)."""
    if JIT_ENABLED and _ok2(g, x, MIN_ELEMENTWISE) and _ok2(g, ans, 1):
        return _call("gelu_backward", _twins_nn.gelu_backward, g, x, ans, approximate)
    return _twins_nn.gelu_backward(g, x, ans, approximate)


def _affine_ok(x, weight, bias):
    if weight is None and bias is None:
        return True
    return all(type(a) is _nd and a.dtype is x.dtype and a.shape == (x.shape[1],)
               and a.flags.c_contiguous for a in (weight, bias))


def layer_norm(x, weight, bias, eps):
    """Normalise the rows of a 2-d x (then ``* weight + bias``); returns (y, mean, rstd).

    >>> y, mean, rstd = layer_norm(np.array([[1.0, 3.0]]), None, None, 0.0)
    >>> y, mean
    (array([[-1.,  1.]]), array([2.]))
    """
    if JIT_ENABLED and _ok(x, MIN_ELEMENTWISE) and x.ndim == 2 and _affine_ok(x, weight, bias):
        return _call("layer_norm", _twins_nn.layer_norm, x, weight, bias, eps)
    return _twins_nn.layer_norm(x, weight, bias, eps)


def layer_norm_backward(g, x, mean, rstd, weight):
    """Gradients ``(x, weight, bias)`` of ``layer_norm`` on a 2-d x, one pass per row."""
    if (JIT_ENABLED and _ok2(g, x, MIN_ELEMENTWISE) and x.ndim == 2
            and (weight is None or _affine_ok(x, weight, weight))):
        return _call("layer_norm_backward", _twins_nn.layer_norm_backward, g, x, mean, rstd,
                     weight)
    return _twins_nn.layer_norm_backward(g, x, mean, rstd, weight)


# ----- convolution and pooling ------------------------------------------------------

MIN_CONV = 4096


def _conv_ok(a):
    return (type(a) is _nd and a.size >= MIN_CONV and a.dtype in _FLOATS
            and a.dtype.isnative)


def col2im(cols, padded_shape, stride, dilation):
    """Sum (G, N, Ho, Wo, kh, kw, Cg) columns (any strides) into zeros of
    ``padded_shape`` (N, Hp, Wp, G, Cg): the adjoint of the im2col gather.

    >>> col2im(np.ones((1, 1, 1, 2, 2, 2, 1)), (1, 2, 3, 1, 1), (1, 1), (1, 1))[0, :, :, 0, 0]
    array([[1., 2., 1.],
           [1., 2., 1.]])
    """
    if JIT_ENABLED and _conv_ok(cols):
        return _call("col2im", _twins.col2im, cols, padded_shape, stride, dilation)
    return _twins.col2im(cols, padded_shape, stride, dilation)


def max_pool2d(x, out_hw, kernel, stride, padding, dilation):
    """Window maxima of (N, C, H, W) ``x`` and the in-plane index ``h * W + w`` of each.

    The first maximum in row-major window order is chosen (a NaN beats any number).

    >>> out, where = max_pool2d(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), (1, 1), (2, 2),
    ...                         (2, 2), (0, 0), (1, 1))
    >>> out.ravel(), where.ravel()
    (array([3.]), array([1]))
    """
    if JIT_ENABLED and _conv_ok(x) and x.flags.c_contiguous:
        return _call("max_pool2d", _twins.max_pool2d, x, out_hw, kernel, stride, padding,
                     dilation)
    return _twins.max_pool2d(x, out_hw, kernel, stride, padding, dilation)


def max_pool2d_backward(g, where, x_shape):
    """Zeros of ``x_shape`` with each output gradient added at its window's maximum."""
    if JIT_ENABLED and _conv_ok(g):
        return _call("max_pool2d_backward", _twins.max_pool2d_backward, g, where, x_shape)
    return _twins.max_pool2d_backward(g, where, x_shape)


# ----- one LSTM time step -------------------------------------------------------------

def _rnn_ok(*arrays):
    first = arrays[0]
    return (type(first) is _nd and first.dtype in _FLOATS and first.size >= MIN_ROWS
            and all(type(a) is _nd and a.dtype is first.dtype for a in arrays))


def lstm_cell_forward(z, c_prev, act, hc):
    """One LSTM step from pre-activations ``z`` (B, 4H): writes the gates (i, f, g, o)
    into ``act`` and ``[h, c]`` into ``hc`` (B, 2H).

    >>> act, hc = np.empty((1, 4)), np.empty((1, 2))
    >>> lstm_cell_forward(np.zeros((1, 4)), np.ones((1, 1)), act, hc); hc  # h = tanh(.5)/2
    array([[0.23105858, 0.5       ]])
    """
    if JIT_ENABLED and _rnn_ok(z, c_prev, act, hc):
        return _call("lstm_cell_forward", _twins.lstm_cell_forward, z, c_prev, act, hc)
    return _twins.lstm_cell_forward(z, c_prev, act, hc)


def lstm_cell_backward(gh, gc, dh_next, dc_next, act, c_now, c_prev, dz, dc_prev):
    """The one-pass VJP of ``lstm_cell_forward``: writes ``dz`` (B, 4H) and ``dc_prev``."""
    if JIT_ENABLED and _rnn_ok(act, gh, gc, dh_next, dc_next, c_now, c_prev, dz, dc_prev):
        return _call("lstm_cell_backward", _twins.lstm_cell_backward, gh, gc, dh_next, dc_next,
                     act, c_now, c_prev, dz, dc_prev)
    return _twins.lstm_cell_backward(gh, gc, dh_next, dc_next, act, c_now, c_prev, dz, dc_prev)


# ----- LU ---------------------------------------------------------------------------

#: Columns per panel of the blocked LU; the update of the rest after each panel is one
#: batched matrix product.  Matrices with fewer columns are factored in one panel.
LU_PANEL = 16


def getrf(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's ``getrf`` on each matrix of ``(..., m, n)``: the packed LU (unit L below
    the diagonal, U on and above) and the 1-based int32 row swaps ``(..., min(m, n))``,
    the pivot being the first entry of largest magnitude in its column.  Right-looking
    and blocked: ``LU_PANEL`` columns at a time, then the rest updated by one product.

    >>> lu, pivots = getrf(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> lu, pivots
    (array([[3.        , 4.        ],
           [0.33333333, 0.66666667]]), array([2, 2], dtype=int32))
    """
    a = np.asarray(a)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    k = min(m, n)
    x = np.array(a.reshape((int(np.prod(batch)), m, n)), order="C")      # a copy
    pivots = np.empty((x.shape[0], k), dtype=np.int32)
    compiled = JIT_ENABLED and _ok(x, MIN_LU) and x.dtype.isnative
    for start in range(0, k, LU_PANEL):
        stop = min(start + LU_PANEL, k)
        if compiled:
            _call("getrf_panel", _twins_linalg.getrf_panel, x, pivots, start, stop)
        else:
            _twins_linalg.getrf_panel(x, pivots, start, stop)
        if stop < k:
            x[:, stop:, stop:] -= x[:, stop:, start:stop] @ x[:, start:stop, stop:]
    return x.reshape(a.shape), pivots.reshape(batch + (k,))
