"""Reductions that normalise: the standard deviation and log-sum-exp.

``std`` has its own rule rather than ``sqrt(var)`` so that its degenerate cases are
stated, not stumbled into: with ``ddof >= n`` the forward is NaN or inf (NumPy warns)
and the gradient is NaN; with one value per lane (n = 1) the std is constantly 0 and
so is its gradient; where n > 1 values along the reduced axes are all equal the std
is 0, not differentiable (as ``sqrt`` at 0), and the gradient is 0, the subgradient
PyTorch takes.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .reduce import (_AXIS_HINT, _count, _kept_shape, centered, ddof_of, spread_forward,
                     spread_numpy)
from ..conventions import keepdim_after_axis, variance_in_torch_form
from ..argument_aliases import axis_alias
from .registry import TORCH_AXIS_ALIASES, defop


_std_forward = spread_forward(np.std)


def _std_rule(xp, g, ans, x, axis=None, keepdims=False, ddof=0):
    kept = _kept_shape(x.shape, axis)
    spread = xp.reshape(g, kept)
    dof = _count(x.shape, axis) - ddof
    if dof <= 0:                          # the forward divided by zero or less
        return xp.broadcast_to(spread, x.shape) * np.nan
    if dof + ddof == 1:                   # one value per lane: std is constantly 0
        return xp.zeros_like(x)
    # The std again, from the corrected differences: NumPy's takes its rounded mean,
    # off by (its rounding / the std)**2, 1e-10 for 1e8 + a spread of 1e-3.
    shifted = centered(xp, x, axis)
    std = xp.sqrt(xp.sum(shifted * shifted, axis=axis, keepdims=True) / dof)
    zero = xp.reshape(ans, kept) == 0     # equal values: 0, not 0 / 0
    return shifted * xp.where(zero, 0, spread / (xp.where(zero, 1, std) * dof))


_NO_VALUE = np._NoValue


def _std_numpy(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NO_VALUE,
               mean=_NO_VALUE, correction=_NO_VALUE):
    return spread_numpy("std", std, a, axis, dtype, out, ddof_of("std", ddof, correction),
                        keepdims, where, mean)


_std_numpy.numpy_kwargs = ("where", "mean", "dtype", "out")   # (interop refuses them otherwise)


std = defop(
    "std", _std_forward, hint=_AXIS_HINT, numpy={np.std: _std_numpy},
    doc="Standard deviation over ``axis`` (``ddof`` as in NumPy).\n\n"
        "The gradient is 0 where all values are equal (std = 0), NaN where ``ddof >= n``.\n\n"
        ">>> ad.std(ad.tensor([1.0, 3.0]))\ntensor(1.)",
    x=("g * (x - mean(x)) / ((n - ddof) * ans)", _std_rule),
    axis=None, keepdims=None, ddof=None, aliases={**TORCH_AXIS_ALIASES, "correction": "ddof"},
    torch_dim=variance_in_torch_form("std"), torch_by_position=variance_in_torch_form("std"))
std.torch_dim_by_keepdim = True     # ad.std(t, 1, keepdim=True): PyTorch's dim, and its warning


def _logsumexp_forward(x, axis=None, keepdims=False):
    x = np.asarray(x)
    if x.dtype.kind in "biu":
        x = x.astype(np.float64)                        # as np.exp of integers
    # (complex values: shifted by the largest real part, as PyTorch)
    peak = np.max(x.real if x.dtype.kind == "c" else x, axis=axis, keepdims=True,
                  initial=-np.inf)
    peak = np.where(np.isfinite(peak), peak, 0)       # all -inf, or inf: shift by 0
    total = np.sum(np.exp(x - peak), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):              # a lane of only -inf: log(0) = -inf
        out = np.log(total) + peak
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return out


def _logsumexp_rule(xp, g, ans, x, axis=None, keepdims=False):
    # softmax(x) as exp(x - max) / sum(exp(x - max)), not exp(x - ans): ans carries
    # its rounding, an ulp of a large ans (1e15: 0.125) is that much off in exp's
    # argument.  The shift is a constant of the rule (the ratio does not depend on it).
    kept = _kept_shape(x.shape, axis)
    if 0 in x.shape:
        return xp.reshape(g, kept) * xp.exp(x - xp.reshape(ans, kept))
    peak = xp.stop_gradient(xp.max(x, axis=axis, keepdims=True))
    peak = xp.where(xp.isfinite(peak), peak, 0)     # all -inf, or inf: shift by 0
    shifted = xp.exp(x - peak)
    total = xp.sum(shifted, axis=axis, keepdims=True)
    total = xp.where(total == 0, 1, total)          # a lane of only -inf: gradient 0
    return xp.reshape(g, kept) * (shifted / total)


_logsumexp = defop(
    "logsumexp", _logsumexp_forward, hint=_AXIS_HINT,
    doc="log(sum(exp(x))) over ``axis``, shifted by the maximum so it cannot overflow.\n\n"
        ">>> ad.logsumexp(ad.tensor([1000.0, 1000.0]))\ntensor(1000.69314718)",
    x=("g * exp(x - ans)", _logsumexp_rule), axis=None, keepdims=None,
    zeroes="gives zero gradient to a lane of only -inf (PyTorch's is NaN)",
    aliases=TORCH_AXIS_ALIASES)


def logsumexp(x, axis=None, *positional, keepdims: bool = False,
              **unsupported) -> Tensor:
    """``log(sum(exp(x), axis))`` computed without overflow (the max is subtracted
    first), as ``scipy.special.logsumexp``; the gradient is ``softmax(x)`` along axis.
    A lane of only ``-inf`` gives ``-inf`` and gradient 0 (``-inf`` read as log 0, a
    term that is not there), where PyTorch's gradient is NaN (0 / 0).

    >>> x = ad.tensor([0.0, np.log(3.0)], requires_grad=True)
    >>> y = ad.logsumexp(x)
    >>> y.backward(); y, x.grad
    (tensor(1.38629436, requires_grad=True), array([0.25, 0.75]))
    """
    dim, keepdim = unsupported.pop("dim", None), unsupported.pop("keepdim", None)
    if unsupported:
        raise TypeError(
            f"logsumexp: the argument(s) {sorted(unsupported)} are not supported (only x, "
            "axis and keepdims); for weights b write ad.logsumexp(x + ad.log(b)), and "
            "signs are not available")
    if positional:          # ad.logsumexp(x, 1, True): PyTorch's keepdim by position
        keepdim = keepdim_after_axis("logsumexp", positional, keepdim)
    axis, keepdims = axis_alias("logsumexp", axis, keepdims, dim, keepdim)
    return _logsumexp(x, axis=axis, keepdims=keepdims)
