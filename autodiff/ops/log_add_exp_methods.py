"""``np.logaddexp.reduce``/``.accumulate`` and ``np.logaddexp2``'s: log-sum-exp over an
axis, and running.

The forwards are NumPy's own (a chain of logaddexp, each step stable), so the values
are NumPy's bit for bit.  The gradients are softmax weights, ``exp(x_j - out_i)``
(``2**(x_j - out_i)`` in base 2), computed without overflow:

- ``reduce``: ``exp(x - max) / sum(exp(x - max))`` along the lane.
- ``accumulate``: ``grad_j = sum_{i >= j} g_i exp(x_j - out_i)``, every term at most
  ``|g_i|``; a running sum of ``g_i exp(-out_i)`` would overflow when ``out`` spans
  more than ~709, so the sum runs in log space, positive and negative ``g`` apart
  (``exp_weighted_cumsum``, whose rules are again ``exp_weighted_cumsum``).

Where every entry so far is -inf the output is -inf and the gradient 0 (not NaN);
where an entry is +inf the output is +inf and the +inf entries share the gradient
evenly (the limit of the softmax); a NaN gives NaN values and gradients.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .cumulative import reverse_cumsum
from .reduce import _AXIS_HINT, _kept_shape
from .registry import defop
from .ufunc_methods import accumulate_adapter, reduce_adapter


#: the note of ops.md: the convention ad.logsumexp documents
_ALL_NEG_INF = "gives zero gradient where the lane (so far) is only -inf (PyTorch's is NaN)"


def _values(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _reduce_rule(base2):
    def rule(xp, g, ans, x, axis=0, keepdims=False, initial=None, where=None):
        raw = _values(x)
        if raw.size == 0:
            return xp.zeros_like(x)
        kept = _kept_shape(x.shape, axis)
        if where is not None:         # masked out: -inf, which adds nothing
            mask = np.broadcast_to(where, raw.shape)
            raw = np.where(mask, raw, -np.inf).astype(raw.dtype)
            x = xp.where(mask, x, raw)
        start = -np.inf if initial is None else float(initial)
        peak = np.maximum(np.max(raw, axis=axis, keepdims=True), start)
        top = peak == np.inf
        if top.any():                 # only the +inf entries (and initial) count, equally
            x = xp.where(top, np.where(raw == np.inf, 0, -np.inf).astype(raw.dtype), x)
            start = np.where(top, 0.0 if start == np.inf else -np.inf, start)
            peak = np.where(top, 0, peak)
        shift = np.where(np.isfinite(peak), peak, 0).astype(raw.dtype)   # all -inf: 0
        power = xp.exp2 if base2 else xp.exp
        shifted = power(x - shift)
        total = xp.sum(shifted, axis=axis, keepdims=True) + power(start - shift)
        return xp.reshape(g, kept) * (shifted / xp.where(total == 0, 1, total))
    return rule


def _reduce_op(ufunc, base):
    name = f"{ufunc.__name__}_reduce"

    def forward(x, axis=0, keepdims=False, initial=None, where=None):
        masking = {} if initial is None else {"initial": initial}
        if where is not None:
            masking["where"] = where
        return ufunc.reduce(x, axis=axis, keepdims=keepdims, **masking)

    power = "2**" if base == 2 else "exp"
    return defop(
        name, forward, hint=_AXIS_HINT,
        numpy={ufunc.reduce: reduce_adapter(f"{ufunc.__name__}.reduce", name)},
        doc=f"log{'2' if base == 2 else ''}(sum({power}(x))) over ``axis``, as "
            f"``np.{ufunc.__name__}.reduce`` (axis 0 by default, -inf for an empty "
            "lane); ``initial=`` and ``where=`` as NumPy's; the gradient is the softmax of the "
            "lane (with initial, 0 where masked out), 0 where it is all -inf.\n\n"
            f">>> x = ad.tensor([0.0, {'1.0' if base == 2 else 'np.log(3.0)'}], "
            "requires_grad=True)\n"
            f">>> np.{ufunc.__name__}.reduce(x).backward(); x.grad\n"
            + ("array([0.33333333, 0.66666667])" if base == 2 else "array([0.25, 0.75])"),
        x=(f"g * {power}(x - ans)", _reduce_rule(base == 2)), axis=None, keepdims=None,
        initial=None, where=None, zeroes=_ALL_NEG_INF)


logaddexp_reduce = _reduce_op(np.logaddexp, "e")
logaddexp2_reduce = _reduce_op(np.logaddexp2, 2)


# ------------------------------------------------------------------ running log-sum-exp

def _scan_forward(v, s, d, axis, reverse=False, base2=False):
    accumulate = (np.logaddexp2 if base2 else np.logaddexp).accumulate
    log, power = (np.log2, np.exp2) if base2 else (np.log, np.exp)

    def run(part):                    # part >= 0 (or NaN, from a NaN gradient or input)
        # (logaddexp's loop flags a NaN as invalid, the only input it flags: a backward
        # pass is silent of the NaN it carries, as PyTorch's)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = s + log(part)
            if reverse:
                return np.flip(accumulate(np.flip(terms, axis), axis=axis), axis)
            return accumulate(terms, axis=axis)

    out = 0
    for part, sign in ((np.maximum(v, 0), 1), (np.maximum(-v, 0), -1)):
        logs = run(part)
        with np.errstate(over="ignore", invalid="ignore"):
            out = out + sign * np.where(logs == -np.inf, 0, power(d + logs))
    return np.asarray(out, dtype=np.result_type(v, s, d))


def _scan_transposed(xp, u, s, d, axis, reverse, base2):
    return xp.exp_weighted_cumsum(u, d, s, axis, not reverse, base2)


_LN2 = float(np.log(2))


exp_weighted_cumsum = defop(
    "exp_weighted_cumsum", _scan_forward,
    doc="``out_k = sum over l <= k (l >= k with reverse) of v_l * exp(s_l + d_k)`` along "
        "``axis`` (``2**`` with base2), summed in log space so that nothing overflows "
        "where ``s_l + d_k <= 0``; ``s`` and ``d`` are finite or -inf.  The gradient "
        "of the running log-sum-exp.\n\n"
        ">>> ad.ops.log_add_exp_methods.exp_weighted_cumsum(\n"
        "...     ad.tensor([1.0, 1.0]), ad.tensor([0.0, 0.0]), ad.tensor([-1000.0, 0.0]), 0)\n"
        "tensor([0., 2.])",
    v=("W(g, d, s, not reverse)",
       lambda xp, g, ans, v, s, d, axis, reverse=False, base2=False:
           _scan_transposed(xp, g, s, d, axis, reverse, base2)),
    s=("log(base) * v * W(g, d, s, not reverse)",
       lambda xp, g, ans, v, s, d, axis, reverse=False, base2=False:
           v * _scan_transposed(xp, g, s, d, axis, reverse, base2) * (_LN2 if base2 else 1)),
    d=("log(base) * g * ans",
       lambda xp, g, ans, v, s, d, axis, reverse=False, base2=False:
           g * ans * (_LN2 if base2 else 1)),
    axis=None, reverse=None, base2=None)


def _accumulate_rule(base2):
    def rule(xp, g, ans, x, axis=0, quiet=False):
        axis %= x.ndim
        raw, out = _values(x), _values(ans)
        pinned = (out == np.inf) | (out == -np.inf)
        # The finite part: outputs at +-inf and +inf entries taken out, so that no
        # inf - inf is formed (their gradients are set below: 0 under -inf).
        kept_g = xp.where(pinned, 0, g)
        finite_out = xp.where(pinned, np.zeros((), raw.dtype), ans)
        finite_x = xp.where(raw == np.inf, np.zeros((), raw.dtype), x)
        grad = xp.exp_weighted_cumsum(kept_g, -finite_out, finite_x, axis, True, base2)
        infinite = raw == np.inf
        if infinite.any():            # each +inf output: g shared by the +inf entries so far
            count = np.maximum(np.cumsum(infinite, axis=axis), 1).astype(raw.dtype)
            shares = xp.where(out == np.inf, g / count, 0)
            grad = grad + xp.where(infinite, reverse_cumsum(xp, shares, axis), 0)
        return grad
    return rule


def _accumulate_op(ufunc, base):
    name = f"{ufunc.__name__}_accumulate"

    def forward(x, axis=0, quiet=False):
        if not quiet:                   # (np.<ufunc>.accumulate: NumPy's warning of a NaN)
            return ufunc.accumulate(x, axis=axis)
        # logaddexp's loop flags a NaN input as invalid, the only input it flags; quiet
        # passes it through silently, as PyTorch's logcumsumexp (here, not at the caller:
        # a compiled plan replays this forward alone)
        with np.errstate(invalid="ignore"):
            return ufunc.accumulate(x, axis=axis)

    return defop(
        name, forward,
        numpy={ufunc.accumulate: accumulate_adapter(f"{ufunc.__name__}.accumulate", name)},
        hint="axis must be an int in [-ndim, ndim) of an input with at least one axis",
        doc=f"Running log-sum-exp{' in base 2' if base == 2 else ''} along ``axis``, as "
            f"``np.{ufunc.__name__}.accumulate``; the gradient of output i in entry j <= i "
            f"is {'2**' if base == 2 else 'exp'}(x_j - out_i), 0 while every entry so far "
            "is -inf.\n\n"
            ">>> x = ad.tensor([0.0, 0.0], requires_grad=True)\n"
            f">>> np.{ufunc.__name__}.accumulate(x).sum().backward(); x.grad\n"
            "array([1.5, 0.5])",
        x=(f"sum over i >= j of g_i * {'2**' if base == 2 else 'exp'}(x_j - out_i)",
           _accumulate_rule(base == 2)),
        axis=None, quiet=None, zeroes=_ALL_NEG_INF)


logaddexp_accumulate = _accumulate_op(np.logaddexp, "e")
logaddexp2_accumulate = _accumulate_op(np.logaddexp2, 2)


def _logcumsumexp_forward(x, axis=0):
    return logaddexp_accumulate.forward(x, axis=axis, quiet=True)


# PyTorch's spelling has its own entry, so that graphs, anomaly reports and grad_fn
# (LogcumsumexpBackward0, as PyTorch's) name it as the user wrote it.
logcumsumexp = defop(
    "logcumsumexp", _logcumsumexp_forward,
    hint="dim must be an int in [-ndim, ndim) of an input with at least one axis",
    doc="``log(cumsum(exp(x)))`` along ``axis``, as ``torch.logcumsumexp`` "
        "(``Tensor.logcumsumexp``, ``ad.logcumsumexp``): ``np.logaddexp.accumulate``'s "
        "values, a NaN passing through without NumPy's warning; the gradient as "
        "``logaddexp_accumulate``'s.\n\n"
        ">>> x = ad.tensor([0.0, 0.0], requires_grad=True)\n"
        ">>> x.logcumsumexp(0).sum().backward(); x.grad\n"
        "array([1.5, 0.5])",
        x=("sum over i >= j of g_i * exp(x_j - out_i)",
           lambda xp, g, ans, x, axis=0: _accumulate_rule(False)(xp, g, ans, x, axis)),
        axis=None, zeroes=_ALL_NEG_INF)
