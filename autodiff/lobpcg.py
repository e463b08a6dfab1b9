"""``ad.lobpcg``: the ``k`` largest (or smallest) eigenpairs of a symmetric (generalized)
eigenproblem ``A x = lambda B x``, with PyTorch's signature and refusals.

PyTorch iterates (LOBPCG) until a tolerance; here the matrices are dense NumPy arrays,
so the pairs are computed to machine precision by a dense symmetric eigensolver
(``B = L L^T``, the eigenpairs of ``L^-1 A L^-T``), written with the library's
differentiable ops: the gradients are those of the symmetric eigenproblem, through
the eigenvalues and the eigenvectors, with respect to ``A`` and ``B``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lobpcg"]


def lobpcg(A, k: int | None = None, B=None, X=None, n: int | None = None, iK=None,
           niter: int | None = None, tol: float | None = None, largest: bool | None = None,
           method: str | None = None, tracker=None, ortho_iparams=None, ortho_fparams=None,
           ortho_bparams=None):
    """PyTorch's ``torch.lobpcg``: ``(E, X)``, the ``k`` largest eigenvalues (smallest
    with ``largest=False``) of the symmetric ``A`` (``(*, m, m)``), in PyTorch's order
    (descending, or ascending), and their eigenvectors as the columns of ``X``
    (``(*, m, k)``), ``B``-orthonormal when ``B`` (symmetric positive-definite) is given.

    ``A`` is read as ``(A + A^T) / 2``, the map PyTorch applies when ``A`` requires grad,
    so ``A.grad`` is symmetric.  As in PyTorch, ``k`` defaults to the columns of ``X``
    or 1, and ``m < 3 n`` is refused (``n``: the columns of ``X``, else ``n`` or ``k``).
    The pairs are exact (a dense solver), so ``X`` as a starting guess, ``iK``,
    ``niter``, ``tol``, ``method`` and the ``ortho_*`` settings change nothing; an
    eigenvector's sign is arbitrary, as in PyTorch.

    >>> A = ad.tensor(np.diag([1.0, 5.0, 2.0, 4.0, 3.0, 0.5]))
    >>> E, X = ad.lobpcg(A, k=2)
    >>> E
    tensor([5., 4.])
    >>> ad.lobpcg(A, k=2, largest=False)[0]
    tensor([0.5, 1. ])
    """
    from . import linalg
    from .ops.operands import tensor_of

    A = tensor_of(A)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"lobpcg: A must be a batch of square matrices (*, m, m), got "
                         f"shape {A.shape}")
    if A.dtype.kind != "f":
        raise TypeError(f"lobpcg: A must be float32 or float64, got {A.dtype}; convert "
                        "it with A.double()")
    m = A.shape[-1]
    if X is not None:
        X = tensor_of(X)
        if X.shape[:-1] != A.shape[:-1] or not 1 <= X.shape[-1] <= m:
            raise ValueError(f"lobpcg: X (the starting guess) must have shape "
                             f"{A.shape[:-1] + ('n',)} with k <= n <= {m}, got {X.shape}")
    k = (1 if X is None else X.shape[-1]) if k is None else k
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"lobpcg: k (the number of eigenpairs) must be an int >= 1, got "
                         f"{k!r}")
    n = (k if n is None else n) if X is None else X.shape[-1]
    if n < k:
        raise ValueError(f"lobpcg: k = {k} eigenpairs need n >= k columns of X, got n = {n}")
    if m < 3 * n:
        raise ValueError(
            f"lobpcg: LOBPCG algorithm is not applicable when the number of A rows (={m}) "
            f"is smaller than 3 x the number of requested eigenpairs (={n}); for small "
            "matrices use ad.linalg.eigh, which gives all the pairs")
    if method not in (None, "basic", "ortho"):
        raise ValueError(f"lobpcg: method must be 'basic' or 'ortho' (or None), got "
                         f"{method!r}")
    if tracker is not None:
        raise ValueError("lobpcg: tracker= is called at each LOBPCG iteration in "
                         "PyTorch; the pairs here come from a dense solver with no "
                         "iterations, so leave it None")

    symmetric = (A + A.mT) / 2
    if B is None:
        values, vectors = linalg.eigh(symmetric)
    else:
        B = tensor_of(B)
        if B.shape != A.shape:
            raise ValueError(f"lobpcg: A and B must have the same shape, got {A.shape} "
                             f"and {B.shape}")
        try:
            lower = linalg.cholesky((B + B.mT) / 2)
        except (np.linalg.LinAlgError, ValueError, RuntimeError) as error:
            raise ValueError(f"lobpcg: B must be symmetric positive-definite ({error}); "
                             "the generalized problem A x = lambda B x needs it") from None
        half = linalg.solve_triangular(lower, symmetric, upper=False)
        reduced = linalg.solve_triangular(lower, half.mT, upper=False)
        values, vectors = linalg.eigh((reduced + reduced.mT) / 2)
        vectors = linalg.solve_triangular(lower.mT, vectors, upper=True)
    if largest is None or largest:
        order = np.arange(m - 1, m - 1 - k, -1)
    else:
        order = np.arange(k)
    return values[..., order], vectors[..., order]

