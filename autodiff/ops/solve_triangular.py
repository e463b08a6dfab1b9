"""``ad.linalg.solve_triangular``: PyTorch's solve with a triangular matrix, reading only
the triangle it is told of (``upper``), with ``left`` and ``unitriangular`` as in
``torch.linalg.solve_triangular``.  Built from ``triu``/``tril`` and ``solve``, so the
gradients come from their rules (the other triangle gets none, as in PyTorch)."""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .operands import tensor_of


def solve_triangular(A, B, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with ``A @ X = B`` (``left=False``: ``X @ A = B``) for a triangular ``A``, as
    ``torch.linalg.solve_triangular``: only the ``upper`` (or lower) triangle of ``A`` is
    read, and with ``unitriangular`` its diagonal is taken as ones.  Batched over the
    leading dims.

    >>> A = ad.tensor([[2.0, 0.0], [1.0, 4.0]])
    >>> ad.linalg.solve_triangular(A, ad.tensor([[2.0], [9.0]]), upper=False)
    tensor([[1.],
            [2.]])
    """
    from .diagonals import tril, triu
    from .decompositions import solve
    from .shape import swapaxes

    A, B = tensor_of(A), tensor_of(B)
    if A.ndim < 2 or B.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(
            f"solve_triangular: A must be a square matrix (or a batch of them) and B a "
            f"matrix (..., n, k) (a vector b as b[:, None]); got shapes {A.shape} and "
            f"{B.shape}")
    n = A.shape[-1]
    needed = B.shape[-2] if left else B.shape[-1]
    if needed != n:
        side = "rows" if left else "columns"
        raise ValueError(f"solve_triangular: A is {n} x {n}, so B needs {n} {side} "
                         f"(left={left}); got shape {B.shape}")
    triangle = triu(A) if upper else tril(A)
    if unitriangular:
        off_diagonal = triu(A, 1) if upper else tril(A, -1)
        # (made: a compiled function's replays see the constant as one)
        triangle = off_diagonal + Tensor(made("solve_triangular identity", np.eye, (n,),
                                              {"dtype": A.dtype}))
    if left:
        return solve(triangle, B)
    # X A = B  <=>  A^T X^T = B^T
    return swapaxes(solve(swapaxes(triangle, -1, -2), swapaxes(B, -1, -2)), -1, -2)
