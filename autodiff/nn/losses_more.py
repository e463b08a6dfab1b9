"""More losses with PyTorch's names and conventions: ``l1_loss``, ``smooth_l1_loss``
and ``kl_div``.

As in ``losses``, ``input`` and ``target`` must have the same shape (or the target is
a scalar): broadcasting them would silently compare every input with every target.
Gradients at the kinks are PyTorch's: ``l1_loss`` gives 0 where ``input == target``
(the sign of 0), ``smooth_l1_loss`` gives ``±1`` at ``|input - target| == beta`` (both
pieces agree there) and 0 as second derivative there.

``kl_div``'s pointwise term for probability targets is ``xlogx(t) - t * input`` with
``xlogx(t) = t log t`` and 0 at ``t = 0`` (PyTorch's ``xlogy(t, t)``), so a zero target
contributes 0.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops.operands import tensor_of
from ..ops.registry import defop
from ..tensor import Tensor
from .losses import _check_float_target, _check_reduction, _check_same_shape, _reduce
from .softmax import _check_float


def _xlogx_forward(t):
    return t * np.log(np.where(t == 0, 1, t))


def _xlogx_rule(xp, g, ans, t):
    # PyTorch differentiates xlogy(t, t) as xlogy(t != 0, t) + t / t: NaN at t = 0.
    return g * xp.where(t == 0, np.nan, xp.log(xp.where(t == 0, 1.0, t)) + 1)


xlogx = defop(
    "xlogx", _xlogx_forward,
    doc="``t * log(t)``, 0 where ``t == 0`` (PyTorch's ``xlogy(t, t)``); NaN for t < 0.\n\n"
        "The gradient is ``log(t) + 1``, NaN at ``t == 0`` as PyTorch's.\n\n"
        ">>> from autodiff.nn.losses_more import xlogx\n"
        ">>> xlogx(ad.tensor([0.0, 0.5, 1.0]))\ntensor([ 0.        , -0.34657359,  0.        ])",
    singular=[(lambda t: t < 0, "t * log(t) of a negative t: kl_div's targets must be "
                                "probabilities (>= 0), or log-probabilities with log_target=True")],
    t=("g * (log(t) + 1), NaN at t = 0 (as PyTorch's xlogy(t, t))", _xlogx_rule), elementwise=True)


def l1_loss(input, target, reduction: str = "mean") -> Tensor:
    """``|input - target|``, reduced; the shapes must match (or target is a scalar).

    The gradient is ``sign(input - target)``: 0 where they are equal, as in PyTorch.

    >>> F.l1_loss(ad.tensor([1.0, 3.0]), ad.tensor([0.0, 1.0]))
    tensor(1.5)
    >>> F.l1_loss(ad.tensor([1.0, 3.0]), ad.tensor([0.0, 1.0]), reduction="none")
    tensor([1., 2.])
    """
    _check_same_shape("l1_loss", input, target)
    _check_reduction("l1_loss", reduction)
    return _reduce(ew.abs(ew.subtract(input, target)), reduction)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``; ``d = input - target``.

    PyTorch's definition: ``beta=0`` is ``l1_loss``; ``huber_loss`` with ``delta=beta``
    is ``beta`` times this loss.

    >>> F.smooth_l1_loss(ad.tensor([0.5, 3.0]), ad.tensor([0.0, 0.0]), reduction="none")
    tensor([0.125, 2.5  ])
    >>> F.smooth_l1_loss(ad.tensor([0.5, 3.0]), ad.tensor([0.0, 0.0]), beta=2.0)
    tensor(1.03125)
    """
    where = "smooth_l1_loss"
    _check_same_shape(where, input, target)
    _check_reduction(where, reduction)
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: beta must be a number >= 0, got {type(beta).__name__}")
    if not beta >= 0:
        raise ValueError(f"{where}: beta must be >= 0, got {beta} (PyTorch refuses negative "
                         "values too); beta=0 is l1_loss")
    if beta == 0:
        return l1_loss(input, target, reduction)
    diff = ew.subtract(input, target)
    size = ew.abs(diff)
    per_item = ew.where(size < beta, 0.5 * diff * diff / beta, size - 0.5 * beta)
    return _reduce(per_item, reduction)


_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(input, target, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence ``KL(target || q)`` for log-probabilities ``input = log q``, as PyTorch.

    Per element: ``t * (log t - input)`` (0 where ``t == 0``), or with
    ``log_target=True`` (``target`` holds log-probabilities too)
    ``exp(target) * (target - input)``.  ``reduction='batchmean'`` divides the sum by
    the batch size (``input.shape[0]``) and is the KL divergence of each row averaged
    over the batch; ``'mean'`` divides by the number of elements instead and, as in
    PyTorch, warns that this is not the KL divergence.  ``'sum'`` and ``'none'`` as usual.

    >>> logq = F.log_softmax(ad.tensor([[1.0, 2.0, 0.5]]))
    >>> F.kl_div(logq, ad.tensor([[0.2, 0.8, 0.0]]), reduction="batchmean")
    tensor(0.16396636)
    """
    where = "kl_div"
    _check_same_shape(where, input, target)
    _check_float(input, where)
    _check_float_target(where, target)
    if not isinstance(reduction, str) or reduction not in _KL_REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'batchmean', 'mean', 'sum' or 'none', "
                         f"got {reduction!r}")
    if type(target) in (int, float):
        target = tensor_of(target, input)       # (a number keeps a float32 input's dtype)
    if log_target:
        per_item = ew.multiply(ew.exp(target), ew.subtract(target, input))
    else:
        per_item = ew.subtract(xlogx(target), ew.multiply(target, input))
    if reduction == "batchmean":
        shape = np.shape(input.data if isinstance(input, Tensor) else input)
        total = rd.sum(per_item)
        return total / shape[0] if shape else total     # a 0-d input: the sum, as PyTorch
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction='mean' divides the total loss by the number of elements "
            "(batch size times support size), as PyTorch's does; reduction='batchmean' "
            "divides by the batch size only and is the KL divergence averaged over the batch.",
            UserWarning, stacklevel=2)
    return _reduce(per_item, reduction)
