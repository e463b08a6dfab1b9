"""LU with partial pivoting, as PyTorch's ``torch.linalg.lu_factor``, ``lu_factor_ex``,
``lu``, ``lu_solve`` and ``torch.lu_unpack``, ``torch.lu_solve``.

One primitive, ``lu_factor_packed``, computes ``A = P L U`` for each square matrix of
``(..., n, n)`` (LAPACK's ``getrf`` conventions: the row of largest magnitude is the
pivot, the first one on ties; pivots are 1-based row swaps applied in order) and
returns LAPACK's packed ``LU`` (unit ``L`` below the diagonal, ``U`` on and above it)
with the pivots as an extra last row.  Its VJP (the square case of PyTorch's) is
``P L^-T (tril(L.T gL, -1) + triu(gU U.T)) U^-T``, written with recorded ops, so it
has gradients of every order.  Everything else is built from it, ``tril``/``triu`` and
``solve_triangular``; a rectangular matrix too: the square LU of its first columns
(wide), or of the top rows of ``P.T A`` with the pivots found on the whole columns
(tall), and a triangular solve for the rest.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from .. import kernels
from ..compile.hooks import made
from ..tensor import Tensor
from .decompositions import check_real
from .operands import tensor_of
from .registry import defop


class LUFactorResult(NamedTuple):
    """``torch.linalg.lu_factor``'s result: packed ``LU`` and 1-based int32 ``pivots``."""
    LU: Tensor
    pivots: Tensor


class LUFactorExResult(NamedTuple):
    """``torch.linalg.lu_factor_ex``'s result: ``info`` is 0, or the 1-based index of
    the first zero on ``U``'s diagonal."""
    LU: Tensor
    pivots: Tensor
    info: Tensor


class LUResult(NamedTuple):
    """``torch.linalg.lu``'s (and ``torch.lu_unpack``'s) result: ``A == P @ L @ U``."""
    P: Tensor
    L: Tensor
    U: Tensor


def getrf_array(a):
    """``getrf`` on each matrix of ``(..., m, n)``: ``(packed LU, 1-based pivots (..., k))``."""
    return kernels.getrf(a)


def lu_packed_array(a):
    """``getrf`` on each matrix of ``(..., n, n)``: LU packed, pivots as a last row."""
    lu, pivots = getrf_array(a)
    return np.concatenate([lu, pivots[..., None, :].astype(lu.dtype)], axis=-2)


def permutation_array(pivots, dtype):
    """P with ``A = P L U`` from 1-based row swaps ``(..., k)`` and the row count m."""
    pivots = np.asarray(pivots)
    m = pivots.shape[-1]
    flat = pivots.reshape((int(np.prod(pivots.shape[:-1])), m)).astype(np.int64) - 1
    order = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(m):
        target = flat[:, j]
        held = order[rows, j].copy()
        order[rows, j] = order[rows, target]
        order[rows, target] = held
    # row i of P^T A is row order[i] of A, so P[order[i], i] = 1
    p = np.zeros((flat.shape[0], m, m), dtype=dtype)
    p[rows[:, None], order, np.arange(m)[None, :]] = 1
    return p.reshape(pivots.shape[:-1] + (m, m))


def _permutation_of_rows(pivots, m, dtype):
    """P (..., m, m) from the pivots of the first k <= m rows (the others stay put)."""
    k = pivots.shape[-1]
    kept = np.broadcast_to(np.arange(k + 1, m + 1, dtype=pivots.dtype),
                           pivots.shape[:-1] + (m - k,))
    return permutation_array(np.concatenate([pivots, kept], axis=-1), dtype)


def _lu_rule(xp, g, ans, a):
    n = a.shape[-1]
    if n == 0:
        return g[..., :0, :]
    lu, g_lu = ans[..., :n, :], g[..., :n, :]
    ones = np.ones((n, n), dtype=lu.dtype)
    strictly_lower, upper = np.tril(ones, -1), np.triu(ones)
    eye = np.eye(n, dtype=lu.dtype)
    low = lu * strictly_lower + eye
    up = lu * upper
    pivots = (ans.data if isinstance(ans, Tensor) else ans)[..., n, :]
    perm = permutation_array(pivots, lu.dtype)
    phi = (xp.matmul(xp.swapaxes(low, -1, -2), g_lu * strictly_lower) * strictly_lower
           + xp.matmul(g_lu * upper, xp.swapaxes(up, -1, -2)) * upper)
    try:
        left = xp.solve(xp.swapaxes(low, -1, -2), phi)                    # L^-T phi
        both = xp.swapaxes(xp.solve(up, xp.swapaxes(left, -1, -2)), -1, -2)  # ... U^-T
    except np.linalg.LinAlgError as error:
        raise np.linalg.LinAlgError(
            f"lu_factor: the gradient needs a non-singular matrix (U has a zero on its "
            f"diagonal; input shape {tuple(a.shape)}): {error}") from error
    return xp.matmul(perm, both)


