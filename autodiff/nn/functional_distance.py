"""PyTorch's ``linear``, ``normalize``, ``cosine_similarity``, ``pairwise_distance`` and
``pdist``.

Norms are taken as PyTorch's ``torch.linalg.vector_norm``, whose gradient at an
all-zero vector is 0 (not 0/0): the root is computed under a double ``where``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops.operands import broadcasts_to
from ..ops.indexing import getitem
from ..ops.shape import broadcast_to, reshape
from ..tensor import Tensor
from ..torch_functions import cdist
from .functional_activation import checked_axis, float_tensor, real_number
from .half_precision import check_float16_operands, rounded_once


def _linear_operand(value) -> Tensor:
    """An operand of ``linear`` as a Tensor: floating-point or complex (as PyTorch's)."""
    if (value.dtype if isinstance(value, Tensor) else np.asarray(value).dtype).kind == "c":
        return value if isinstance(value, Tensor) else Tensor(np.asarray(value))
    return float_tensor(value, "linear")


def linear(input, weight, bias=None) -> Tensor:
    """``input @ weight.T + bias`` with ``weight`` in PyTorch's layout ``(out, in)``.

    ``nn.Linear`` here stores its weight as ``(in, out)``; call
    ``F.linear(x, layer.weight.T, layer.bias)`` to apply such a layer through this
    function.  ``bias`` is ``None`` or broadcasts to the output ``(..., out)``.

    >>> F.linear(ad.tensor([[1.0, 2.0]]), ad.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]),
    ...          ad.tensor([0.5, 0.5, 0.5]))
    tensor([[1.5, 3.5, 4.5]])
    """
    x, weight = _linear_operand(input), _linear_operand(weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), as "
                         f"PyTorch's, got shape {weight.shape}; for one output use "
                         f"weight[None, :]")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: the input's last axis must have in_features = {weight.shape[1]} "
            f"entries, but the input has shape {x.shape}; weight {weight.shape} is read in "
            f"PyTorch's layout (out_features, in_features) (nn.Linear's weight here is "
            f"(in, out): pass layer.weight.T)")
    if bias is not None:
        bias = _linear_operand(bias)
        out_shape = x.shape[:-1] + (weight.shape[0],)
        if not broadcasts_to(bias.shape, out_shape):
            raise ValueError(f"linear: bias of shape {bias.shape} does not broadcast to the "
                             f"output's shape {out_shape}; pass a bias of shape "
                             f"({weight.shape[0]},)")
    check_float16_operands("linear", x, weight, bias)
    return rounded_once(_affine, x, weight, bias)


def _affine(x, weight, bias):
    out = x @ weight.T
    return out if bias is None else out + bias


def norm_order(p, where: str):
    """``p`` of a vector norm: a real number >= 1, or inf."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or math.isnan(p) or p < 1:
        raise ValueError(f"{where}: p={p!r} is not supported; pass p >= 1 (2 for the "
                         f"Euclidean norm, 1 for the sum of |x|) or p=float('inf')")
    return float(p)


def vector_norm(x: Tensor, p: float, axis: int, keepdims: bool = True) -> Tensor:
    """``(sum |x|**p) ** (1/p)`` along ``axis``, with gradient 0 at an all-zero vector;
    float16 in float32, rounded once, as PyTorch's (squares of entries over 256
    overflow float16)."""
    if x.dtype == np.float16:
        return vector_norm(x.float(), p, axis, keepdims).half()
    if p == math.inf:
        return rd.max(ew.abs(x), axis=axis, keepdims=keepdims)
    if p == 1:
        return rd.sum(ew.abs(x), axis=axis, keepdims=keepdims)
    powered = x * x if p == 2 else ew.abs(x) ** p
    total = rd.sum(powered, axis=axis, keepdims=keepdims)
    positive = total > 0
    safe = ew.where(positive, total, 1.0)
    root = ew.sqrt(safe) if p == 2 else safe ** (1.0 / p)
    return ew.where(positive, root, 0.0)


def _eps(eps, where):
    return real_number(eps, where, "eps", "it only keeps a denominator away from 0")


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim`` (default 1, as PyTorch).

    Where the norm is below ``eps`` the denominator is the constant ``eps``; at equality
    the gradient goes through the norm (PyTorch's ``clamp_min``).  ``F.l2_normalize``
    is the same for ``p=2``, along ``axis=-1`` by default.

    >>> F.normalize(ad.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor([[0.6, 0.8],
            [0. , 0. ]])
    """
    x = float_tensor(input, "normalize")
    p, eps = norm_order(p, "normalize"), _eps(eps, "normalize")
    axis = checked_axis(dim, x.ndim, "normalize", x.shape)
    if x.ndim == 0:
        return reshape(normalize(reshape(x, (1,)), p, 0, eps), ())
    norm = vector_norm(x, p, axis)
    return x / ew.where(norm < eps, eps, norm)


