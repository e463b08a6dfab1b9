"""The LDL^T factorization of symmetric (indefinite) matrices with Bunch-Kaufman
pivoting, as PyTorch's ``torch.linalg.ldl_factor``, ``ldl_factor_ex`` and
``ldl_solve`` (LAPACK's ``sytrf`` / ``sytrs``, lower triangle).

``LD`` holds, below the diagonal, the multipliers of the unit lower factor and, on the
diagonal and the subdiagonal of each 2 x 2 block, the block diagonal ``D``; its upper
triangle is zero.  ``pivots`` are LAPACK's, 1-based: ``pivots[k] = p > 0`` is a 1 x 1
block after rows and columns ``k`` and ``p`` were swapped; ``pivots[k] = pivots[k+1] =
-p < 0`` is a 2 x 2 block after rows and columns ``k+1`` and ``p`` were swapped.

The factorization has no derivative (PyTorch's neither): ``ldl_factor`` of a tensor
that requires grad is refused, naming ``solve``.  ``ldl_solve`` is differentiable in
``B`` (``gB = ldl_solve(LD, pivots, g)``, as ``A`` is symmetric), to any order, and
refuses an ``LD`` that requires grad.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..compile.hooks import made
from ..graph import is_grad_enabled
from ..tensor import Tensor
from .decompositions import check_real
from .linalg_ex import square_float_matrix
from .operands import tensor_of
from .registry import defop

#: Bunch-Kaufman's threshold, (1 + sqrt(17)) / 8, as LAPACK's
_ALPHA = (1.0 + np.sqrt(17.0)) / 8.0


class LDLFactorResult(NamedTuple):
    """``torch.linalg.ldl_factor``'s result: compact ``LD`` and 1-based int32 ``pivots``."""
    LD: Tensor
    pivots: Tensor


class LDLFactorExResult(NamedTuple):
    """``torch.linalg.ldl_factor_ex``'s result: ``info`` is 0, or the 1-based index of
    the first exactly zero (1 x 1) block of ``D``, which is then singular."""
    LD: Tensor
    pivots: Tensor
    info: Tensor


def _first_largest(values: np.ndarray) -> int:
    """LAPACK's ``i?amax``: the first index of the largest magnitude."""
    return int(np.argmax(np.abs(values)))


def sytrf_lower(matrix: np.ndarray):
    """LAPACK's ``sytf2`` (lower) on one square matrix: ``(LD, 1-based pivots, info)``."""
    a = np.array(matrix, dtype=matrix.dtype, order="C")
    n = a.shape[0]
    pivots = np.zeros(n, np.int32)
    info = 0
    k = 0
    while k < n:
        step = 1
        diagonal = abs(a[k, k])
        if k < n - 1:
            below = k + 1 + _first_largest(a[k + 1:, k])
            column_max = abs(a[below, k])
        else:
            below, column_max = k, 0.0
        if max(diagonal, column_max) == 0.0 or np.isnan(diagonal):
            if info == 0:
                info = k + 1            # D(k, k) is exactly zero: the factorization goes on
            swap = k
        elif diagonal >= _ALPHA * column_max:
            swap = k
        else:
            row = a[below, k:below]     # row `below` of the lower triangle, left of it
            row_max = abs(row[_first_largest(row)])
            if below < n - 1:
                row_max = max(row_max, abs(a[below + 1 + _first_largest(a[below + 1:, below]),
                                             below]))
            if diagonal >= _ALPHA * column_max * (column_max / row_max):
                swap = k
            elif abs(a[below, below]) >= _ALPHA * row_max:
                swap = below
            else:
                swap, step = below, 2
        last = k + step - 1
        if swap != last:                # swap rows and columns `last` and `swap` below k
            if swap < n - 1:
                a[swap + 1:, [last, swap]] = a[swap + 1:, [swap, last]]
            between = np.arange(last + 1, swap)
            a[between, last], a[swap, between] = a[swap, between].copy(), a[between, last].copy()
            a[last, last], a[swap, swap] = a[swap, swap], a[last, last]
            if step == 2:
                a[k + 1, k], a[swap, k] = a[swap, k], a[k + 1, k]
        if step == 1:
            if k < n - 1 and max(diagonal, column_max) != 0.0:
                inverse = 1.0 / a[k, k]
                x = a[k + 1:, k].copy()
                a[k + 1:, k + 1:] += x[:, None] * (-inverse * x)[None, :]
                a[k + 1:, k] *= inverse
            pivots[k] = swap + 1
        else:
            if k < n - 2:
                d21 = a[k + 1, k]
                d11 = a[k + 1, k + 1] / d21
                d22 = a[k, k] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                first, second = a[k + 2:, k].copy(), a[k + 2:, k + 1].copy()
                wk = d21 * (d11 * first - second)
                wkp1 = d21 * (d22 * second - first)
                a[k + 2:, k + 2:] -= first[:, None] * wk[None, :] + second[:, None] * wkp1[None, :]
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
            pivots[k] = pivots[k + 1] = -(swap + 1)
        k += step
    return np.tril(a), pivots, info