_lu_factor = defop(
    "lu_factor_packed", lu_packed_array,
    doc="LU packed with its pivots as an extra last row; call ad.linalg.lu_factor",
    hint="lu_factor needs square matrices in the last two axes",
    a=("P L^-T (tril(L.T gL, -1) + triu(gU U.T)) U^-T", _lu_rule))


def _float_matrix(name, A):  # noqa: N803
    check_real(name, A)
    A = tensor_of(A)  # noqa: N806
    if A.ndim < 2:
        raise ValueError(f"{name}: A must be a matrix or a batch of them (..., m, n); got "
                         f"shape {tuple(A.shape)}")
    if not np.issubdtype(A.dtype, np.floating):
        raise TypeError(f"{name}: A must be a floating-point tensor, got dtype {A.dtype}; "
                        "convert it first, e.g. A.double()")
    return A


def _check_pivot(name, pivot):
    if not pivot:
        raise ValueError(f"{name}: LU without pivoting (pivot=False) is not supported "
                         "(nor is it by PyTorch on the CPU); use pivot=True")


def _info_of_lu(lu):
    """0, or the 1-based index of the first zero on U's diagonal (int32)."""
    diagonal = np.diagonal(lu, axis1=-2, axis2=-1)
    zero = diagonal == 0
    first = np.argmax(zero, axis=-1) + 1 if zero.shape[-1] else np.zeros(zero.shape[:-1], int)
    return np.where(zero.any(axis=-1), first, 0).astype(np.int32)


def _pivots_of(packed):
    n = packed.shape[-1]
    return made("lu pivots", lambda p: p[..., n, :].astype(np.int32), (packed,))


def lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False) -> LUFactorExResult:  # noqa: N803
    """``torch.linalg.lu_factor_ex``: ``(LU, pivots, info)`` of each matrix, with
    ``info`` 0 on success and, for a singular matrix, the 1-based index of the first
    zero on U's diagonal (the factors are still returned; ``check_errors=True`` raises
    instead).

    >>> ad.linalg.lu_factor_ex(ad.tensor([[1.0, 2.0], [2.0, 4.0]])).info
    tensor(2, dtype=int32)
    """
    _check_pivot("lu_factor_ex", pivot)
    A = _float_matrix("lu_factor_ex", A)  # noqa: N806
    m, n = A.shape[-2:]
    if m == n:
        packed = _lu_factor(A)
        lu, pivots = packed[..., :n, :], _pivots_of(packed.data)
    elif m < n:
        lu, pivots = _wide_lu(A)
    else:
        lu, pivots = _tall_lu(A)
    info = made("lu info", _info_of_lu, (lu.data,))
    if check_errors:
        made("lu_factor_ex check", _raise_if_singular, ("lu_factor_ex", info, A.shape),
             stateful=True)
    return LUFactorExResult(lu, Tensor(pivots), Tensor(info))


def _wide_lu(A):  # noqa: N803
    """A (m < n) = P L [U1 U2]: the square LU of the first m columns (the pivots are
    chosen there), then ``U2 = L^-1 P.T A2``."""
    from .join import concatenate
    from .linalg import matmul
    from .shape import swapaxes
    from .solve_triangular import solve_triangular

    m = A.shape[-2]
    packed = _lu_factor(A[..., :, :m])
    square, pivots = packed[..., :m, :], _pivots_of(packed.data)
    perm = made("lu permutation", permutation_array, (pivots, A.dtype))
    rest = solve_triangular(square, matmul(swapaxes(Tensor(perm), -1, -2), A[..., :, m:]),
                            upper=False, unitriangular=True)
    return concatenate([square, rest], axis=-1), pivots


def _tall_lu(A):  # noqa: N803
    """P.T A (m > n) = [L1; L2] U: the pivots from the whole columns (computed off the
    tape), then the square LU of the top of P.T A (which needs no further swaps) and
    ``L2 = (P.T A)_2 U^-1``.  A matrix with a zero on U's diagonal gets LAPACK's values
    (L2 has no such solution), with a zero gradient."""
    from .elementwise import where
    from .join import concatenate
    from .linalg import matmul
    from .shape import swapaxes
    from .solve_triangular import solve_triangular

    m, n = A.shape[-2:]
    pivots = made("lu pivots", lambda a: getrf_array(a)[1], (A.data,))
    perm = made("lu permutation", _permutation_of_rows, (pivots, m, A.dtype))
    permuted = matmul(swapaxes(Tensor(perm), -1, -2), A)
    square = _lu_factor(permuted[..., :n, :])[..., :n, :]
    singular = made("lu singular matrices", _singular_mask, (square.data, square.shape))
    identities = made("lu identities", lambda shape, dtype: np.broadcast_to(
        np.eye(shape[-1], dtype=dtype), shape).copy(), (square.shape, square.dtype))
    lower = solve_triangular(where(singular, identities, square), permuted[..., n:, :],
                             upper=True, left=False)
    lu = concatenate([square, lower], axis=-2)
    singular = made("lu singular matrices", _singular_mask, (square.data, lu.shape))
    lapack = made("lu of singular matrices", lambda a: getrf_array(a)[0], (A.data,))
    return where(singular, lapack, lu), pivots


