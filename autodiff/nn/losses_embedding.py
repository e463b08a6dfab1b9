"""Losses on pairs and triplets of embeddings, as in PyTorch: ``cosine_embedding_loss``,
``triplet_margin_loss`` and ``triplet_margin_with_distance_loss``.

Their ``max(0, z)`` is PyTorch's ``clamp_min``: the gradient passes at ``z == 0``.
``triplet_margin_loss`` measures with ``F.pairwise_distance``, ``||a - b + eps||_p``
along the last axis (eps added to the difference, as PyTorch); with ``swap=True`` the
negative distance is ``min(d(a, n), d(p, n))``, a tie splitting its gradient evenly,
as ``torch.minimum``.
"""

from __future__ import annotations

import numpy as np

from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..tensor import Tensor
from .functional_activation import float_tensor, real_number
from .functional_distance import _broadcast_pair, pairwise_distance
from .losses import _as_tensor, _check_reduction, _raw, _reduce
from .losses_likelihood import _check_broadcasts_into, _numeric_target
from .losses_margin import _check_plus_minus_one, _hinge, _margin_value

_EPSILON = 1e-12    # PyTorch's, added to each squared norm in cosine_embedding_loss


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1``, reduced, as PyTorch.

    ``input1`` and ``input2`` are (N, D) with ``target`` (N,), or (D,) with a 0-d
    target; the inputs broadcast against each other.  The cosine is PyTorch's
    ``sum(x1 x2) / sqrt((|x1|**2 + 1e-12) (|x2|**2 + 1e-12))``.

    >>> F.cosine_embedding_loss(ad.tensor([[1.0, 0.0], [1.0, 1.0]]),
    ...                         ad.tensor([[1.0, 1.0], [1.0, 1.0]]), np.array([1.0, -1.0]),
    ...                         reduction="none")
    tensor([0.29289322, 1.        ])
    """
    where = "cosine_embedding_loss"
    x1, x2 = float_tensor(input1, where), float_tensor(input2, where)
    t_shape = np.shape(_raw(target))
    if len(t_shape) > 1:
        raise ValueError(f"{where}: target must be 0-d or 1-D (one 1 or -1 per pair), got "
                         f"shape {t_shape}; PyTorch does not support several targets per pair")
    wanted = len(t_shape) + 1
    if x1.ndim != wanted or x2.ndim != wanted:
        raise ValueError(
            f"{where}: a {len(t_shape)}-D target expects {wanted}-D inputs "
            f"({'(N, D) with target (N,)' if wanted == 2 else '(D,) with a 0-d target'}), "
            f"but the inputs have shapes {x1.shape} and {x2.shape}")
    x1, x2 = _broadcast_pair(x1, x2, where)
    target = _numeric_target(where, target, x1.dtype)
    _check_broadcasts_into(where, x1.shape[:-1], target, "target")
    _check_plus_minus_one(where, target)
    margin = _margin_value(margin, where)
    _check_reduction(where, reduction)
    product = rd.sum(x1 * x2, axis=-1)
    squares = (rd.sum(x1 * x1, axis=-1) + _EPSILON) * (rd.sum(x2 * x2, axis=-1) + _EPSILON)
    cos = product / ew.sqrt(squares)
    per_item = ew.where(_as_tensor(target) == 1, 1.0 - cos, _hinge(cos - margin))
    return _reduce(per_item, reduction)


def _triplet_checks(where, anchor, positive, negative, margin, reduction):
    margin = real_number(margin, where, "margin", "it is a constant of the loss")
    if not margin > 0:
        raise ValueError(f"{where}: margin must be greater than 0, got {margin} (as PyTorch "
                         "requires: with margin <= 0 the loss is 0 for any triplet in order)")
    _check_reduction(where, reduction)
    dims = [np.ndim(_raw(v)) for v in (anchor, positive, negative)]
    if not dims[0] == dims[1] == dims[2]:
        raise ValueError(
            f"{where}: anchor, positive and negative must have the same number of axes, as "
            f"PyTorch requires, but have shapes {np.shape(_raw(anchor))}, "
            f"{np.shape(_raw(positive))} and {np.shape(_raw(negative))}")
    return margin


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d = F.pairwise_distance(., ., p,
    eps)`` along the last axis, reduced, as PyTorch; ``swap=True`` uses
    ``min(d(a, n), d(p, n))`` as the negative distance.

    The three have the same number of axes and broadcast; ``margin`` must be > 0.

    >>> a, pos, neg = ad.tensor([[0.0, 0.0]]), ad.tensor([[3.0, 4.0]]), ad.tensor([[1.0, 0.0]])
    >>> F.triplet_margin_loss(a, pos, neg, eps=0.0)
    tensor(5.)
    """
    where = "triplet_margin_loss"
    margin = _triplet_checks(where, anchor, positive, negative, margin, reduction)
    a, pos, neg = (float_tensor(v, where) for v in (anchor, positive, negative))
    positive_distance = pairwise_distance(a, pos, p, eps)
    negative_distance = pairwise_distance(a, neg, p, eps)
    if swap:
        negative_distance = ew.minimum(negative_distance, pairwise_distance(pos, neg, p, eps))
    return _reduce(_hinge(margin + positive_distance - negative_distance), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` for any distance ``d`` (a function of two
    Tensors, e.g. ``lambda x, y: 1 - F.cosine_similarity(x, y)``), reduced, as
    PyTorch; ``distance_function=None`` is ``F.pairwise_distance``.

    >>> a, pos, neg = ad.tensor([[1.0, 0.0]]), ad.tensor([[1.0, 1.0]]), ad.tensor([[0.0, 1.0]])
    >>> F.triplet_margin_with_distance_loss(
    ...     a, pos, neg, distance_function=lambda x, y: 1 - F.cosine_similarity(x, y))
    tensor(0.29289322)
    """
    where = "triplet_margin_with_distance_loss"
    margin = _triplet_checks(where, anchor, positive, negative, margin, reduction)
    if distance_function is None:
        distance_function = pairwise_distance
    elif not callable(distance_function):
        raise TypeError(f"{where}: distance_function must be a function of two Tensors "
                        f"(or None for F.pairwise_distance), got {distance_function!r}")
    a, pos, neg = (_as_tensor(v) for v in (anchor, positive, negative))
    positive_distance = _as_tensor(distance_function(a, pos))
    negative_distance = _as_tensor(distance_function(a, neg))
    if swap:
        negative_distance = ew.minimum(negative_distance,
                                       _as_tensor(distance_function(pos, neg)))
    return _reduce(_hinge(margin + positive_distance - negative_distance), reduction)
