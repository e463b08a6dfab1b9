"""PyTorch's Tensor methods for linear algebra: ``det``, ``slogdet``, ``logdet``,
``inverse``, ``pinverse``, ``matrix_power``, and those beyond NumPy's, ``matrix_exp``,
``cholesky_solve``, ``cholesky_inverse``, ``triangular_solve``, ``lu`` and ``lu_solve``, each
the function of ``ad.linalg`` called on ``self``."""

from __future__ import annotations

import numpy as np


class TorchLinalgMethods:
    """Mixed into ``Tensor`` (through ``TorchMoreMethods``)."""

    __slots__ = ()

    def det(self):
        """The determinant of each matrix (the last two dims).

        >>> ad.tensor([[2.0, 0.0], [0.0, 3.0]]).det()
        tensor(6.)
        """
        from .linalg import det
        return det(self)

    def slogdet(self):
        """``(sign, logabsdet)`` of the determinant of each matrix.

        >>> ad.tensor([[-2.0, 0.0], [0.0, 1.0]]).slogdet().sign
        tensor(-1.)
        """
        from .linalg import slogdet
        return slogdet(self)

    def logdet(self):
        """``log(det)`` of each matrix: NaN where the determinant is negative and -inf
        where it is 0, as PyTorch's ``logdet``.

        >>> ad.tensor([[2.0, 0.0], [0.0, 3.0]]).logdet()
        tensor(1.79175947)
        """
        from . import where
        sign, logabs = self.slogdet()
        if sign.dtype.kind == "c":      # log|det| + i arg(det), as PyTorch's
            from .ops.elementwise import log
            return logabs + log(sign)
        return where(sign > 0, logabs, where(sign < 0, np.nan, -np.inf).astype(logabs.dtype))

    def inverse(self):
        """The inverse of each matrix (``ad.linalg.inv``).

        >>> ad.tensor([[2.0, 0.0], [0.0, 4.0]]).inverse()
        tensor([[0.5 , 0.  ],
                [0.  , 0.25]])
        """
        from .linalg import inv
        return inv(self)

    def pinverse(self, rcond=1e-15):
        """The pseudo-inverse of each matrix; singular values below ``rcond`` times the
        largest count as zero (``ad.linalg.pinv``).

        >>> ad.tensor([[2.0, 0.0]]).pinverse()
        tensor([[0.5],
                [0. ]])
        """
        from .linalg import pinv
        return pinv(self, rcond=rcond)

    def matrix_power(self, n: int):
        """Each matrix to the integer power ``n`` (negative: of the inverse).

        >>> ad.tensor([[1.0, 1.0], [0.0, 1.0]]).matrix_power(3)
        tensor([[1., 3.],
                [0., 1.]])
        """
        from .linalg import matrix_power
        return matrix_power(self, n)

    def matrix_exp(self):
        """The matrix exponential of each matrix (``ad.linalg.matrix_exp``).

        >>> ad.tensor([[0.0, 1.0], [0.0, 0.0]]).matrix_exp()
        tensor([[1., 1.],
                [0., 1.]])
        """
        from .ops.matrix_exp import matrix_exp
        return matrix_exp(self)

    def cholesky_solve(self, input2, upper: bool = False):
        """X with ``A X = self`` for ``A = L L.T``, ``L = input2`` (``ad.cholesky_solve``).

        >>> ad.tensor([[4.0], [2.0]]).cholesky_solve(ad.tensor([[2.0, 0.0], [0.0, 1.0]]))
        tensor([[1.],
                [2.]])
        """
        from .ops.cholesky_solves import cholesky_solve
        return cholesky_solve(self, input2, upper=upper)

    def cholesky_inverse(self, upper: bool = False):
        """The inverse of ``L L.T`` for ``L = self`` (``ad.cholesky_inverse``).

        >>> ad.tensor([[2.0, 0.0], [0.0, 1.0]]).cholesky_inverse()
        tensor([[0.25, 0.  ],
                [0.  , 1.  ]])
        """
        from .ops.cholesky_solves import cholesky_inverse
        return cholesky_inverse(self, upper=upper)

    def triangular_solve(self, A, upper: bool = True, transpose: bool = False,  # noqa: N803
                         unitriangular: bool = False):
        """``(X, A's copy)`` with ``A X = self`` for a triangular ``A``
        (``ad.triangular_solve``).

        >>> ad.tensor([[2.0], [4.0]]).triangular_solve(ad.tensor([[1.0, 0.0], [0.0, 2.0]]))[0]
        tensor([[2.],
                [2.]])
        """
        from .ops.cholesky_solves import triangular_solve
        return triangular_solve(self, A, upper=upper, transpose=transpose,
                                unitriangular=unitriangular)

    def lu(self, pivot: bool = True, get_infos: bool = False):
        """``(LU, pivots)`` of each matrix, and ``info`` with ``get_infos`` (``ad.lu``).

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).lu()[1]
        tensor([2, 2], dtype=int32)
        """
        from .ops.lu import lu_legacy
        return lu_legacy(self, pivot=pivot, get_infos=get_infos)

    def lu_solve(self, LU_data, LU_pivots):  # noqa: N803
        """X with ``A X = self`` from ``A``'s ``lu_factor`` (``ad.lu_solve``).

        >>> LU, pivots = ad.linalg.lu_factor(ad.tensor([[2.0, 0.0], [0.0, 4.0]]))
        >>> ad.tensor([[2.0], [2.0]]).lu_solve(LU, pivots)
        tensor([[1. ],
                [0.5]])
        """
        from .ops.lu import lu_solve
        return lu_solve(LU_data, LU_pivots, self)
