"""PyTorch's ``*_ex`` factorizations: ``ad.linalg.cholesky_ex``, ``inv_ex`` and
``solve_ex`` return an ``info`` tensor (int32, one per matrix) instead of raising:
0 on success, else LAPACK's code, as PyTorch's: for ``cholesky_ex`` the order of the
leading minor that is not positive-definite, for ``inv_ex`` and ``solve_ex`` the
1-based index of the first zero on U's diagonal in ``A``'s LU factorization.

The results are recorded ops (``cholesky``, ``inv``, ``solve``) on the matrices that
succeed; a failed matrix is replaced by the identity for that computation and its
entries are then set to what the function documents, so the successful matrices of a
batch keep their gradients (of any order) and the failed ones get a zero gradient.
``check_errors=True`` raises on a failure instead, naming the batch element.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .decompositions import check_real
from .operands import tensor_of


class CholeskyExResult(NamedTuple):
    """``torch.linalg.cholesky_ex``'s result: the factor ``L`` and ``info``."""
    L: Tensor
    info: Tensor


class InvExResult(NamedTuple):
    """``torch.linalg.inv_ex``'s result: ``inverse`` and ``info``."""
    inverse: Tensor
    info: Tensor


class SolveExResult(NamedTuple):
    """``torch.linalg.solve_ex``'s result: ``result`` and ``info``."""
    result: Tensor
    info: Tensor


def square_float_matrix(name, A):  # noqa: N803
    """``A`` as a Tensor, checked for ``name``: real, floating-point and square in its
    last two axes (a batch of matrices too), else an error naming the function."""
    check_real(name, A)
    A = tensor_of(A)  # noqa: N806
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name}: A must be a square matrix or a batch of them (..., n, n); "
                         f"got shape {tuple(A.shape)}")
    if not np.issubdtype(A.dtype, np.floating):
        raise TypeError(f"{name}: A must be a floating-point tensor, got dtype {A.dtype}; "
                        "convert it first, e.g. A.double()")
    return A


def cholesky_partial_array(a):
    """LAPACK's unblocked lower Cholesky (``potf2``) on each matrix's lower triangle:
    ``(L, info)``; a failed matrix keeps the columns done, the failing diagonal entry
    ``a_jj - sum_k L_jk^2`` and the rest of its lower triangle as it was."""
    n = a.shape[-1]
    batch = a.shape[:-2]
    x = np.tril(a).reshape((int(np.prod(batch)), n, n)).copy()
    info = np.zeros(x.shape[0], dtype=np.int32)
    going = np.ones(x.shape[0], dtype=bool)
    for j in range(n):
        pivot = x[:, j, j] - np.einsum("bk,bk->b", x[:, j, :j], x[:, j, :j])
        fails = going & ~(pivot > 0)                     # (NaN fails too)
        x[fails, j, j] = pivot[fails]
        info[fails] = j + 1
        going &= ~fails
        root = np.sqrt(np.where(going, pivot, 1.0))
        column = (x[:, j + 1:, j] - np.einsum("bik,bk->bi", x[:, j + 1:, :j], x[:, j, :j]))
        x[going, j, j] = root[going]
        x[going, j + 1:, j] = column[going] / root[going, None]
    return x.reshape(a.shape), info.reshape(batch)


def _cholesky_partial(a, upper):
    """The partial factor as ``upper`` asks (upper: that of A.T, transposed)."""
    factor, _ = cholesky_partial_array(np.swapaxes(a, -1, -2) if upper else a)
    return np.swapaxes(factor, -1, -2) if upper else factor


def _cholesky_info(a, upper):
    return cholesky_partial_array(np.swapaxes(a, -1, -2) if upper else a)[1]


def lu_info_array(a):
    """``getrf``'s info for each matrix: 0, or the first zero on U's diagonal (1-based)."""
    from .lu import _info_of_lu, lu_packed_array

    n = a.shape[-1]
    return _info_of_lu(lu_packed_array(a)[..., :n, :])


def _raise_on_failure(name, info, shape, what):
    """Raise naming the first failed matrix; True when none failed (a check that a
    replay of ``ad.compile`` runs again)."""
    if np.any(info):
        element = np.argwhere(np.atleast_1d(info))[0].tolist()
        where = f" (batch element {element})" if np.ndim(info) else ""
        code = int(np.atleast_1d(info)[tuple(element)])
        raise np.linalg.LinAlgError(f"{name}: {what.format(code=code)}{where}, for A of shape "
                                    f"{tuple(shape)}")
    return True


def check_info(name, info, shape, what):
    made(f"{name} check", _raise_on_failure, (name, info, shape, what), stateful=True)


def _failure_mask(info, shape):
    return np.array(np.broadcast_to((info != 0)[..., None, None], shape))


def _identities(shape, dtype):
    return np.array(np.broadcast_to(np.eye(shape[-1], dtype=dtype), shape))


def _replace_failed(A, info):  # noqa: N803
    """A with its failed matrices (``info`` != 0) replaced by the identity."""
    from .elementwise import where

    mask = made("failed matrices", _failure_mask, (info, A.shape))
    return where(mask, made("identities", _identities, (A.shape, A.dtype)), A)


def _fill_failed(result, info, fill):
    """``result`` with ``fill`` (an array of its shape) in its failed matrices (the batch
    of ``result`` may broadcast that of ``info``)."""
    from .elementwise import where

    return where(made("failed matrices", _failure_mask, (info, result.shape)), fill, result)


def _nans(result):
    return made("NaN results", np.full, (result.shape, np.nan), {"dtype": result.dtype})


