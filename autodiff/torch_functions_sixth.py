"""More of PyTorch's top-level names, each the library's existing code under PyTorch's
signature: the function forms of Tensor methods (``scatter_reduce``, ``mvlgamma``,
``narrow_copy``, ``resolve_conj``, ``resolve_neg``), the deprecated linear algebra
(``qr``, ``cholesky``; ``matrix_rank``, which PyTorch removed), ``scalar_tensor``,
``unsafe_split_with_sizes``, ``channel_shuffle``, ``binomial`` draws and the randomized
low-rank decompositions ``svd_lowrank`` / ``pca_lowrank`` (Halko et al. 2009, as
PyTorch's, built from recorded ops so gradients flow through them).

>>> ad.scalar_tensor(2)
tensor(2.)
"""

from __future__ import annotations

import warnings

import numpy as np

from . import scatter_reduce as _scatter_reduce_module  # noqa: F401  (before ad.scatter_reduce
#                 is bound to the function below: a later first import would rebind it)
from .compile.hooks import made
from .generator import chosen_rng
from .ops.operands import tensor_of
from .tensor import Tensor

__all__ = ["scatter_reduce", "mvlgamma", "narrow_copy", "resolve_conj", "resolve_neg",
           "unsafe_split_with_sizes", "scalar_tensor", "channel_shuffle", "matrix_rank",
           "qr", "cholesky", "binomial", "svd_lowrank", "pca_lowrank"]


