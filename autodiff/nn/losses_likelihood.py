"""Negative log-likelihood losses of a distribution's parameters, as in PyTorch:
``gaussian_nll_loss`` (mean and variance) and ``poisson_nll_loss`` (rate).

``gaussian_nll_loss`` clamps the variance at ``eps`` the way PyTorch does: the value
used is ``max(var, eps)``, but the gradient reaches ``var`` as if there were no clamp
(PyTorch clamps a copy in place under ``no_grad``), so a variance below ``eps`` still
gets the gradient of the loss at ``eps``.

Targets may be integers (counts, say): they are converted to the input's dtype, as
PyTorch's type promotion does, and a float32 input gives a float32 loss.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops.shape import reshape
from ..tensor import Tensor
from .functional_activation import real_number
from .functional_distance import _clamped_value
from .losses import _as_dtype, _as_tensor, _check_reduction, _raw, _reduce, _requires_grad
from .softmax import _check_float

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _numeric_target(where: str, target, dtype, name: str = "target"):
    """``target`` for a loss on float ``dtype`` inputs: a Tensor that requires grad as
    it is (it must hold floats), anything else as an array of numbers in ``dtype``."""
    if _requires_grad(target):
        _check_float(target, f"{where} ({name})")
        return target
    raw = _raw(target)
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"{where}: {name} must hold numbers, got dtype {raw.dtype} (shape "
                        f"{raw.shape}); convert it, e.g. {name}.astype(np.float32)")
    if raw.dtype == dtype:
        return target
    return made(f"{name} in the input's dtype", _as_dtype, (raw, dtype))


def _check_broadcasts_into(where: str, shape, other, name: str):
    """Refuse ``other`` (named ``name``) unless it broadcasts to ``shape`` unchanged:
    a larger broadcast shape would count some elements more than once."""
    other_shape = np.shape(_raw(other))
    try:
        joint = np.broadcast_shapes(tuple(shape), other_shape)
    except ValueError:
        joint = None
    if joint != tuple(shape):
        raise ValueError(
            f"{where}: {name} of shape {other_shape} does not broadcast to the input's shape "
            f"{tuple(shape)}" + ("" if joint is None else f" (together they make {joint}, "
                                 "which would count elements more than once)")
            + f"; pass a {name} of shape {tuple(shape)}")


def _no_negative_variance(values):
    if values.size and np.any(values < 0):
        raise ValueError(
            f"gaussian_nll_loss: var has negative entries (smallest {values.min():.4g}, "
            f"shape {values.shape}); a variance must be >= 0, as PyTorch requires. For a "
            "learned variance, predict its log and pass exp(log_var), or pass softplus(raw)")
    return True


def _gaussian_variance(where, var, input_shape, dtype):
    """``var`` with PyTorch's shape rules: ``input``'s shape, that shape without its
    last axis (the variance is shared along it), or the same number of axes with one
    axis of size 1 where ``input``'s differs; checked, reshaped to broadcast against
    ``input`` and, unless it gets a gradient, converted to ``dtype`` (not yet clamped)."""
    if isinstance(var, numbers.Real) and not isinstance(var, (bool, np.bool_)):
        if var < 0:
            raise ValueError(f"{where}: var={var} is negative; a variance must be >= 0")
        return float(var)
    if isinstance(var, (bool, np.bool_)):
        raise TypeError(f"{where}: var must be a number or an array of variances, got {var!r}")
    raw = _raw(var)
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"{where}: var must hold numbers, got dtype {raw.dtype}")
    made(f"{where} var check", _no_negative_variance, (raw,), stateful=True)
    shape, var_shape = tuple(input_shape), raw.shape
    if var_shape != shape:
        if var_shape == shape[:-1]:
            var_shape = var_shape + (1,)
        elif not (len(var_shape) == len(shape)
                  and sum(v for i, v in zip(shape, var_shape) if i != v) == 1
                  and np.broadcast_shapes(shape, var_shape) == shape):
            raise ValueError(
                f"{where}: var of shape {raw.shape} does not fit the input of shape {shape}; "
                f"as in PyTorch, pass one variance per element (shape {shape}), one per row "
                f"shared along the last axis (shape {shape[:-1]}), or the input's shape with "
                "size 1 on the one axis it is shared along")
    if _requires_grad(var):
        _check_float(var, f"{where} (var)")
        var = var if var_shape == raw.shape else reshape(var, var_shape)
        return var
    if raw.dtype != dtype or var_shape != raw.shape:
        raw = made("var in the input's dtype", _reshaped, (raw, var_shape, dtype))
    return raw


def _reshaped(array, shape, dtype):
    return array.reshape(shape).astype(dtype)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """``0.5 (log(max(var, eps)) + (input - target)**2 / max(var, eps))``, plus
    ``0.5 log(2 pi)`` with ``full=True``, reduced; PyTorch's Gaussian NLL.

    ``var`` is a number, an array of ``input``'s shape, of that shape without its last
    axis, or with size 1 on one axis (shared along it); other shapes and negative
    entries raise, as in PyTorch.  The clamp at ``eps`` changes the value only: the
    gradient in ``var`` is that of the loss at the clamped value (PyTorch's).
    ``target`` broadcasts to ``input``'s shape.

    >>> F.gaussian_nll_loss(ad.tensor([1.0, 2.0]), ad.tensor([1.5, 2.0]), ad.tensor([0.5, 1.0]))
    tensor(-0.0482868)
    >>> F.gaussian_nll_loss(ad.tensor([[1.0, 2.0]]), np.zeros((1, 2)), np.ones(1),
    ...                     full=True, reduction="none")
    tensor([[1.41893853, 2.91893853]])
    """
    where = "gaussian_nll_loss"
    _check_float(input, where)
    x = _as_tensor(input)
    target = _numeric_target(where, target, x.dtype)
    _check_broadcasts_into(where, x.shape, target, "target")
    eps = real_number(eps, where, "eps", "it only keeps the variance away from 0")
    var = _gaussian_variance(where, var, x.shape, x.dtype)
    _check_reduction(where, reduction)
    if isinstance(var, Tensor):
        var = _clamped_value(var, eps)
    elif isinstance(var, float):
        var = max(var, eps)
    else:
        var = made("var clamped at eps", np.maximum, (var, np.asarray(eps, var.dtype)))
    diff = ew.subtract(x, target)
    # (a Python float's log stays a Python float: a float32 input keeps its dtype)
    log_var = math.log(var) if isinstance(var, float) else ew.log(var)
    per_item = 0.5 * (log_var + diff * diff / var)
    if full:
        per_item = per_item + _HALF_LOG_2PI
    return _reduce(per_item, reduction)


def _stirling(t):
    """``t log t - t + 0.5 log(2 pi t)`` where ``t > 1``, else 0 (PyTorch's masked
    term); the logs only see values > 1, so the masked entries get gradient 0."""
    big = t > 1
    safe = ew.where(big, t, 2.0)
    term = safe * ew.log(safe) - safe + 0.5 * ew.log(2 * math.pi * safe)
    return ew.where(big, term, 0.0)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood of counts ``target`` given the rate, as PyTorch.

    With ``log_input=True`` (default) ``input`` is the log of the rate and the loss is
    ``exp(input) - target * input``; otherwise it is the rate itself and the loss is
    ``input - target * log(input + eps)``.  ``full=True`` adds Stirling's approximation
    of ``log(target!)``, ``t log t - t + 0.5 log(2 pi t)``, for targets > 1 (0 for the
    others, so a target of 0 gets the gradient ``-input``, where PyTorch's is NaN).
    ``input`` and ``target`` have the same shape (or ``target`` is a scalar).

    >>> F.poisson_nll_loss(ad.tensor([0.0, 1.0]), np.array([1, 3]), reduction="none")
    tensor([ 1.        , -0.28171817])
    >>> F.poisson_nll_loss(ad.tensor([2.0]), np.array([3.0]), log_input=False, full=True)
    tensor(1.68463999)
    """
    where = "poisson_nll_loss"
    _check_float(input, where)
    x = _as_tensor(input)
    if np.shape(_raw(target)) not in ((), x.shape):
        raise ValueError(
            f"{where}: input has shape {x.shape} but target has shape "
            f"{np.shape(_raw(target))}; they must match (broadcasting them would silently "
            "compare every rate with every count). Reshape one, e.g. "
            "target.reshape(input.shape)")
    target = _numeric_target(where, target, x.dtype)
    eps = real_number(eps, where, "eps", "it only keeps log away from 0")
    _check_reduction(where, reduction)
    if log_input:
        per_item = ew.exp(x) - ew.multiply(target, x)
    else:
        per_item = x - ew.multiply(target, ew.log(x + eps))
    if full:
        per_item = per_item + _stirling(_as_tensor(target))
    return _reduce(per_item, reduction)
