"""``ad.linalg``: NumPy's ``np.linalg`` functions, differentiable and batched."""

from .ops.degenerate_spectra import DegenerateGradientWarning
from .ops.decompositions import (  # noqa: F401
    EighResult, SVDResult, SlogdetResult, cholesky, det, eigh,
    eigvalsh, slogdet, solve, svd, svdvals)
from .ops.linalg import inv, matrix_power  # noqa: F401
from .ops.lstsq import LstsqResult, lstsq  # noqa: F401
from .ops.norms import cond, matrix_norm, norm, vector_norm  # noqa: F401
from .ops.pinv import pinv  # noqa: F401
from .ops.solve_triangular import solve_triangular  # noqa: F401
from .ops.qr import QRResult, qr  # noqa: F401
from .ops.tensor_solve import tensorinv, tensorsolve  # noqa: F401
from .ops.vector_products import multi_dot, vecdot  # noqa: F401

__all__ = ["inv", "matrix_power", "solve", "det", "slogdet", "norm", "matrix_norm", "vector_norm",
           "cond", "cholesky", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "lstsq",
           "multi_dot", "vecdot", "qr", "solve_triangular", "LstsqResult", "tensorsolve",
           "tensorinv", "EighResult", "QRResult",
           "SVDResult", "SlogdetResult", "DegenerateGradientWarning"]