def scatter_reduce(input, dim: int, index, src, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """``input.scatter_reduce(dim, index, src, reduce, include_self=)``, as
    ``torch.scatter_reduce`` (``reduce`` one of "sum", "prod", "mean", "amax", "amin").

    >>> ad.scatter_reduce(ad.zeros(2), 0, np.array([1, 1]), ad.tensor([2.0, 3.0]), "sum")
    tensor([0., 5.])
    """
    return tensor_of(input).scatter_reduce(dim, index, src, reduce, include_self=include_self)


def mvlgamma(input, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``p``, as ``torch.mvlgamma``.

    >>> ad.mvlgamma(ad.tensor([2.5]), 1)
    tensor([0.28468287])
    """
    return tensor_of(input).mvlgamma(p)


def narrow_copy(input, dim: int, start: int, length: int) -> Tensor:
    """A copy of ``input.narrow(dim, start, length)``, as ``torch.narrow_copy``.

    >>> ad.narrow_copy(ad.tensor([1.0, 2.0, 3.0]), 0, 1, 2)
    tensor([2., 3.])
    """
    return tensor_of(input).narrow_copy(dim, start, length)


def resolve_conj(input) -> Tensor:
    """``input`` itself (no lazy conjugation here), as ``torch.resolve_conj``.

    >>> ad.resolve_conj(ad.tensor([1.0]))
    tensor([1.])
    """
    return tensor_of(input).resolve_conj()


def resolve_neg(input) -> Tensor:
    """``input`` itself (no lazy negation here), as ``torch.resolve_neg``.

    >>> ad.resolve_neg(ad.tensor([1.0]))
    tensor([1.])
    """
    return tensor_of(input).resolve_neg()


def unsafe_split_with_sizes(input, split_sizes, dim: int = 0) -> tuple:
    """``ad.split_with_sizes(input, split_sizes, dim)``, as
    ``torch.unsafe_split_with_sizes``.

    >>> [p.shape for p in ad.unsafe_split_with_sizes(ad.zeros(5), [2, 3])]
    [(2,), (3,)]
    """
    from .multi_output_views import unmark
    from .torch_functions_assorted import split_with_sizes
    return unmark(split_with_sizes(input, split_sizes, dim))


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=None,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number ``s`` in the default float dtype (float64 here)
    unless ``dtype=`` says otherwise, as ``torch.scalar_tensor`` (which gives a float
    even for an int or bool ``s``).

    >>> ad.scalar_tensor(True)
    tensor(1.)
    """
    from .devices import check_device
    from .missing_dtypes import numpy_dtype
    from .torch_names import get_default_dtype
    check_device("scalar_tensor", device)
    value = np.asarray(s.data if isinstance(s, Tensor) else s)
    if value.ndim != 0:
        raise TypeError(f"scalar_tensor: s must be a number (or a 0-d tensor), got shape "
                        f"{value.shape}; use ad.tensor(values) for arrays")
    chosen = np.dtype(get_default_dtype() if dtype is None else numpy_dtype("scalar_tensor", dtype))
    return Tensor(value.astype(chosen), requires_grad=requires_grad)


def channel_shuffle(input, groups: int) -> Tensor:
    """``F.channel_shuffle(input, groups)``, as ``torch.channel_shuffle``.

    >>> ad.channel_shuffle(ad.tensor(np.arange(4.0).reshape(1, 4, 1)), 2).ravel()
    tensor([0., 2., 1., 3.])
    """
    from .nn.rearrange import channel_shuffle as shuffle
    return shuffle(input, groups)


def matrix_rank(input, tol=None, symmetric: bool = False, *, out=None):
    """Removed in PyTorch (it raises there too): use ``ad.linalg.matrix_rank``."""
    raise RuntimeError("matrix_rank: torch.matrix_rank was deprecated and is removed (PyTorch "
                       "raises too); use ad.linalg.matrix_rank(A, tol=..., hermitian=...) "
                       "('symmetric' is named 'hermitian' there)")


def qr(input, some: bool = True):
    """``(Q, R)``, reduced (``some=True``) or complete, as the deprecated ``torch.qr``
    (it warns, as PyTorch's does); ``ad.linalg.qr`` is the current name.

    >>> ad.qr(ad.tensor([[2.0]])).R.abs()
    tensor([[2.]])
    """
    warnings.warn("qr: ad.qr is deprecated, as torch.qr, in favor of ad.linalg.qr: "
                  "ad.qr(A, some=True) is ad.linalg.qr(A, 'reduced'), some=False is "
                  "ad.linalg.qr(A, 'complete')", UserWarning, stacklevel=2)
    return tensor_of(input).qr(some)


def cholesky(input, upper: bool = False) -> Tensor:
    """The Cholesky factor (lower, or upper with ``upper=True``), as the deprecated
    ``torch.cholesky`` (it warns, as PyTorch's does); ``ad.linalg.cholesky`` is the
    current name.

    >>> ad.cholesky(ad.tensor([[4.0]]))
    tensor([[2.]])
    """
    warnings.warn("cholesky: ad.cholesky is deprecated, as torch.cholesky, in favor of "
                  "ad.linalg.cholesky: "
                  "ad.cholesky(A) is ad.linalg.cholesky(A), ad.cholesky(A, upper=True) is "
                  "ad.linalg.cholesky(A).mT", UserWarning, stacklevel=2)
    return tensor_of(input).cholesky(upper)


def _binomial_draw(rng, counts, probabilities, dtype):
    from .creation import _generator
    counts, probabilities = np.broadcast_arrays(counts, probabilities)
    whole = np.floor(counts).astype(np.int64)
    return _generator(rng).binomial(whole, np.clip(probabilities, 0.0, 1.0)).astype(dtype)


def binomial(count, prob, generator=None, *, rng=None) -> Tensor:
    """Draws from Binomial(``count``, ``prob``) elementwise, in ``count``'s float dtype,
    as ``torch.binomial`` (no gradient: a ``count`` or ``prob`` that requires grad is
    refused).

    >>> ad.binomial(ad.tensor([4.0, 0.0]), ad.tensor([1.0, 0.5]))
    tensor([4., 0.])
    """
    from .torch_random import _float_parameter, _values_without_gradient
    counts = _float_parameter("binomial",
                              _values_without_gradient("binomial", count, "count"), "count")
    probabilities = _float_parameter(
        "binomial", _values_without_gradient("binomial", prob, "prob"), "prob")
    try:
        np.broadcast_shapes(counts.shape, probabilities.shape)
    except ValueError:
        raise ValueError(f"binomial: the shapes of count {counts.shape} and prob "
                         f"{probabilities.shape} do not broadcast") from None
    if np.any(counts < 0) or np.any((probabilities < 0) | (probabilities > 1)):
        raise ValueError("binomial: count must be >= 0 and prob in [0, 1]")
    rng = chosen_rng("binomial", rng, generator)
    return Tensor(made("binomial", _binomial_draw, (rng, counts, probabilities, counts.dtype),
                       stateful=True))


def _approximate_basis(A, q: int, niter: int, M=None):
    """Orthonormal columns spanning about the range of ``A - M`` (Halko et al., 2009,
    Algorithm 4.4), as PyTorch's ``torch._lowrank.get_approximate_basis``."""
    from . import linalg
    from .creation import randn

    def times(B, left):
        return B @ left if M is None else B @ left - (M @ left if B is A else M.mT @ left)
    R = randn(A.shape[-1], q, dtype=A.dtype)
    Q = linalg.qr(times(A, R))[0]
    for _ in range(niter):
        Q = linalg.qr(times(A.mT, Q))[0]
        Q = linalg.qr(times(A, Q))[0]
    return Q


def _svd_lowrank(A, q: int, niter: int, M=None):
    from . import linalg
    m, n = A.shape[-2:]
    if m < n:       # work on the tall one
        A = A.mT
        M = None if M is None else M.mT
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mT @ A if M is None else Q.mT @ A - Q.mT @ M
    U, S, Vh = linalg.svd(B, full_matrices=False)
    U, V = Q @ U, Vh.mT
    return (V, S, U) if m < n else (U, S, V)


def _float_matrices(A, where: str) -> Tensor:
    A = tensor_of(A)
    if A.ndim < 2 or A.dtype.kind != "f":
        raise ValueError(f"{where}: A must be a float tensor of shape (..., m, n), got "
                         f"shape {A.shape} and dtype {A.dtype}")
    return A


def svd_lowrank(A, q: int | None = 6, niter: int | None = 2, M=None) -> tuple:
    """An approximate rank-``q`` SVD ``(U, S, V)`` of ``A - M`` (``A`` about
    ``U @ diag(S) @ V.mT``) by randomized range finding with ``niter`` subspace
    iterations, as ``torch.svd_lowrank``: random (seed with ``ad.manual_seed``), with
    gradients through the recorded ops.

    >>> U, S, V = ad.svd_lowrank(ad.tensor([[3.0, 0.0], [0.0, 1.0]]), q=1)
    >>> S.round()
    tensor([3.])
    """
    A = _float_matrices(A, "svd_lowrank")
    q = 6 if q is None else int(q)
    niter = 2 if niter is None else int(niter)
    if q < 0 or niter < 0:
        raise ValueError(f"svd_lowrank: q (={q}) and niter (={niter}) must be >= 0")
    if M is not None:
        from .ops.shape import broadcast_to
        M = broadcast_to(tensor_of(M), A.shape)
    return _svd_lowrank(A, q, niter, M)


def pca_lowrank(A, q: int | None = None, center: bool = True, niter: int = 2) -> tuple:
    """``svd_lowrank`` of ``A`` with its column means taken away (``center=True``):
    ``(U, S, V)``, with the principal directions in ``V``'s columns, as
    ``torch.pca_lowrank``; ``q`` defaults to ``min(6, m, n)``.

    >>> U, S, V = ad.pca_lowrank(ad.tensor([[1.0, 0.0], [-1.0, 0.0]]), q=1)
    >>> S.round()
    tensor([1.])
    """
    A = _float_matrices(A, "pca_lowrank")
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"pca_lowrank: q(={q}) must be non-negative integer and not "
                         f"greater than min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"pca_lowrank: niter(={niter}) must be non-negative integer")
    if center:
        A = A - A.mean(axis=-2, keepdims=True)
    return _svd_lowrank(A, int(q), int(niter))
