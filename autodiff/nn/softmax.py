"""The softmax family: ``softmax`` and ``log_softmax`` ops, ``logsumexp``, ``one_hot``.

Each op is a forward kernel with its vector-Jacobian product written next to it:

* ``softmax``:      grad_x = s * (g - sum(g * s))        (s = the output)
* ``log_softmax``:  grad_x = g - exp(ans) * sum(g)

A plain ``backward()`` runs these rules through the NumPy kernels
(``autodiff.kernels``); ``backward(create_graph=True)`` runs the same rules with
differentiable ops, so second derivatives work.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import kernels
from ..conventions import empty_dims
from ..missing_dtypes import numpy_dtype
from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops.namespace import xp_function
from ..ops.registry import defop
from ..ops.saturation import SOFTMAX
from ..tensor import Tensor


def _check_float(x, where):
    dtype = x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
    if dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point values, got dtype {dtype} (shape "
                        f"{tuple(np.shape(x))}); convert first, e.g. x.astype(np.float64)")


# ----- softmax ------------------------------------------------------------------
# Kernels are looked up at call time (``kernels.softmax``), so a faster kernel
# installed under the same name is picked up without touching these ops.

def _softmax_forward(x, axis=-1):
    try:
        return kernels.softmax(x, axis)
    except ValueError:
        if _empty_with_axis(x, axis):   # (NumPy's max of an empty lane raised)
            return np.empty_like(x)
        raise


def _empty_with_axis(x, axis) -> bool:
    """An empty input and an axis it has: softmax's result is empty, as PyTorch's.
    Asked only after NumPy's error, so nothing is added to the usual path."""
    ndim = np.ndim(x)
    return (np.size(x) == 0 and isinstance(axis, (int, np.integer))
            and -max(ndim, 1) <= axis < max(ndim, 1))


def _softmax_backward_numpy(g, s, axis=-1):
    return kernels.softmax_backward(g, s, axis)


def _softmax_backward_tensor(g, s, axis=-1):
    return s * (g - rd.sum(g * s, axis=axis, keepdims=True))


xp_function("softmax_backward", _softmax_backward_numpy, _softmax_backward_tensor)

_softmax = defop(
    "softmax", _softmax_forward,
    hint="axis must be an int in [-ndim, ndim)",
    x=("ans * (g - sum(g * ans, axis))",
       lambda xp, g, ans, x, axis=-1: xp.softmax_backward(g, ans, axis)),
    axis=None, saturation=SOFTMAX,
    probability="ad.log_softmax(logits, axis=...) for log(softmax(logits)), or "
                "nn.functional.cross_entropy")


def _dim(x, axis, dim, where):
    """The axis from ``axis=`` or PyTorch's ``dim=`` (one of them); the last when
    neither is given, with a warning where PyTorch's deprecated implicit choice takes
    another axis (3-D and larger inputs: axis 0 for 3-D, 1 beyond)."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; pass one")
        if type(dim) in (tuple, list) and not dim:
            empty_dims(where)           # (raises: PyTorch's takes one dim)
        return dim
    if axis is not None:
        return axis
    ndim = np.ndim(x.data if isinstance(x, Tensor) else x)
    if ndim >= 3:
        warnings.warn(
            f"{where}: no dim given for an input of {ndim} dimensions; the last axis is "
            f"used, where PyTorch's deprecated implicit choice would take axis "
            f"{0 if ndim == 3 else 1}. Pass dim= to say which (dim=-1 for this one)",
            UserWarning, stacklevel=3)
    return -1


def softmax(x, axis: int | None = None, *, dim: int | None = None, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (or ``dim``), stable for any finite logits;
    ``dtype``: the input converted to it first, as PyTorch's.

    Without either, the last axis (on an input of 3 or more dimensions, with a
    warning: PyTorch's deprecated implicit dim takes another one there).

    >>> F.softmax(ad.tensor([[0.0, 0.0], [0.0, 1e4]]))
    tensor([[0.5, 0.5],
            [0. , 1. ]])
    """
    x = _in_dtype(x, dtype)
    _check_float(x, "softmax")
    return _softmax(x, axis=_dim(x, axis, dim, "softmax"))


# ----- log_softmax --------------------------------------------------------------

def _log_softmax_forward(x, axis=-1):
    try:
        return kernels.log_softmax(x, axis)
    except ValueError:
        if _empty_with_axis(x, axis):
            return np.empty_like(x)
        raise


def _log_softmax_backward_numpy(g, ans, axis=-1):
    return kernels.log_softmax_backward(g, ans, axis)


def _log_softmax_backward_tensor(g, ans, axis=-1):
    return g - ew.exp(ans) * rd.sum(g, axis=axis, keepdims=True)


