"""``ad.block_diag``: PyTorch's ``torch.block_diag``, built from recorded joins (the
gradients, of any order, are theirs), with PyTorch's promotion of the blocks' dtypes.
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .ops.elementwise import astype
from .ops.shape import concatenate, reshape
from .tensor import Tensor

__all__ = ["block_diag"]

def _category(dtype: np.dtype) -> int:
    """bool < integer (signed or not) < float < complex."""
    return {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}[dtype.kind]


def _promote(a: np.dtype | None, b: np.dtype | None) -> np.dtype | None:
    """PyTorch's ``promote_types``: within a category, or float with complex, NumPy's
    (int8 and uint8 give int16, float64 and complex64 complex128); across the others the
    higher category's dtype unchanged (int64 and float16 give float16, not float64)."""
    if a is None or b is None:
        return b if a is None else a
    ca, cb = _category(a), _category(b)
    if ca == cb or min(ca, cb) == 2:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """PyTorch's ``combine_categories``: the dimensioned tensors' dtype, unless a
    0-d tensor's is of a higher category (``[1] int64`` with ``3.0 float64``: float64;
    ``[1.0] float32`` with it: float32)."""
    if higher is None:
        return lower
    if lower is None or _category(higher) >= _category(lower):
        return higher
    if _category(higher) == 2 and _category(lower) == 3:      # float with complex
        return np.result_type(higher, np.complex64)
    return _promote(higher, lower) if _category(higher) == 0 or _category(lower) == 2 \
        else lower


def torch_result_type(arrays) -> np.dtype:
    """The dtype PyTorch's ``result_type`` gives tensors of these dtypes and shapes.

    >>> torch_result_type([np.ones(2, np.float32), np.array(3.0)])
    dtype('float32')
    """
    dimensioned = zero_dim = None
    for a in arrays:
        if a.ndim:
            dimensioned = _promote(dimensioned, a.dtype)
        else:
            zero_dim = _promote(zero_dim, a.dtype)
    return _combine(dimensioned, zero_dim)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the inputs, as ``torch.block_diag``: a 0-d input is a
    1 x 1 block, a 1-d input of n elements a 1 x n block, a 2-d input itself; the
    dtype is PyTorch's promotion of the inputs'.  Differentiable in every input.

    >>> a = ad.tensor([[1.0, 2.0]], requires_grad=True)
    >>> ad.block_diag(a, ad.tensor(3.0))
    tensor([[1., 2., 0.],
            [0., 0., 3.]], requires_grad=True)
    >>> (ad.block_diag(a, ad.tensor(3.0)) * np.arange(6.0).reshape(2, 3)).sum().backward()
    >>> a.grad
    array([[0., 1.]])
    """
    for k, t in enumerate(tensors):
        if not isinstance(t, (Tensor, np.ndarray)):
            raise TypeError(f"block_diag: expected a Tensor as argument {k}, but got "
                            f"{type(t).__name__}; pass the blocks as separate arguments, "
                            "each a Tensor (or an ndarray): ad.block_diag(*blocks)")
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: input tensors must have 2 or fewer dimensions; "
                               f"input {k} has {t.ndim} dimensions (shape {t.shape})")
    if not tensors:
        return Tensor(np.empty((1, 0)))
    dtype = torch_result_type([np.asarray(getattr(t, "data", t)) for t in tensors])
    blocks = [reshape(t, (1, -1)) if t.ndim < 2 else t for t in tensors]
    blocks = [b if b.dtype == dtype else astype(b, dtype) for b in blocks]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        height, columns = b.shape
        before = made("zeros", np.zeros, ((height, left), dtype))    # (ad.compile: a
        after = made("zeros", np.zeros, ((height, width - left - columns), dtype))  # step)
        rows.append(concatenate([before, b, after], axis=1))
        left += columns
    return concatenate(rows, axis=0)
