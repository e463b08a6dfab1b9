"""Products along axes, prod and cumprod, with exact gradients where inputs are zero.

The textbook rule ``d prod / d x_j = prod / x_j`` divides by zero when ``x_j = 0``.
Instead, ``prod`` uses the exclusive product: the product of everything before
``x_j`` times the product of everything after it, both running products (cumprod),
so every formula is a polynomial in ``x`` and right to every order.

For ``cumprod``, each lane's first zero is peeled off in turn: with that entry
replaced by 1, the outputs after it are the new running products times the zero, so
the zero's own gradient is a running sum of ``g`` times those products, and the rest
of the lane is the gradient of a running product with one zero fewer.  Lanes without
zeros use ``reverse_cumsum(g * ans) / x`` directly.  A plain backward needs one round
(past a lane's first zero every gradient is 0); when the gradient is recorded for
higher orders, every term is kept, at one round per zero of the longest lane.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .cumulative import reverse_cumsum
from .reduce import _AXIS_HINT, _kept_shape, _normalize_axes, reject_numpy_arguments
from .registry import TORCH_AXIS_ALIASES, defop
from .ufunc_methods import accumulate_adapter, reduce_adapter


def _values(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _cumprod_forward(x, axis=None):
    return np.cumprod(x, axis=axis)


def _cumprod_grad_along(xp, g, x, axis):
    """The gradient of cumprod(x, axis) for upstream g (axis >= 0, x.ndim >= 1)."""
    raw = _values(x)
    n = raw.shape[axis]
    position = np.arange(n).reshape((n,) + (1,) * (raw.ndim - 1 - axis))
    exact = isinstance(x, Tensor)       # recording: keep every term, even those worth 0
    fixed = np.zeros(raw.shape, dtype=bool)
    fixed_value = None
    while True:
        zero = raw == 0
        if not zero.any():
            break
        has_zero = zero.any(axis=axis, keepdims=True)
        first = np.where(has_zero, zero.argmax(axis=axis, keepdims=True), n)
        at, after = position == first, position >= first
        safe = xp.where(at, 1, x)
        running = xp.cumprod(safe, axis)
        at_value = reverse_cumsum(xp, xp.where(after, g * running, 0), axis)
        fixed_value = xp.where(at, at_value, 0 if fixed_value is None else fixed_value)
        fixed = fixed | at
        if not exact:
            # Past each lane's first zero every gradient is 0 (each term has the zero
            # as a factor), and before it the division below is safe.
            past = position > first
            fixed = fixed | past
            fixed_value = xp.where(past, 0, fixed_value)
            x = xp.where(past, 1, safe)
            g = xp.where(after, 0, g)
            break
        the_zero = xp.take_along_axis(x, np.minimum(first, n - 1), axis)
        g = g * xp.where(after, the_zero, 1)
        x = safe
        raw = _values(x)
    rest = reverse_cumsum(xp, g * xp.cumprod(x, axis), axis) / x
    return rest if fixed_value is None else xp.where(fixed, fixed_value, rest)


def _cumprod_rule(xp, g, ans, x, axis=None):
    if axis is None or x.ndim == 0:       # the forward ran over x flattened
        return xp.reshape(_cumprod_grad_along(xp, g, xp.reshape(x, (-1,)), 0), x.shape)
    return _cumprod_grad_along(xp, g, x, axis % x.ndim)


def _cumprod_numpy(a, axis=None, dtype=None, out=None):
    reject_numpy_arguments("cumprod", dtype=dtype, out=out)
    return cumprod(a, axis)


cumprod = defop(
    "cumprod", _cumprod_forward,
    numpy={np.cumprod: _cumprod_numpy,
           np.multiply.accumulate: accumulate_adapter("multiply.accumulate", "cumprod")},
    hint="axis must be None (running product over the flattened tensor) or an int in "
         "[-ndim, ndim)",
    doc="Running product along ``axis`` (over the flattened tensor when None); the "
        "gradient is exact where entries are zero.\n\n"
        ">>> x = ad.tensor([2.0, 0.0, 3.0], requires_grad=True)\n"
        ">>> ad.cumprod(x).sum().backward(); x.grad      # d/dx of 2 + 2*x1 + 2*x1*3\n"
        "array([1., 8., 0.])",
    x=("running sum of g * products, zeros peeled off one by one", _cumprod_rule),
    axis=None, aliases=TORCH_AXIS_ALIASES)


def _exclusive_products(xp, x, axes):
    """out[j] = product of x over ``axes`` except entry j itself (no division)."""
    ndim = x.ndim
    kept = [a for a in range(ndim) if a not in axes]
    order = kept + list(axes)
    moved = xp.transpose(x, order)
    lanes = moved.shape[:len(kept)]
    flat = xp.reshape(moved, lanes + (-1,))
    ones = np.ones(lanes + (1,), dtype=_values(x).dtype)
    before = xp.concatenate(ones, xp.cumprod(flat[..., :-1], -1), axis=-1)
    after = xp.flip(xp.concatenate(ones, xp.cumprod(xp.flip(flat, -1)[..., :-1], -1),
                                   axis=-1), -1)
    excluded = xp.reshape(before * after, moved.shape)
    return xp.transpose(excluded, tuple(np.argsort(order)))


def _prod_forward(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_rule(xp, g, ans, x, axis=None, keepdims=False):
    # NumPy accepts axis=0 on a 0-d x, where nothing is reduced.
    axes = _normalize_axes(axis, x.ndim) if x.ndim else ()
    spread = xp.reshape(g, _kept_shape(x.shape, axis))
    if not axes:                          # nothing reduced: the identity
        return spread
    if x.size == 0:
        return xp.zeros_like(x)
    return spread * _exclusive_products(xp, x, axes)


_NO_VALUE = np._NoValue


def _prod_numpy(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
                where=_NO_VALUE):
    reject_numpy_arguments("prod", dtype=dtype, out=out)
    if initial is not _NO_VALUE or where is not _NO_VALUE:
        from .masked_reductions import masked_reduction     # (it imports this module)
        return masked_reduction("prod", a, axis, bool(keepdims), initial, where)
    return prod(a, axis=axis, keepdims=bool(keepdims))


_prod_numpy.numpy_kwargs = ("initial", "where")     # (interop refuses them otherwise)


prod = defop(
    "prod", _prod_forward, hint=_AXIS_HINT,
    numpy={np.prod: _prod_numpy, np.multiply.reduce: reduce_adapter("multiply.reduce", "prod")},
    doc="Product over ``axis`` (all axes when None); the gradient of each entry is the "
        "product of the others, exact where entries are zero.\n\n"
        ">>> x = ad.tensor([2.0, 0.0, 3.0], requires_grad=True)\n"
        ">>> ad.prod(x).backward(); x.grad\narray([0., 6., 0.])",
    x=("g * product of the other entries", _prod_rule), axis=None, keepdims=None,
    aliases=TORCH_AXIS_ALIASES)
