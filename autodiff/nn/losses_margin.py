"""Margin and soft-margin losses, as in PyTorch: ``margin_ranking_loss``,
``hinge_embedding_loss``, ``soft_margin_loss``, ``multilabel_soft_margin_loss``,
``multi_margin_loss`` and ``multilabel_margin_loss``.

Kinks follow PyTorch: a ``max(0, z)`` written there as ``clamp_min`` passes the
gradient at ``z == 0`` (``margin_ranking_loss``, ``hinge_embedding_loss``, the
embedding losses), while the class-margin losses, which count a term only where
``z > 0``, give it 0 (``multi_margin_loss``, ``multilabel_margin_loss``).

One difference from PyTorch: targets documented as "1 or -1" must be 1 or -1 here.
PyTorch computes something for other values (a 0/1 target in ``hinge_embedding_loss``
adds the input and the hinge, in ``soft_margin_loss`` gives the constant ``log 2``),
which is never what was meant; here such a target raises, naming the values found.
``soft_margin_loss`` is also computed stably: PyTorch's ``log1p(exp(-y x))`` is inf
(and its gradient NaN) once ``-y x`` overflows, where this gives ``-y x`` and ``-y``.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops.indexing import getitem
from ..ops.shape import reshape
from ..tensor import Tensor
from .functional_activation import logsigmoid, real_number
from .losses import (_as_tensor, _check_reduction, _check_same_shape, _class_weights,
                     _elementwise_weight, _raw, _reduce)
from .losses_likelihood import _check_broadcasts_into, _numeric_target
from .softmax import _check_float


def _hinge(z):
    """``max(z, 0)`` with PyTorch's ``clamp_min`` gradient: 1 at ``z == 0``."""
    return ew.where(z >= 0, z, 0.0)


def _positive_part(z):
    """``max(z, 0)`` counted only where ``z > 0``: gradient 0 at ``z == 0``."""
    return ew.where(z > 0, z, 0.0)


def _all_plus_minus_one(values, where, name):
    if values.size and not np.all((values == 1) | (values == -1)):
        found = np.unique(values[(values != 1) & (values != -1)])[:5]
        raise ValueError(
            f"{where}: {name} must hold 1 or -1 (shape {values.shape}), but it holds "
            f"{', '.join(f'{v:g}' for v in found)}; for 0/1 labels pass 2 * y - 1 "
            "(PyTorch computes a meaningless loss for other values)")
    return True


def _check_plus_minus_one(where: str, target, name: str = "target"):
    """Refuse targets other than 1 and -1 (also in each call of a compiled step)."""
    made(f"{where} {name} check", _all_plus_minus_one, (_raw(target), where, name),
         stateful=True)


def _signed_pair(where: str, input, target):
    """``input`` as a float Tensor and ``target`` as numbers of its dtype, of the same
    shape, every target 1 or -1."""
    _check_float(input, where)
    x = _as_tensor(input)
    _check_same_shape(where, x, target)
    target = _numeric_target(where, target, x.dtype)
    _check_plus_minus_one(where, target)
    return x, target


def _margin_value(value, where: str, name: str = "margin"):
    """A margin: a real number (a Tensor that requires grad is refused)."""
    return real_number(value, where, name, "it is a constant of the loss, as in PyTorch")