xp_function("log_softmax_backward", _log_softmax_backward_numpy, _log_softmax_backward_tensor)

_log_softmax = defop(
    "log_softmax", _log_softmax_forward,
    hint="axis must be an int in [-ndim, ndim)",
    x=("g - exp(ans) * sum(g, axis)",
       lambda xp, g, ans, x, axis=-1: xp.log_softmax_backward(g, ans, axis)),
    axis=None)


def log_softmax(x, axis: int | None = None, *, dim: int | None = None,
                dtype=None) -> Tensor:
    """log(softmax(x)) computed as ``x - max - log(sum(exp(x - max)))``: finite for logits
    ±1e4.  The axis and ``dtype`` are taken as in ``softmax``.

    >>> F.log_softmax(ad.tensor([0.0, 1e4]))
    tensor([-10000.,      0.])
    """
    x = _in_dtype(x, dtype)
    _check_float(x, "log_softmax")
    return _log_softmax(x, axis=_dim(x, axis, dim, "log_softmax"))



def _in_dtype(x, dtype):
    """``x`` converted to ``dtype`` (PyTorch's ``dtype=`` of softmax), or as it is."""
    if dtype is None:
        return x
    dtype = numpy_dtype("softmax", dtype)       # (a torch.dtype: NumPy's of that name)
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    return x if dtype == x.dtype else ew.astype(x, dtype)


def _axis_alias(where, axis, dim):
    if dim is not None:
        if axis is not None and axis != dim:
            raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; pass one")
        return dim
    return axis


def logsumexp(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim`` (PyTorch's name; ``axis`` works too), stable.

    The largest value is subtracted before ``exp``, so logits like 1e4 do not
    overflow; a slice that is all ``-inf`` gives ``-inf`` (not NaN), as in PyTorch, and
    gradient 0 there (PyTorch's is NaN).
    ``dim=None`` reduces over every axis.  The gradient is ``softmax(x)`` along ``dim``.

    >>> F.logsumexp(ad.tensor([[0.0, 1e4], [0.0, 0.0]]), dim=1)
    tensor([1.00000000e+04, 6.93147181e-01])
    """
    _check_float(x, "logsumexp")
    dim = _axis_alias("logsumexp", axis, dim)
    keep = keepdim if keepdims is None else keepdims
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim == 0:
        return x
    # Both through ``made``: a compiled step computes them from each call's values.
    shift = made("logsumexp shift", _finite_peak, (x.data, dim, x.dtype))
    total = rd.sum(ew.exp(x - shift), axis=dim, keepdims=True)
    # An all -inf slice sums to 0: its log is -inf, and the double where keeps the
    # gradient there 0 instead of 0/0 = NaN.
    positive = made("logsumexp positive", np.greater, (total.data, 0))
    log_total = ew.where(positive, ew.log(ew.where(positive, total, 1.0)), -np.inf)
    out = log_total + shift
    if keep:
        return out
    squeezed = tuple(range(x.ndim)) if dim is None else dim
    return rd.sum(out, axis=squeezed) if out.ndim else out


def _finite_peak(values, axis, dtype):
    peak = np.max(values, axis=axis, keepdims=True)
    return np.where(np.isfinite(peak), peak, 0).astype(dtype)


def one_hot(indices, num_classes: int = -1) -> Tensor:
    """Integer class indices to one-hot rows: int64, shape ``indices.shape + (num_classes,)``.

    As in PyTorch the result holds int64 0/1 (not floats: convert with
    ``.astype(np.float64)`` to use it as a target or mask) and does not require grad.
    ``num_classes=-1`` means ``max(indices) + 1``.

    >>> F.one_hot(np.array([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    raw = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if raw.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers, got dtype {raw.dtype}; "
                        "convert with .astype(np.int64)")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if num_classes == -1:
        if raw.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty indices; pass it")
        num_classes = int(raw.max()) + 1    # from the values: a compiled step refuses it
        return Tensor(_one_hot(raw, num_classes))
    if num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be positive or -1, got {num_classes}")
    # Through ``made``: a compiled step builds (and checks) it again from each call's indices.
    return Tensor(made("one_hot", _one_hot, (raw, int(num_classes))))


def _one_hot(raw, num_classes):
    if raw.size and (raw.min() < 0 or raw.max() >= num_classes):
        bad = raw.min() if raw.min() < 0 else raw.max()
        raise IndexError(f"one_hot: index {int(bad)} is out of range for num_classes="
                         f"{num_classes}; indices must be in [0, {num_classes})")
    return (raw[..., None] == np.arange(num_classes)).astype(np.int64)