def _read_triangle(a, upper):
    """The symmetric matrix that a factorization reading one triangle of ``a`` sees."""
    half = np.triu(a, 1) if upper else np.tril(a, -1)
    return half + np.swapaxes(half, -1, -2) + a * np.eye(a.shape[-1], dtype=a.dtype)


def _symmetric_gradient(A, upper):  # noqa: N803
    """A Tensor with the values of the symmetric matrix read from one triangle of ``A``
    whose gradient flows to ``A`` as ``(G + G.T) / 2``: PyTorch's convention for
    ``linalg.cholesky``, whose gradient is symmetric (``ad.linalg.cholesky``, NumPy's,
    puts it on the triangle read).  The constant part is 0 for a symmetric ``A``."""
    from .shape import swapaxes

    half_sum = (A + swapaxes(A, -1, -2)) * 0.5
    offset = made("cholesky_ex symmetric read", _asymmetric_part, (A.data, upper))
    return half_sum + Tensor(offset)


def _asymmetric_part(a, upper):
    return _read_triangle(a, upper) - (a + np.swapaxes(a, -1, -2)) * 0.5


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:  # noqa: N803
    """``torch.linalg.cholesky_ex``: ``(L, info)`` for each symmetric matrix, reading
    its lower triangle (``upper=True``: the upper one, returning ``U = L.T``).  For a
    matrix that is not positive-definite ``info`` is the order of the first leading
    minor that is not, and ``L`` holds LAPACK's partial factor (as PyTorch's); its
    gradient is zero.  ``check_errors=True`` raises instead.  The gradient is
    PyTorch's: symmetric, ``(G + G.T) / 2`` (``ad.linalg.cholesky``, NumPy's function,
    puts ``G + G.T`` on the triangle read).

    >>> ad.linalg.cholesky_ex(ad.tensor([[4.0, 2.0], [2.0, -1.0]])).info
    tensor(2, dtype=int32)
    """
    from .decompositions import cholesky

    A = square_float_matrix("cholesky_ex", A)  # noqa: N806
    info = made("cholesky_ex info", _cholesky_info, (A.data, bool(upper)))
    if check_errors:
        check_info("cholesky_ex", info, A.shape,
                   "the leading minor of order {code} is not positive-definite")
    partial = made("cholesky_ex partial factor", _cholesky_partial, (A.data, bool(upper)))
    factor = cholesky(_replace_failed(_symmetric_gradient(A, bool(upper)), info),
                      upper=bool(upper))
    return CholeskyExResult(_fill_failed(factor, info, partial), Tensor(info))


def inv_ex(A, *, check_errors: bool = False) -> InvExResult:  # noqa: N803
    """``torch.linalg.inv_ex``: ``(inverse, info)`` for each square matrix.  A singular
    matrix gets ``info`` > 0 (the first zero on U's diagonal in its LU factorization)
    and an inverse of NaNs (PyTorch leaves LAPACK's partial inf/NaN values), with a
    zero gradient; ``check_errors=True`` raises instead.

    >>> ad.linalg.inv_ex(ad.tensor([[2.0, 0.0], [0.0, 4.0]]))
    InvExResult(inverse=tensor([[0.5 , 0.  ],
            [0.  , 0.25]]), info=tensor(0, dtype=int32))
    """
    from .linalg import inv

    A = square_float_matrix("inv_ex", A)  # noqa: N806
    info = made("inv_ex info", lu_info_array, (A.data,))
    if check_errors:
        check_info("inv_ex", info, A.shape,
                   "the diagonal element {code} of U is zero: the matrix is singular")
    inverse = inv(_replace_failed(A, info))
    return InvExResult(_fill_failed(inverse, info, _nans(inverse)), Tensor(info))


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False) -> SolveExResult:  # noqa: N803
    """``torch.linalg.solve_ex``: ``(result, info)`` with ``A X = B`` (``left=False``:
    ``X A = B``), with PyTorch's shapes: ``B`` is a vector (or a batch of them) when it
    is 1-D or has shape ``A.shape[:-1]``, else a matrix ``(..., n, k)``; batch dims
    broadcast.  A singular matrix gets ``info`` > 0 and a result of NaNs with a zero
    gradient; ``check_errors=True`` raises instead.

    >>> ad.linalg.solve_ex(ad.tensor([[2.0, 0.0], [0.0, 4.0]]), ad.tensor([2.0, 2.0]))
    SolveExResult(result=tensor([1. , 0.5]), info=tensor(0, dtype=int32))
    """
    from .decompositions import solve
    from .shape import swapaxes

    A = square_float_matrix("solve_ex", A)  # noqa: N806
    check_real("solve_ex", B)
    B = tensor_of(B)  # noqa: N806
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rhs = B[..., None] if vector else B
    if not left:
        rhs = swapaxes(rhs, -1, -2)
    if rhs.ndim < 2 or rhs.shape[-2] != n:
        raise ValueError(
            f"solve_ex: incompatible shapes of A {tuple(A.shape)} and B {tuple(B.shape)} for "
            f"{'A X = B' if left else 'X A = B'}: B must be (..., {n}) or (..., {n}, k)"
            f"{'' if left else ' (with left=False: (..., k, ' + str(n) + '))'}")
    info = made("solve_ex info", lu_info_array, (A.data,))
    if check_errors:
        check_info("solve_ex", info, A.shape,
                   "the diagonal element {code} of U is zero: the matrix is singular")
    matrix = _replace_failed(A if left else swapaxes(A, -1, -2), info)
    x = solve(matrix, rhs)
    x = _fill_failed(x, info, _nans(x))
    if not left:
        x = swapaxes(x, -1, -2)
    return SolveExResult(x[..., 0] if vector else x, Tensor(info))