def _ldl_packed(a: np.ndarray) -> np.ndarray:
    """``sytrf`` on each matrix of ``(..., n, n)``: LD with the pivots and info (as the
    array's dtype) as two extra last rows."""
    n = a.shape[-1]
    out = np.zeros(a.shape[:-2] + (n + 2, n), a.dtype)
    for index in np.ndindex(a.shape[:-2]):
        ld, pivots, info = sytrf_lower(a[index])
        out[index][:n] = ld
        out[index][n] = pivots
        out[index][n + 1] = info
    return out


def sytrs_lower(ld: np.ndarray, pivots: np.ndarray, b: np.ndarray) -> np.ndarray:
    """LAPACK's ``sytrs`` (lower) on one system: X with ``A X = B`` from ``A``'s LD."""
    x = np.array(b, dtype=np.result_type(ld, b))
    n = ld.shape[0]
    k = 0
    while k < n:                        # L D Y = B
        if pivots[k] > 0:
            swap = pivots[k] - 1
            if swap != k:
                x[[k, swap]] = x[[swap, k]]
            x[k + 1:] -= ld[k + 1:, k, None] * x[k]
            x[k] /= ld[k, k]
            k += 1
        else:
            swap = -pivots[k] - 1
            if swap != k + 1:
                x[[k + 1, swap]] = x[[swap, k + 1]]
            if k < n - 2:
                x[k + 2:] -= ld[k + 2:, k, None] * x[k]
                x[k + 2:] -= ld[k + 2:, k + 1, None] * x[k + 1]
            akm1k = ld[k + 1, k]
            akm1 = ld[k, k] / akm1k
            ak = ld[k + 1, k + 1] / akm1k
            denominator = akm1 * ak - 1.0
            bkm1, bk = x[k] / akm1k, x[k + 1] / akm1k
            x[k] = (ak * bkm1 - bk) / denominator
            x[k + 1] = (akm1 * bk - bkm1) / denominator
            k += 2
    k = n - 1
    while k >= 0:                       # L.T X = Y
        if pivots[k] > 0:
            if k < n - 1:
                x[k] -= ld[k + 1:, k] @ x[k + 1:]
            swap = pivots[k] - 1
            if swap != k:
                x[[k, swap]] = x[[swap, k]]
            k -= 1
        else:
            if k < n - 1:
                x[k] -= ld[k + 1:, k] @ x[k + 1:]
                x[k - 1] -= ld[k + 1:, k - 1] @ x[k + 1:]
            swap = -pivots[k] - 1
            if swap != k:
                x[[k, swap]] = x[[swap, k]]
            k -= 2
    return x