def _singular_mask(square, shape):
    zero = np.any(np.diagonal(square, axis1=-2, axis2=-1) == 0, axis=-1)
    return np.array(np.broadcast_to(zero[..., None, None], shape))


def _raise_if_singular(name, info, shape):
    if np.any(info):
        first = int(info[np.nonzero(info)][0]) if np.ndim(info) else int(info)
        where = (f" (batch element {np.argwhere(info)[0].tolist()})"
                 if np.ndim(info) else "")
        raise np.linalg.LinAlgError(
            f"{name}: U[{first},{first}] is zero{where} for A of shape {tuple(shape)}: the "
            "matrix is singular, and solving with this factorization would divide by "
            "zero; call ad.linalg.lu_factor_ex (check_errors=False) or ad.linalg.lu to "
            "factor it anyway")
    return True


def lu_factor(A, *, pivot: bool = True) -> LUFactorResult:  # noqa: N803
    """``torch.linalg.lu_factor``: the packed ``LU`` (unit ``L`` below the diagonal,
    ``U`` on and above) and 1-based int32 row swaps ``pivots`` (``(..., min(m, n))``)
    with ``A = P L U``, for each matrix of ``(..., m, n)``, square or not.  A singular
    matrix raises (see ``lu_factor_ex``).  Differentiable to any order in ``A``.

    >>> LU, pivots = ad.linalg.lu_factor(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> LU, pivots
    (tensor([[3.        , 4.        ],
            [0.33333333, 0.66666667]]), tensor([2, 2], dtype=int32))
    """
    _check_pivot("lu_factor", pivot)
    LU, pivots, info = lu_factor_ex(A)  # noqa: N806
    made("lu_factor check", _raise_if_singular, ("lu_factor", info.data, np.shape(LU)),
         stateful=True)
    return LUFactorResult(LU, pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data: bool = True,  # noqa: N803
              unpack_pivots: bool = True) -> LUResult:
    """``torch.lu_unpack``: ``(P, L, U)`` with ``A = P @ L @ U`` from ``lu_factor``'s
    ``(LU, pivots)``; ``L`` and ``U`` (``P``) are empty when ``unpack_data``
    (``unpack_pivots``) is False.  ``L`` and ``U`` carry ``LU``'s gradient; ``P`` is a
    constant.

    >>> P, L, U = ad.lu_unpack(*ad.linalg.lu_factor(ad.tensor([[1.0, 2.0], [3.0, 4.0]])))
    >>> P
    tensor([[0., 1.],
            [1., 0.]])
    """
    from .diagonals import tril, triu

    lu = tensor_of(LU_data)
    pivots = np.asarray(LU_pivots.data if isinstance(LU_pivots, Tensor) else LU_pivots)
    if lu.ndim < 2 or pivots.shape != lu.shape[:-2] + (min(lu.shape[-2:]),):
        raise ValueError(
            f"lu_unpack: LU_data must be (..., m, n) and LU_pivots (..., min(m, n)) as "
            f"lu_factor returns them; got shapes {tuple(lu.shape)} and {pivots.shape}")
    if not np.issubdtype(pivots.dtype, np.integer):
        raise TypeError(f"lu_unpack: LU_pivots must be integers, got dtype {pivots.dtype}")
    m, n = lu.shape[-2:]
    k = min(m, n)
    empty = Tensor(made("lu_unpack empty", np.empty, ((0,),), {"dtype": lu.dtype}))
    if unpack_data:
        low = tril(lu[..., :, :k], -1) + Tensor(made("lu_unpack identity", np.eye, (m, k),
                                                     {"dtype": lu.dtype}))
        up = triu(lu[..., :k, :])
    else:
        low = up = empty
    if unpack_pivots:
        if pivots.size and (pivots.min() < 1 or pivots.max() > m):
            raise ValueError(f"lu_unpack: LU_pivots must be 1-based row indices in "
                             f"[1, {m}]; got values from {pivots.min()} to {pivots.max()}")
        perm = Tensor(made("lu permutation", _permutation_of_rows, (pivots, m, lu.dtype)))
    else:
        perm = empty
    return LUResult(perm, low, up)


