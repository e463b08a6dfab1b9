"""``layer_norm`` as one op: a fused forward and one backward for all three inputs.

The forward normalises over the last ``normalized_ndim`` axes and keeps the row
means and reciprocal standard deviations as the node's saved state (``saves=True``)
for the backward:

    xhat = (x - mean) * rstd,  y = xhat * weight + bias
    grad_x = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)),  gh = g * weight
    grad_weight = sum over the batch of g * xhat,  grad_bias = sum over the batch of g

A plain ``backward()`` runs the backward kernel once for all inputs;
``backward(create_graph=True)`` records the same formulas from differentiable ops,
recomputing ``xhat`` from ``x``, so second derivatives work.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from . import reduce as rd
from .namespace import xp_function
from .registry import defop_joint


def _rows(x, normalized_ndim):
    d = int(np.prod(x.shape[x.ndim - normalized_ndim:], dtype=np.int64))
    return x.reshape(-1, d)


def _common(x, weight, bias):
    """x, weight, bias as C-contiguous arrays of their promoted dtype (NumPy's rule, as
    for ``x * weight + bias``); x as rows, weight and bias flat."""
    dtype = np.result_type(*(a for a in (x, weight, bias) if a is not None))

    def flat(a):
        return None if a is None else np.ascontiguousarray(a, dtype=dtype).reshape(-1)
    return dtype, flat(weight), flat(bias)


def _layer_norm_forward(x, weight, bias, normalized_ndim, eps):
    dtype, w, b = _common(x, weight, bias)
    rows = np.ascontiguousarray(_rows(x, normalized_ndim), dtype=dtype)
    y, mean, rstd = kernels.layer_norm(rows, w, b, eps)
    return y.reshape(x.shape), (mean, rstd)


def _grads_numpy(g, needs, x, weight, bias, normalized_ndim, eps, saved):
    mean, rstd = saved
    dtype, w, _ = _common(x, weight, bias)
    rows = np.ascontiguousarray(_rows(x, normalized_ndim), dtype=dtype)
    g_rows = np.ascontiguousarray(np.broadcast_to(g, x.shape), dtype=dtype).reshape(rows.shape)
    gx, gw, gb = kernels.layer_norm_backward(g_rows, rows, mean, rstd, w)
    return [gx.reshape(x.shape).astype(x.dtype, copy=False) if needs[0] else None,
            gw.reshape(weight.shape).astype(weight.dtype, copy=False) if needs[1] else None,
            gb.reshape(bias.shape).astype(bias.dtype, copy=False) if needs[2] else None]


def _grads_tensor(g, needs, x, weight, bias, normalized_ndim, eps, saved):
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    batch_axes = tuple(range(x.ndim - normalized_ndim))
    centered = x - rd.mean(x, axis=axes, keepdims=True)
    var = rd.mean(centered * centered, axis=axes, keepdims=True)
    rstd = (var + eps) ** -0.5
    xhat = centered * rstd
    gh = g * weight if weight is not None else g
    gx = rstd * (gh - rd.mean(gh, axis=axes, keepdims=True)
                 - xhat * rd.mean(gh * xhat, axis=axes, keepdims=True))
    gw = rd.sum(g * xhat, axis=batch_axes) if needs[1] else None
    gb = rd.sum(g, axis=batch_axes) if needs[2] else None
    return [gx if needs[0] else None, gw, gb]


def _constant_rows(x, weight, bias, normalized_ndim, eps):
    """Where a row's variance plus eps is 0 (a constant row with eps=0): 0 / 0 there."""
    rows = _rows(np.asarray(x), normalized_ndim)
    var = np.var(rows, axis=1) if rows.shape[1] else np.zeros(rows.shape[0])
    flat = np.broadcast_to((var + eps == 0)[:, None], rows.shape)
    return flat.reshape(np.shape(x))


xp_function("layer_norm_grads", _grads_numpy, _grads_tensor)


def _joint(xp, g, ans, needs, x, weight, bias, normalized_ndim, eps, saved):
    return xp.layer_norm_grads(g, needs, x, weight, bias, normalized_ndim, eps, saved)


layer_norm = defop_joint(
    "layer_norm", _layer_norm_forward,
    "grad_x = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)), gh = g * weight; "
    "grad_weight = sum(g * xhat); grad_bias = sum(g)", _joint,
    input_names=("x", "weight", "bias", "normalized_ndim", "eps"), grad_inputs=(0, 1, 2),
    saves=True,
    singular=[(_constant_rows, "a row whose entries are all equal has variance 0, and with "
               "eps=0 its normalisation is 0 / 0; keep eps > 0 (the default 1e-5)")],
    doc="Layer normalisation over the last normalized_ndim axes (see F.layer_norm).")
