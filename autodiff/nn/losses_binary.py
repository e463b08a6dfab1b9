"""Binary cross-entropy, as in PyTorch: ``binary_cross_entropy`` on probabilities
(each log clamped at -100, PyTorch's gradient at the clamp) and
``binary_cross_entropy_with_logits`` on raw scores, computed stably for logits of
either sign (``logit_cross_entropy``).  The shared checks (same shapes, float target,
``reduction``) are those of ``losses``.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import compare, elementwise as ew
from ..ops.namespace import xp_function
from ..ops.registry import defop
from ..tensor import Tensor
from .losses import (_as_tensor, _check_float_target, _check_reduction, _check_same_shape,
                     _elementwise_weight, _raw, _reduce)
from .half_precision import rounded_once
from .softmax import _check_float

_LOG_FLOOR = -100.0  # PyTorch's clamp for log(p) in binary cross-entropy


def _clamped_log(p):
    # log(p) clamped at -100, with a gradient that is finite (zero) where clamped:
    # the inner where keeps log from seeing 0, the outer one picks the clamp.
    p = _as_tensor(p)
    big = p > np.exp(_LOG_FLOOR)
    return ew.where(big, ew.log(ew.where(big, p, 1.0)), _LOG_FLOOR)


def _clamped_log_array(p):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), _LOG_FLOOR)


xp_function("bce_clamped_log", _clamped_log_array, _clamped_log)

_BCE_EPS = float(np.float32(1e-12))   # PyTorch's floor for p (1 - p) in the gradient


def _bce_items(p, t):
    return -(t * _clamped_log_array(p) + (1 - t) * _clamped_log_array(1 - p))


_bce = defop(
    "binary_cross_entropy_items", _bce_items,
    doc="-(t log p + (1 - t) log(1 - p)) per element, each log clamped at -100; the "
        "gradient in p is PyTorch's (p - t) / max(p (1 - p), 1e-12) (see "
        "F.binary_cross_entropy).",
    p=("g * (p - t) / max(p (1 - p), 1e-12)",
       lambda xp, g, ans, p, t: g * (p - t) / xp.maximum(p * (1 - p), _BCE_EPS)),
    t=("g * (log(1 - p) - log(p)), each log clamped at -100",
       lambda xp, g, ans, p, t: g * (xp.bce_clamped_log(1 - p) - xp.bce_clamped_log(p))))


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean") -> Tensor:
    """``-w (t log p + (1 - t) log(1 - p))`` for probabilities ``p`` in [0, 1], reduced.

    Like PyTorch it takes probabilities (e.g. a sigmoid output), not logits, clamps
    each log at -100 (the loss stays finite at p = 0 and p = 1), and takes the gradient
    in ``p`` as ``(p - t) / max(p (1 - p), 1e-12)``: a prediction saturated at the wrong
    end (p = 0 for t = 1) still gets a large gradient (-1e12 per element before the
    reduction) rather than the clamp's zero slope, and one exactly right (p = t = 0)
    gets 0.  The gradient in a target that requires grad is ``log(1 - p) - log(p)``
    with the same clamps (PyTorch: infinite at p = 0 or 1).  For logits use
    ``binary_cross_entropy_with_logits`` (more accurate).
    ``weight`` multiplies each element (it broadcasts against ``input``).

    >>> F.binary_cross_entropy(ad.tensor([0.9, 0.2]), ad.tensor([1.0, 0.0]))
    tensor(0.16425203)
    """
    where = "binary_cross_entropy"
    _check_same_shape(where, input, target)
    _check_float(input, where)
    _check_float_target(where, target)
    _check_reduction(where, reduction)
    # Through ``made`` (kept as an effect): a compiled step checks each call's input.
    made("binary_cross_entropy check", _probabilities, (_raw(input),), stateful=True)
    weight = _elementwise_weight(where, "weight", weight, input)

    def loss(p, t, weight):
        per_item = _bce(p, t)
        return _reduce(per_item if weight is None else per_item * weight, reduction)
    # float16 computed in float32 and rounded once: its chain of float16 steps was up to
    # 3 ulps off float64 in the gradient, PyTorch's about 1
    return rounded_once(loss, _as_tensor(input), _as_tensor(target), weight)


def _probabilities(values):
    if values.size and not (np.all(values >= 0) and np.all(values <= 1)):
        raise ValueError(
            f"binary_cross_entropy: input must be probabilities in [0, 1], but it ranges over "
            f"[{values.min():.4g}, {values.max():.4g}] (shape {values.shape}); apply "
            "ad.sigmoid first or use F.binary_cross_entropy_with_logits on raw scores")
    return True


def logit_cross_entropy(x, t):
    """``-t log sigmoid(x) - (1 - t) log(1 - sigmoid(x))``, as ``softplus(x) - t x``
    where the target is below 1/2 and as ``(1 - t) x + softplus(-x)`` where it is not
    (``softplus(x) = logaddexp(0, x)``): for a hard target (0 or 1) the value and the
    gradient (``sigmoid(x)`` or ``-sigmoid(-x)``) keep their relative accuracy for logits
    of either sign, and each branch is smooth in ``x``, so that second derivatives are
    right everywhere, also at ``x = 0`` (a Newton step from zero weights).

    >>> float(logit_cross_entropy(ad.tensor(-30.0), 0.0))      # log(1 + e**-30)
    9.357622968839737e-14
    """
    pulls_up = compare.greater_equal(t, 0.5)
    return ew.where(pulls_up, (1 - t) * x + ew.logaddexp(0.0, -x),
                    ew.logaddexp(0.0, x) - t * x)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from the logits.

    Per element: ``(1 - t) x + (1 + (pos_weight - 1) t) log(1 + exp(-x))``, computed
    as ``logit_cross_entropy(x, t) + (pos_weight - 1) t logaddexp(0, -x)``: exact for
    any finite logit, and the gradient ``sigmoid(x) - t`` (for ``pos_weight=None``)
    keeps its relative accuracy for logits of either sign.
    ``weight`` multiplies each element; ``pos_weight`` (one per class, broadcast along
    the last axis) weighs the positive targets, as in PyTorch.

    >>> F.binary_cross_entropy_with_logits(ad.tensor([1e4, -1e4]), ad.tensor([1.0, 0.0]))
    tensor(0.)
    """
    where = "binary_cross_entropy_with_logits"
    _check_same_shape(where, input, target)
    node = getattr(input, "_node", None)
    if node is not None and node.op.name == "sigmoid":
        _warn_sigmoid_twice(where)
    _check_float(input, where)
    _check_float_target(where, target)
    _check_reduction(where, reduction)
    weight = _elementwise_weight(where, "weight", weight, input)
    pos_weight = _elementwise_weight(where, "pos_weight", pos_weight, input)
    # float16 computed in float32 and rounded once, as binary_cross_entropy
    return rounded_once(lambda x, target, weight, pos_weight: _logit_loss(
        x, target, weight, pos_weight, reduction), _as_tensor(input), _as_tensor(target),
        weight, pos_weight)