def margin_ranking_loss(input1, input2, target, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``, reduced, as PyTorch.

    ``target`` holds 1 where ``input1`` should rank higher and -1 where ``input2``
    should; the three have the same number of axes (PyTorch's rule) and ``target``
    broadcasts to the inputs' common shape.

    >>> F.margin_ranking_loss(ad.tensor([1.0, 2.0]), ad.tensor([2.0, 0.0]),
    ...                       np.array([1.0, 1.0]), margin=0.5, reduction="none")
    tensor([1.5, 0. ])
    """
    where = "margin_ranking_loss"
    _check_float(input1, where)
    _check_float(input2, where)
    x1, x2 = _as_tensor(input1), _as_tensor(input2)
    t_shape = np.shape(_raw(target))
    if not x1.ndim == x2.ndim == len(t_shape):
        raise ValueError(
            f"{where}: input1, input2 and target must have the same number of axes, as "
            f"PyTorch requires, but have shapes {x1.shape}, {x2.shape} and {t_shape}")
    if x1.shape != x2.shape:
        raise ValueError(f"{where}: input1 has shape {x1.shape} but input2 has shape "
                         f"{x2.shape}; they must match (one score of each pair in each)")
    target = _numeric_target(where, target, x1.dtype)
    _check_broadcasts_into(where, x1.shape, target, "target")
    _check_plus_minus_one(where, target)
    margin = _margin_value(margin, where)
    _check_reduction(where, reduction)
    return _reduce(_hinge(ew.multiply(target, x2 - x1) + margin), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0,
                         reduction: str = "mean") -> Tensor:
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``,
    reduced, as PyTorch; ``input`` is typically a distance between two embeddings.

    >>> F.hinge_embedding_loss(ad.tensor([0.3, 0.3, 2.0]), np.array([1.0, -1.0, -1.0]),
    ...                        reduction="none")
    tensor([0.3, 0.7, 0. ])
    """
    where = "hinge_embedding_loss"
    x, target = _signed_pair(where, input, target)
    margin = _margin_value(margin, where)
    _check_reduction(where, reduction)
    per_item = ew.where(_as_tensor(target) == 1, x, _hinge(margin - x))
    return _reduce(per_item, reduction)


def soft_margin_loss(input, target, reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * input))`` for targets 1 or -1, reduced, as PyTorch
    (computed as ``-logsigmoid(target * input)``, finite for any input).

    >>> F.soft_margin_loss(ad.tensor([0.0, 2.0, -800.0]), np.array([1.0, -1.0, 1.0]),
    ...                    reduction="none")
    tensor([6.93147181e-01, 2.12692801e+00, 8.00000000e+02])
    """
    where = "soft_margin_loss"
    x, target = _signed_pair(where, input, target)
    _check_reduction(where, reduction)
    return _reduce(-logsigmoid(ew.multiply(target, x)), reduction)


def multilabel_soft_margin_loss(input, target, weight=None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of each class's logit, averaged over the classes (the last
    axis), then reduced over the samples, as PyTorch:
    ``-mean_c w_c (t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c))``.

    ``input`` is (N, C) or (C,) (more axes are allowed, as in PyTorch: the last is
    the classes); ``target`` has its shape and holds 0/1 labels (or probabilities);
    ``weight`` broadcasts against ``input`` (one weight per class: shape (C,)).

    >>> F.multilabel_soft_margin_loss(ad.tensor([[0.0, 2.0]]), np.array([[1.0, 0.0]]),
    ...                               reduction="none")
    tensor([1.4100376])
    """
    where = "multilabel_soft_margin_loss"
    _check_float(input, where)
    x = _as_tensor(input)
    if x.ndim == 0:
        raise ValueError(f"{where}: input must have a class axis, shape (N, C) or (C,), "
                         "got a 0-d input")
    if np.shape(_raw(target)) != x.shape:
        raise ValueError(f"{where}: target must have the input's shape {x.shape} (one 0/1 "
                         f"label per class), got shape {np.shape(_raw(target))}")
    target = _numeric_target(where, target, x.dtype)
    weight = _elementwise_weight(where, "weight", weight, x)
    _check_reduction(where, reduction)
    per_class = -(ew.multiply(target, logsigmoid(x))
                  + ew.multiply(ew.subtract(1.0, target), logsigmoid(-x)))
    if weight is not None:
        per_class = per_class * weight
    return _reduce(rd.sum(per_class, axis=-1) / x.shape[-1], reduction)


# ----- class-index margin losses --------------------------------------------------------

def _samples_and_classes(where, x):
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"{where}: input must have shape (N, C) or (C,) with C >= 1 "
                         f"(PyTorch's rule), got shape {x.shape}")
    return (1, x.shape[0]) if x.ndim == 1 else x.shape


def _integer_target(where, target):
    raw = _raw(target)
    if raw.dtype.kind not in "iu":
        raise TypeError(f"{where}: target must hold integer class indices, got dtype "
                        f"{raw.dtype} (shape {raw.shape}); convert it, e.g. "
                        "y.astype(np.int64)")
    return raw


def _classes_in_range(target, classes, where, lowest):
    if target.size and (target.min() < lowest or target.max() >= classes):
        bad = target.min() if target.min() < lowest else target.max()
        allowed = f"[0, {classes})" if lowest == 0 else f"[0, {classes}) or -1 (end of list)"
        raise IndexError(f"{where}: target holds {int(bad)}, but the input has {classes} "
                         f"classes, so targets must be in {allowed}")
    return True


def _others(target, classes, dtype):
    """1 for every class but the sample's target, per row."""
    mask = np.ones((target.size, classes), dtype)
    mask[np.arange(target.size), target.reshape(-1)] = 0
    return mask


def _flat(target):
    return target.reshape(-1)


