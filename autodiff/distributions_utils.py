"""``ad.distributions.utils``: the helpers of PyTorch's ``torch.distributions.utils``
that distributions written outside the library use: ``broadcast_all``, ``euler_constant``,
``logits_to_probs`` / ``probs_to_logits`` / ``clamp_probs``, ``lazy_property``, and
``tril_matrix_to_vec`` / ``vec_to_tril_matrix``; each differentiable.

>>> U = ad.distributions.utils
>>> U.broadcast_all(ad.tensor([0.0, 1.0]), 2.0)
(tensor([0., 1.]), tensor([2., 2.]))
>>> U.probs_to_logits(ad.tensor(0.5), is_binary=True)
tensor(0.)
"""

from __future__ import annotations

import numbers

import numpy as np

from .compile.hooks import made
from .grad_mode import enable_grad
from .ops.elementwise import clip, log, log1p, sigmoid
from .ops.indexing import getitem
from .ops.shape import concatenate, reshape
from .tensor import Tensor

__all__ = ["broadcast_all", "clamp_probs", "euler_constant", "lazy_property",
           "logits_to_probs", "probs_to_logits", "tril_matrix_to_vec", "vec_to_tril_matrix"]

#: the Euler-Mascheroni constant, PyTorch's (a Gumbel's mean is loc + scale * it)
euler_constant = 0.57721566490153286060


def broadcast_all(*values) -> tuple:
    """The values broadcast to one shape, numbers made tensors of the first tensor's
    dtype (or the default float dtype), as PyTorch's.

    >>> ad.distributions.utils.broadcast_all(1.0, ad.tensor([[1.0], [2.0]]))[0]
    tensor([[1.],
            [1.]])
    """
    from .torch_functions import broadcast_tensors
    from .torch_names import as_tensor
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("broadcast_all: input arguments must all be numbers or "
                         f"Tensors, got {[type(v).__name__ for v in values]}")
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = like.dtype if like is not None and like.dtype.kind in "fc" else None
    return tuple(broadcast_tensors(*(v if isinstance(v, Tensor) else as_tensor(
        float(v), dtype=dtype) for v in values)))


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` clipped to [eps, 1 - eps] (eps of its dtype), as PyTorch's.

    >>> ad.distributions.utils.clamp_probs(ad.tensor([0.0, 0.5]))[1]
    tensor(0.5)
    """
    eps = float(np.finfo(probs.dtype).eps)
    return clip(probs, eps, 1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """``sigmoid(logits)`` when binary, else the softmax over the last axis.

    >>> ad.distributions.utils.logits_to_probs(ad.tensor([0.0, 0.0]))
    tensor([0.5, 0.5])
    """
    from .torch_functions import softmax
    return sigmoid(logits) if is_binary else softmax(logits, dim=-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p - log(1 - p) when binary, else log p, of ``clamp_probs(probs)``.

    >>> ad.distributions.utils.probs_to_logits(ad.tensor([0.5, 0.5]))
    tensor([-0.69314718, -0.69314718])
    """
    clamped = clamp_probs(probs)
    return log(clamped) - log1p(-clamped) if is_binary else log(clamped)


class lazy_property:  # noqa: N801  (PyTorch's name)
    """A property computed on first reading (with gradients recorded, as PyTorch's) and
    then stored on the instance.

    >>> class Box:
    ...     @ad.distributions.utils.lazy_property
    ...     def side(self):
    ...         return 2.0
    >>> b = Box(); b.side, "side" in vars(b)
    (2.0, True)
    """

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _tril_mask(size: int, diag: int) -> np.ndarray:
    if not -size <= diag < size:
        raise ValueError(f"diag ({diag}) provided is outside [{-size}, {size - 1}].")
    arange = np.arange(size)
    return arange[None, :] < arange[:, None] + (diag + 1)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The entries of ``mat`` on and below diagonal ``diag``, row by row.

    >>> ad.distributions.utils.tril_matrix_to_vec(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([1., 3., 4.])
    """
    mask = made("tril mask", _tril_mask, (mat.shape[-1], diag))
    return getitem(mat, (Ellipsis, mask))


def _tril_size(length: int, diag: int, dtype) -> int:
    b = 1 + 2 * diag
    size = (-b + (b * b + 8 * length + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    # (PyTorch's test is round(size) - size > eps, which lets sizes just past a whole
    # number through, to fail later; both sides are refused here)
    if abs(round(size) - size) > np.finfo(dtype).eps:
        raise ValueError(f"vec_to_tril_matrix: the last dimension ({length}) is not the "
                         f"number of entries on and below diagonal {diag} of a square "
                         "matrix")
    return round(size)


def _tril_positions(size: int, diag: int) -> np.ndarray:
    """1 + the vector index of each entry of the matrix (row-major), 0 off the triangle."""
    mask = _tril_mask(size, diag).reshape(-1)
    positions = np.zeros(size * size, dtype=np.int64)
    positions[mask] = np.arange(1, mask.sum() + 1)
    return positions


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The square matrix with ``vec`` on and below diagonal ``diag`` (row by row) and
    zeros elsewhere: ``tril_matrix_to_vec``'s inverse.

    >>> ad.distributions.utils.vec_to_tril_matrix(ad.tensor([1.0, 3.0, 4.0]))
    tensor([[1., 0.],
            [3., 4.]])
    """
    size = _tril_size(vec.shape[-1], diag, vec.dtype)
    zero = Tensor(made("zeros", np.zeros, (vec.shape[:-1] + (1,), vec.dtype)))
    padded = concatenate([zero, vec], -1)
    flat = getitem(padded, (Ellipsis, made("tril positions", _tril_positions, (size, diag))))
    return reshape(flat, vec.shape[:-1] + (size, size))