def _warn_sigmoid_twice(where):
    """The input was made by ``sigmoid``: the loss applies another one to it."""
    import warnings
    from ..optim.optimizer import user_stacklevel
    warnings.warn(
        f"{where}: the input was computed by sigmoid, but this loss applies sigmoid "
        "itself (it takes logits, the scores before sigmoid): sigmoid is applied twice, "
        "the probabilities it compares with the target are squeezed into (0.5, 0.73) and "
        "the gradients shrink. Pass the scores before the sigmoid, or keep the sigmoid "
        "and use F.binary_cross_entropy (nn.BCELoss) on its probabilities.",
        UserWarning, stacklevel=user_stacklevel())


def _logit_loss(x, target, weight, pos_weight, reduction):
    if pos_weight is None:
        per_item = logit_cross_entropy(x, target)
    else:
        # The positive targets' -log sigmoid(x) again, (pos_weight - 1) times more, on
        # top of logit_cross_entropy, whose accuracy it then keeps.  Recorded first, as
        # logit_cross_entropy records its small term first: its gradient reaches x after
        # the 1 - 1 = 0 of max(x, 0) - t x (for t = 1).
        softplus_neg = ew.logaddexp(0.0, -x)        # log(1 + exp(-x)) = -log sigmoid(x)
        # ew.subtract, not NumPy's -: a pos_weight array stays a plan input when compiled.
        positives = ew.subtract(pos_weight, 1) * target * softplus_neg
        per_item = logit_cross_entropy(x, target) + positives
    if weight is not None:
        per_item = per_item * weight
    return _reduce(per_item, reduction)
