"""``ad.linalg``: NumPy's ``np.linalg`` functions, differentiable and batched."""

from .ops.decompositions import (  # noqa: F401
    EighResult, SVDResult, SlogdetResult, cholesky, det, eigh, pinv, slogdet, solve, svd)
from .ops.linalg import inv  # noqa: F401
from .ops.norms import norm  # noqa: F401

__all__ = ["inv", "solve", "det", "slogdet", "norm", "cholesky", "eigh", "svd", "pinv",
           "EighResult", "SVDResult", "SlogdetResult"]
