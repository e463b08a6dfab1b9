"""PyTorch's solves with a factor, and its linear-algebra constructors:
``ad.cholesky_solve``, ``ad.cholesky_inverse``, ``ad.triangular_solve`` (the older
form of ``ad.linalg.solve_triangular``), ``ad.linalg.vander`` (increasing powers, unlike
``np.vander``) and ``ad.linalg.householder_product`` (``ldl_factor`` and ``ldl_solve``
are in ``ldl.py``).

``cholesky_solve`` is one primitive with PyTorch's gradient: the factor's gradient is
that of ``(L L.T)^-1 B`` in every entry of ``L`` (``-(C L)``, ``C = gB X.T + X gB.T``),
not only in the triangle the forward reads, as PyTorch's is.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .decompositions import check_real
from .operands import tensor_of
from .registry import defop


class TriangularSolveResult(NamedTuple):
    """``torch.triangular_solve``'s result: the solution and a copy of ``A``."""
    solution: Tensor
    cloned_coefficient: Tensor


def cholesky_solve_array(b, factor, upper=False):
    """X with ``L L.T X = B`` (``upper``: ``U.T U X = B``), reading one triangle."""
    low = np.swapaxes(np.triu(factor), -1, -2) if upper else np.tril(factor)
    return np.linalg.solve(np.swapaxes(low, -1, -2), np.linalg.solve(low, b))


def _cholesky_solve_b(xp, g, ans, b, factor, upper=False):
    return xp.cholesky_solve(g, factor, upper=upper)


def _cholesky_solve_factor(xp, g, ans, b, factor, upper=False):
    grad_b = xp.cholesky_solve(g, factor, upper=upper)
    common = xp.matmul(grad_b, xp.swapaxes(ans, -1, -2))
    common = common + xp.swapaxes(common, -1, -2)
    return -xp.matmul(factor, common) if upper else -xp.matmul(common, factor)


_cholesky_solve = defop(
    "cholesky_solve", cholesky_solve_array,
    doc="torch.cholesky_solve's primitive; call ad.cholesky_solve",
    hint="cholesky_solve needs B (..., n, k) and a triangular factor (..., n, n)",
    b=("cholesky_solve(g, L)", _cholesky_solve_b),
    factor=("-(C L) (upper: -(U C)), C = gB X.T + X gB.T, gB = cholesky_solve(g, L)",
            _cholesky_solve_factor))


def _factor_and_rhs(name, B, L, factor_name="the factor", rhs_name="B"):  # noqa: N803
    """``B`` and the square ``L`` as Tensors, after the checks of a triangular solve
    ``L X = B`` (the messages call them ``factor_name`` and ``rhs_name``)."""
    check_real(name, B, L)
    b, factor = tensor_of(B), tensor_of(L)
    if factor.ndim < 2 or factor.shape[-1] != factor.shape[-2] or b.ndim < 2:
        vector = "a vector b" if rhs_name == "B" else "a vector"
        raise ValueError(f"{name}: {factor_name} must be square (..., n, n) and {rhs_name} a "
                         f"matrix (..., n, k) ({vector} as b[:, None]); got shapes "
                         f"{tuple(factor.shape)} and {tuple(b.shape)}")
    if b.shape[-2] != factor.shape[-1]:
        n = factor.shape[-1]
        raise ValueError(f"{name}: {factor_name} is {n} x {n}, so {rhs_name} needs {n} rows; "
                         f"got shape {tuple(b.shape)}")
    return b, factor


def cholesky_solve(B, L, upper: bool = False) -> Tensor:  # noqa: N803
    """X with ``A X = B`` given the Cholesky factor of ``A = L @ L.T`` (``upper=True``:
    ``A = U.T @ U``), as ``torch.cholesky_solve``: only that triangle of the factor is
    read; batch dims broadcast.  Differentiable to any order in ``B`` and ``L``, with
    PyTorch's gradient for ``L``.

    >>> L = ad.tensor([[2.0, 0.0], [1.0, 1.0]])          # A = [[4, 2], [2, 2]]
    >>> ad.cholesky_solve(ad.tensor([[2.0], [0.0]]), L)
    tensor([[ 1.],
            [-1.]])
    """
    b, factor = _factor_and_rhs("cholesky_solve", B, L)
    return _cholesky_solve(b, factor, upper=bool(upper))


def cholesky_inverse(L, upper: bool = False) -> Tensor:  # noqa: N803
    """The inverse of ``A = L @ L.T`` (``upper=True``: ``U.T @ U``) from its Cholesky
    factor, as ``torch.cholesky_inverse`` (batched, with PyTorch's gradient).

    >>> ad.cholesky_inverse(ad.tensor([[2.0, 0.0], [0.0, 0.5]]))
    tensor([[0.25, 0.  ],
            [0.  , 4.  ]])
    """
    factor = tensor_of(L)
    check_real("cholesky_inverse", factor)
    if factor.ndim < 2 or factor.shape[-1] != factor.shape[-2]:
        raise ValueError(f"cholesky_inverse: L must be a square matrix or a batch of them "
                         f"(..., n, n); got shape {tuple(factor.shape)}")
    eye = made("cholesky_inverse identity", _identities, (factor.shape, factor.dtype))
    return _cholesky_solve(eye, factor, upper=bool(upper))