def ldl_solve_array(ld, pivots, b):
    """``sytrs`` on each system of the broadcast batch of ``ld`` (..., n, n), ``pivots``
    (..., n) and ``b`` (..., n, k)."""
    batch = np.broadcast_shapes(ld.shape[:-2], pivots.shape[:-1], b.shape[:-2])
    ld = np.broadcast_to(ld, batch + ld.shape[-2:])
    pivots = np.broadcast_to(pivots, batch + pivots.shape[-1:]).astype(np.int64)
    b = np.broadcast_to(b, batch + b.shape[-2:])
    out = np.empty(batch + b.shape[-2:], np.result_type(ld, b))
    for index in np.ndindex(batch):
        out[index] = sytrs_lower(ld[index], pivots[index], b[index])
    return out


def _ldl_solve_b(xp, g, ans, ld, pivots, b):
    return xp.ldl_solve(ld, pivots, g)        # A is symmetric: A^-T g = A^-1 g


_ldl_solve = defop(
    "ldl_solve", ldl_solve_array,
    doc="torch.linalg.ldl_solve's primitive; call ad.linalg.ldl_solve",
    hint="ldl_solve needs LD (..., n, n) and pivots (..., n) from ldl_factor, and B "
         "(..., n, k)",
    index_inputs=(1,), ld=None, pivots=None,
    b=("ldl_solve(LD, pivots, g)", _ldl_solve_b))


def _refuse_gradient(name, what, t):
    if t.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{name}: {what} (shape {tuple(t.shape)}) requires grad, and the LDL "
            "factorization has no derivative (PyTorch's neither). Call it on "
            f"{what}.detach() or under ad.no_grad(), or, for gradients with respect to A, "
            "solve with ad.linalg.solve(A, B)")


def ldl_factor_ex(A, *, hermitian: bool = False, check_errors: bool = False  # noqa: N803
                  ) -> LDLFactorExResult:
    """``torch.linalg.ldl_factor_ex``: ``(LD, pivots, info)`` of each symmetric matrix
    (only its lower triangle is read), with Bunch-Kaufman pivoting as LAPACK's
    ``sytrf`` (see the module docstring for the layout); ``info`` is 0, or the 1-based
    index of the first exactly zero block of ``D`` (``check_errors=True`` raises then).
    ``hermitian`` matters only for complex input, which is not supported here.

    >>> LD, pivots, info = ad.linalg.ldl_factor_ex(ad.tensor([[0.0, 1.0], [1.0, 0.0]]))
    >>> LD, pivots, info
    (tensor([[0., 0.],
            [1., 0.]]), tensor([-2, -2], dtype=int32), tensor(0, dtype=int32))
    """
    name = "ldl_factor_ex"
    a = square_float_matrix(name, A)
    _refuse_gradient(name, "A", a)
    n = a.shape[-1]
    packed = made("ldl_factor", _ldl_packed, (a.data,))
    ld = Tensor(made("ldl LD", lambda p: p[..., :n, :], (packed,)))
    pivots = Tensor(made("ldl pivots", lambda p: p[..., n, :].astype(np.int32), (packed,)))
    info = made("ldl info", lambda p: (p[..., n + 1, 0] if n else
                                       np.zeros(p.shape[:-2])).astype(np.int32), (packed,))
    if check_errors and np.any(info):
        _raise_singular(name, info)
    return LDLFactorExResult(ld, pivots, Tensor(info))


def _raise_singular(name, info):
    first = int(np.ravel(info)[np.flatnonzero(np.ravel(info))[0]])
    raise np.linalg.LinAlgError(
        f"{name}: the factorization was completed but D is exactly singular (its "
        f"diagonal entry {first} is zero, 1-based), so the matrix is singular and "
        "ldl_solve would divide by zero; ldl_factor_ex returns the factors with info > 0")