def _broadcast_pair(x1, x2, where):
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"{where}: x1 of shape {x1.shape} and x2 of shape {x2.shape} do "
                         "not broadcast: aligned from the right, each pair of sizes must be "
                         "equal or one of them 1") from None
    return broadcast_to(x1, shape), broadcast_to(x2, shape)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)))`` along ``dim``, after
    broadcasting, as PyTorch computes it.

    Each norm is clamped to ``eps`` separately, and, as in PyTorch, the clamp changes
    only the value: the gradient flows through each norm as if it were not clamped.

    >>> F.cosine_similarity(ad.tensor([[1.0, 0.0], [1.0, 1.0]]), ad.tensor([[1.0, 1.0]]))
    tensor([0.70710678, 1.        ])
    """
    x1 = float_tensor(x1, "cosine_similarity")
    x2 = float_tensor(x2, "cosine_similarity")
    eps = _eps(eps, "cosine_similarity")
    x1, x2 = _broadcast_pair(x1, x2, "cosine_similarity")
    axis = checked_axis(dim, x1.ndim, "cosine_similarity", x1.shape)
    if x1.ndim == 0:
        return reshape(cosine_similarity(reshape(x1, (1,)), reshape(x2, (1,)), 0, eps), ())
    return rd.sum((x1 / _clamped_value(vector_norm(x1, 2.0, axis), eps))
                  * (x2 / _clamped_value(vector_norm(x2, 2.0, axis), eps)), axis=axis)


def _clamped_value(norm, eps):
    """``max(norm, eps)`` in value, ``norm`` in gradient (PyTorch clamps the norm in place
    under ``no_grad``).  ``norm - stop_gradient(norm)`` is 0 with gradient 1."""
    return ew.where(norm < eps, eps + (norm - ew.stop_gradient(norm)), norm)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last axis (after broadcasting), as PyTorch.

    >>> F.pairwise_distance(ad.tensor([[0.0, 0.0], [1.0, 1.0]]), ad.tensor([[3.0, 4.0]]),
    ...                     eps=0.0)
    tensor([5.        , 3.60555128])
    """
    x1, x2 = (float_tensor(x1, "pairwise_distance", x2),
              float_tensor(x2, "pairwise_distance", x1))
    p, eps = norm_order(p, "pairwise_distance"), _eps(eps, "pairwise_distance")
    x1, x2 = _broadcast_pair(x1, x2, "pairwise_distance")
    difference = x1 - x2 + eps
    if difference.ndim == 0:
        return vector_norm(reshape(difference, (1,)), p, 0, keepdims=False)
    return vector_norm(difference, p, difference.ndim - 1, keepdims=bool(keepdim))


def pdist(input, p: float = 2.0) -> Tensor:
    """The p-norm distance between each pair of rows ``i < j`` of an (N, M) ``input``, in
    the order of ``np.triu_indices(N, 1)``: shape ``(N * (N - 1) / 2,)``, as
    ``torch.nn.functional.pdist``.  At zero distance the gradient is 0 (PyTorch's).

    >>> F.pdist(ad.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    tensor([5.        , 1.        , 4.24264069])
    """
    x = float_tensor(input, "pdist")
    if x.ndim != 2:
        raise ValueError(f"pdist: expected a 2-D input (N, M), got shape {x.shape}; for a "
                         "batch of row sets use ad.cdist(x, x)")
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or math.isnan(p) or p < 0:
        raise ValueError(f"pdist: p must be a number >= 0 (or inf), got {p!r}")
    firsts = made("pdist pairs", _pair_members, (x.shape[0], 0))
    seconds = made("pdist pairs", _pair_members, (x.shape[0], 1))
    return getitem(cdist(x, x, float(p)), (firsts, seconds))


def _pair_members(n, which):
    """The first (``which`` 0) or second (1) row of each pair ``i < j`` of ``n`` rows."""
    return np.triu_indices(n, 1)[which]