def triangular_solve(b, A, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> TriangularSolveResult:
    """``torch.triangular_solve`` (deprecated there for ``ad.linalg.solve_triangular``,
    whose arguments come in the other order): ``(X, A's copy)`` with ``A X = b``
    (``transpose=True``: ``A.T X = b``), reading the ``upper`` (default) or lower
    triangle of ``A``, its diagonal taken as ones with ``unitriangular``.  The copy of
    ``A`` is broadcast to the batch of the solution, as PyTorch's.  Warns that it is
    deprecated, as PyTorch does.

    >>> x, _ = ad.triangular_solve(ad.tensor([[3.0], [4.0]]), ad.tensor([[1.0, 1.0], [0.0, 2.0]]))
    >>> x
    tensor([[1.],
            [2.]])
    """
    from .shape import broadcast_to, swapaxes
    from .solve_triangular import solve_triangular

    warnings.warn("triangular_solve is deprecated (as in PyTorch) in favor of "
                  "ad.linalg.solve_triangular: triangular_solve(B, A).solution is "
                  "ad.linalg.solve_triangular(A, B, upper=True)", UserWarning, stacklevel=2)
    b, A = _factor_and_rhs("triangular_solve", b, A, "A", "b")  # noqa: N806
    matrix = swapaxes(A, -1, -2) if transpose else A
    solution = solve_triangular(matrix, b, upper=bool(upper) != bool(transpose),
                                unitriangular=bool(unitriangular))
    batch = solution.shape[:-2]
    return TriangularSolveResult(solution, broadcast_to(A, batch + A.shape[-2:]) + 0)


def vander(x, N: int | None = None) -> Tensor:  # noqa: N803
    """``torch.linalg.vander``: ``V[..., i, j] = x[..., i] ** j`` for ``j < N`` (default
    ``x.shape[-1]``), in increasing powers (``np.vander``, also ``ad.vander``, has
    decreasing ones by default), batched over the leading dims of ``x``.

    >>> ad.linalg.vander(ad.tensor([1.0, 2.0, 3.0]))
    tensor([[1., 1., 1.],
            [1., 2., 4.],
            [1., 3., 9.]])
    """
    from .shape import stack

    x = tensor_of(x)
    if x.ndim == 0:
        raise ValueError("linalg.vander: x must have at least one dimension (a vector or a "
                         "batch of them), got a 0-d tensor")
    columns = x.shape[-1] if N is None else N
    if columns <= 1:
        raise ValueError(f"linalg.vander: N must be greater than 1, got N={columns} (from "
                         f"{'x.shape[-1]' if N is None else 'N'})")
    ones = Tensor(made("linalg.vander ones", np.ones, (x.shape,), {"dtype": x.dtype}))
    powers = [ones, x]
    for _ in range(2, columns):
        powers.append(powers[-1] * x)
    return stack(powers, axis=-1)


def householder_product(A, tau) -> Tensor:  # noqa: N803
    """``torch.linalg.householder_product``: the first ``n`` columns of
    ``H_1 H_2 ... H_k`` for ``A`` (..., m, n) and ``tau`` (..., k), ``k <= n <= m``, with
    ``H_i = I - tau_i v_i v_i.T`` and ``v_i`` column i of ``A`` below the diagonal with a
    1 on it (as ``geqrf`` leaves them).  Only that part of ``A`` gets a gradient.

    >>> ad.linalg.householder_product(ad.tensor([[1.0], [1.0]]), ad.tensor([1.0]))
    tensor([[ 0.],
            [-1.]])
    """
    from .diagonals import tril
    from .linalg import matmul

    check_real("householder_product", A, tau)
    A, tau = tensor_of(A), tensor_of(tau)  # noqa: N806
    if A.ndim < 2 or tau.ndim < 1:
        raise ValueError(f"householder_product: A must be (..., m, n) and tau (..., k); got "
                         f"shapes {tuple(A.shape)} and {tuple(tau.shape)}")
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if not k <= n <= m or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise ValueError(f"householder_product: needs A (..., m, n) and tau (..., k) with the "
                         f"same batch and k <= n <= m; got shapes {tuple(A.shape)} and "
                         f"{tuple(tau.shape)}")
    eye = made("householder_product identity", _identities, (A.shape, A.dtype))
    reflectors = tril(A, -1) + Tensor(eye)
    q = Tensor(eye)
    for i in range(k - 1, -1, -1):            # Q = H_1 (H_2 (... (H_k I)))
        v = reflectors[..., :, i:i + 1]
        projected = matmul(v.swapaxes(-1, -2), q)
        q = q - tau[..., i, None, None] * (v * projected)
    return q


def _identities(shape, dtype):
    """``np.eye(m, n)`` broadcast to ``shape`` (..., m, n), as its own array."""
    return np.array(np.broadcast_to(np.eye(shape[-2], shape[-1], dtype=dtype), shape))