def _rows(n):
    return np.arange(n)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss, as PyTorch: for each sample with class ``y``,
    ``sum_{j != y} w_y max(0, margin - x_y + x_j)**p / C``, then reduced.

    ``input`` is (N, C) or (C,), ``target`` (N,) (or 0-d for (C,)) class indices;
    ``p`` is 1 or 2; ``weight`` (C,) weighs each sample by its class.  A term counts
    only where ``margin - x_y + x_j > 0``: its gradient is 0 at the kink, as PyTorch's.

    >>> F.multi_margin_loss(ad.tensor([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))
    tensor(0.325)
    """
    where = "multi_margin_loss"
    _check_float(input, where)
    x = _as_tensor(input)
    if isinstance(p, (bool, np.bool_)) or p not in (1, 2):
        raise ValueError(f"{where}: p must be 1 or 2 (PyTorch supports only these), got {p!r}")
    n, classes = _samples_and_classes(where, x)
    raw = _integer_target(where, target)
    allowed = [(n,)] + ([()] if x.ndim == 1 else [])
    if raw.shape not in allowed:
        raise ValueError(
            f"{where}: target must have shape {' or '.join(str(s) for s in allowed)}, one "
            f"class index per sample of the input with shape {x.shape}, got shape {raw.shape}")
    made(f"{where} target check", _classes_in_range, (raw, classes, where, 0), stateful=True)
    if weight is not None and np.ndim(_raw(weight)) != 1:
        raise ValueError(f"{where}: weight must be 1-D, one weight per class, got shape "
                         f"{np.shape(_raw(weight))}")
    weights = _class_weights(where, weight, classes, x.dtype)
    margin = _margin_value(margin, where)
    _check_reduction(where, reduction)
    rows = reshape(x, (n, classes))
    flat = made("flat targets", _flat, (raw,))
    picked = getitem(rows, (made("row indices", _rows, (n,)), flat))
    z = margin - reshape(picked, (n, 1)) + rows
    terms = _positive_part(z)
    if p == 2:
        terms = terms * terms
    terms = terms * made("other classes", _others, (raw, classes, x.dtype))
    per_item = rd.sum(terms, axis=1) / classes
    if weights is not None:
        per_item = per_item * made("target weights", _take, (weights, flat))
    return _reduce(reshape(per_item, raw.shape), reduction)


def _take(weights, index):
    return weights[index]


def _pair_weights(target, classes, dtype):
    """(N, C, C): how often class j is in row n's target list (the indices before the
    first -1) times whether class i is not, for the terms ``max(0, 1 - x_j + x_i)``."""
    target = target.reshape(-1, classes)
    count = np.zeros(target.shape, dtype)
    for row, labels in enumerate(target):
        ends = np.flatnonzero(labels < 0)
        listed = labels[:ends[0] if ends.size else classes]
        np.add.at(count[row], listed, 1)
    others = (count == 0).astype(dtype)
    return count[:, :, None] * others[:, None, :]


def multilabel_margin_loss(input, target, reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss, as PyTorch: for each sample,
    ``sum_{j in labels} sum_{i not in labels} max(0, 1 - (x_j - x_i)) / C``.

    ``target`` is an integer array of ``input``'s shape, (N, C) or (C,): each row lists
    the sample's classes, ended by the first -1 (entries after it are ignored, but
    must still be in [-1, C), as PyTorch checks).  A term counts only where
    ``1 - x_j + x_i > 0``: gradient 0 at the kink, as PyTorch's.

    >>> F.multilabel_margin_loss(ad.tensor([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]]))
    tensor(0.85)
    """
    where = "multilabel_margin_loss"
    _check_float(input, where)
    x = _as_tensor(input)
    n, classes = _samples_and_classes(where, x)
    raw = _integer_target(where, target)
    if raw.shape != x.shape:
        raise ValueError(
            f"{where}: target must have the input's shape {x.shape}: each row the indices "
            f"of its classes, ended by -1 (e.g. [3, 0, -1, -1]), got shape {raw.shape}")
    made(f"{where} target check", _classes_in_range, (raw, classes, where, -1),
         stateful=True)
    _check_reduction(where, reduction)
    rows = reshape(x, (n, classes))
    z = 1.0 - reshape(rows, (n, classes, 1)) + reshape(rows, (n, 1, classes))
    pairs = made("label pairs", _pair_weights, (raw, classes, x.dtype))
    per_item = rd.sum(_positive_part(z) * pairs, axis=(1, 2)) / classes
    return _reduce(reshape(per_item, x.shape[:-1]), reduction)
