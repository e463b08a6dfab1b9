"""``ad.linalg``: NumPy's ``np.linalg`` functions and PyTorch's ``torch.linalg`` ones
(``matrix_exp``, ``lu_factor``, ``cholesky_ex``, ``vander`` ...), differentiable and
batched."""

from numpy.linalg import LinAlgError  # (what a singular or non-converging input raises)

from .ops.degenerate_spectra import DegenerateGradientWarning
from .ops.decompositions import (  # noqa: F401
    EighResult, SVDResult, SlogdetResult, cholesky, det, eigh,
    eigvalsh, slogdet, solve, svd, svdvals)
from .ops.eig import EigResult, eig, eigvals  # noqa: F401
from .ops.linalg import inv, matrix_power  # noqa: F401
from .ops.matrix_exp import matrix_exp  # noqa: F401
from .ops.lu import (  # noqa: F401
    LUFactorExResult, LUFactorResult, LUResult, lu, lu_factor, lu_factor_ex, lu_solve)
from .ops.linalg_ex import (  # noqa: F401
    CholeskyExResult, InvExResult, SolveExResult, cholesky_ex, inv_ex, solve_ex)
from .ops.cholesky_solves import householder_product, vander  # noqa: F401
from .ops.ldl import (  # noqa: F401
    LDLFactorExResult, LDLFactorResult, ldl_factor, ldl_factor_ex, ldl_solve)
from .ops.lstsq import LstsqResult, lstsq  # noqa: F401
from .ops.norms import cond, matrix_norm, norm, vector_norm  # noqa: F401
from .ops.pinv import pinv  # noqa: F401
from .ops.solve_triangular import solve_triangular  # noqa: F401
from .ops.qr import QRResult, qr  # noqa: F401
from .ops.tensor_solve import tensorinv, tensorsolve  # noqa: F401
from .ops.vector_products import multi_dot, vecdot  # noqa: F401

__all__ = ["inv", "matrix_power", "solve", "det", "slogdet", "norm", "matrix_norm", "vector_norm",
           "cond", "cholesky", "eig", "eigvals", "eigh", "eigvalsh", "svd", "svdvals", "pinv",
           "lstsq",
           "multi_dot", "vecdot", "matrix_exp", "lu_factor", "lu_factor_ex", "lu", "lu_solve",
           "LUFactorResult", "LUFactorExResult", "LUResult", "cholesky_ex", "inv_ex", "solve_ex",
           "CholeskyExResult", "InvExResult", "SolveExResult",
           "vander", "householder_product", "ldl_factor", "ldl_factor_ex", "ldl_solve",
           "LDLFactorResult", "LDLFactorExResult",
           "qr", "solve_triangular", "LstsqResult", "tensorsolve",
           "tensorinv", "EigResult", "EighResult", "QRResult",
           "SVDResult", "SlogdetResult", "DegenerateGradientWarning", "LinAlgError"]