def ldl_factor(A, *, hermitian: bool = False) -> LDLFactorResult:  # noqa: N803
    """``torch.linalg.ldl_factor``: ``(LD, pivots)`` of each symmetric matrix (lower
    triangle read), Bunch-Kaufman pivoting as LAPACK's ``sytrf``; raises for a singular
    ``D`` (``ldl_factor_ex`` returns ``info`` instead).  Solve with ``ldl_solve``.

    >>> A = ad.tensor([[1.0, 2.0], [2.0, 1.0]])
    >>> LD, pivots = ad.linalg.ldl_factor(A)
    >>> ad.linalg.ldl_solve(LD, pivots, ad.tensor([[3.0], [3.0]]))
    tensor([[1.],
            [1.]])
    """
    LD, pivots, info = ldl_factor_ex(A, hermitian=hermitian)  # noqa: N806
    if np.any(info.data):
        _raise_singular("ldl_factor", info.data)
    return LDLFactorResult(LD, pivots)


def _checked_pivots(name, pivots, n):
    p = np.asarray(pivots.data if isinstance(pivots, Tensor) else pivots)
    if p.dtype.kind not in "iu" or p.ndim < 1 or p.shape[-1] != n:
        raise ValueError(f"{name}: pivots must be the integer (..., {n}) array ldl_factor "
                         f"gives; got dtype {p.dtype}, shape {p.shape}")
    flat = p.reshape(-1, n).astype(np.int64) if n else ()     # (n = 0: nothing to check)
    for row in flat:
        k = 0
        while k < n:
            ok = 1 <= row[k] <= n if row[k] > 0 else (
                k + 1 < n and row[k + 1] == row[k] and 1 <= -row[k] <= n)
            if not ok:
                raise ValueError(f"{name}: pivots {row.tolist()} are not LAPACK's sytrf "
                                 "pivots (1-based; a 2 x 2 block as two equal negative "
                                 "entries); pass what ldl_factor returned")
            k += 1 if row[k] > 0 else 2
    return p


def ldl_solve(LD, pivots, B, *, hermitian: bool = False) -> Tensor:  # noqa: N803
    """``torch.linalg.ldl_solve``: X with ``A X = B`` from ``A``'s ``ldl_factor``
    (LAPACK's ``sytrs``); batch dims broadcast.  Differentiable in ``B`` to any order;
    an ``LD`` that requires grad is refused (the factorization has no derivative: solve
    with ``ad.linalg.solve(A, B)`` for gradients with respect to ``A``).

    >>> LD, pivots = ad.linalg.ldl_factor(ad.tensor([[0.0, 2.0], [2.0, 0.0]]))
    >>> ad.linalg.ldl_solve(LD, pivots, ad.tensor([[2.0], [4.0]]))
    tensor([[2.],
            [1.]])
    """
    name = "ldl_solve"
    ld, b = tensor_of(LD), tensor_of(B)
    check_real(name, ld, b)
    if ld.ndim < 2 or ld.shape[-1] != ld.shape[-2] or b.ndim < 2:
        raise ValueError(f"{name}: LD must be square (..., n, n) and B a matrix (..., n, k) "
                         f"(a vector b as b[:, None]); got shapes {tuple(ld.shape)} and "
                         f"{tuple(b.shape)}")
    n = ld.shape[-1]
    if b.shape[-2] != n:
        raise ValueError(f"{name}: LD is {n} x {n}, so B needs {n} rows; got shape "
                         f"{tuple(b.shape)}")
    if ld.dtype != b.dtype:
        raise TypeError(f"{name}: LD is {ld.dtype} but B is {b.dtype}; give them the same "
                        "dtype (as PyTorch requires)")
    _refuse_gradient(name, "LD", ld)
    p = _checked_pivots(name, pivots, n)
    try:
        np.broadcast_shapes(ld.shape[:-2], p.shape[:-1], b.shape[:-2])
    except ValueError:
        raise ValueError(f"{name}: the batch dims of LD {tuple(ld.shape)}, pivots "
                         f"{p.shape} and B {tuple(b.shape)} do not broadcast") from None
    return _ldl_solve(ld, Tensor(p), b)