def lu(A, *, pivot: bool = True) -> LUResult:  # noqa: N803
    """``torch.linalg.lu``: ``(P, L, U)`` with ``A = P @ L @ U`` (``L`` unit lower
    ``(m, k)``, ``U`` upper ``(k, n)``, ``P`` a permutation, ``k = min(m, n)``) for each
    matrix of ``(..., m, n)``; a singular matrix is factored without complaint, as
    PyTorch does.

    >>> P, L, U = ad.linalg.lu(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> L
    tensor([[1.        , 0.        ],
            [0.33333333, 1.        ]])
    """
    _check_pivot("lu", pivot)
    LU, pivots, _ = lu_factor_ex(A)  # noqa: N806
    return lu_unpack(LU, pivots)


def lu_solve(LU, pivots, B, *, left: bool = True, adjoint: bool = False) -> Tensor:  # noqa: N803
    """``torch.linalg.lu_solve``: X with ``A X = B`` from ``A``'s ``lu_factor``
    (``adjoint=True``: ``A.T X = B``; ``left=False``: ``X A = B``, or ``X A.T = B``).
    Two triangular solves; differentiable in ``LU`` and ``B``.

    >>> LU, pivots = ad.linalg.lu_factor(ad.tensor([[2.0, 0.0], [0.0, 4.0]]))
    >>> ad.linalg.lu_solve(LU, pivots, ad.tensor([[2.0], [2.0]]))
    tensor([[1. ],
            [0.5]])
    """
    from .linalg import matmul
    from .shape import swapaxes
    from .solve_triangular import solve_triangular

    lu, b = tensor_of(LU), tensor_of(B)
    check_real("lu_solve", lu, b)
    if lu.ndim < 2 or lu.shape[-1] != lu.shape[-2] or b.ndim < 2:
        raise ValueError(f"lu_solve: LU must be square (..., n, n) and B a matrix (..., n, k) "
                         f"(a vector b as b[:, None]); got shapes {tuple(lu.shape)} and "
                         f"{tuple(b.shape)}")
    n = lu.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        raise ValueError(f"lu_solve: LU is {n} x {n}, so B needs {n} "
                         f"{'rows' if left else 'columns'} (left={left}); got shape "
                         f"{tuple(b.shape)}")
    perm, _, _ = lu_unpack(lu, pivots, unpack_data=False)
    if not left:                  # X A = B  <=>  A.T X.T = B.T (and X A.T = B likewise)
        return swapaxes(lu_solve(lu, pivots, swapaxes(b, -1, -2), adjoint=not adjoint),
                        -1, -2)
    if not adjoint:               # A = P L U: X = U^-1 L^-1 P.T B
        y = solve_triangular(lu, matmul(swapaxes(perm, -1, -2), b), upper=False,
                             unitriangular=True)
        return solve_triangular(lu, y, upper=True)
    lu_t = swapaxes(lu, -1, -2)   # A.T = U.T L.T P.T: X = P L^-T U^-T B
    y = solve_triangular(lu_t, b, upper=False)
    return matmul(perm, solve_triangular(lu_t, y, upper=True, unitriangular=True))


def lu_solve_legacy(b, LU_data, LU_pivots) -> Tensor:  # noqa: N803
    """``torch.lu_solve(b, LU_data, LU_pivots)``, the older argument order of
    ``ad.linalg.lu_solve(LU, pivots, B)``.

    >>> LU, pivots = ad.linalg.lu_factor(ad.tensor([[2.0, 0.0], [0.0, 4.0]]))
    >>> ad.lu_solve(ad.tensor([[2.0], [2.0]]), LU, pivots)
    tensor([[1. ],
            [0.5]])
    """
    return lu_solve(LU_data, LU_pivots, b)


def lu_legacy(A, pivot: bool = True, get_infos: bool = False):  # noqa: N803
    """``torch.lu`` (deprecated there for ``ad.linalg.lu_factor``): ``(LU, pivots)``,
    and ``info`` as a third item with ``get_infos=True``; a singular matrix does not
    raise (its ``info`` says so).  Warns that it is deprecated, as PyTorch does.

    >>> ad.lu(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))[1]
    tensor([2, 2], dtype=int32)
    """
    warnings.warn("lu is deprecated (as in PyTorch) in favor of ad.linalg.lu_factor (and "
                  "ad.linalg.lu_factor_ex for get_infos=True)", UserWarning, stacklevel=2)
    _check_pivot("lu", pivot)
    LU, pivots, info = lu_factor_ex(A)  # noqa: N806
    return (LU, pivots, info) if get_infos else (LU, pivots)
