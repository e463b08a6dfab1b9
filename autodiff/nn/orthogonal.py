"""``nn.utils.parametrizations.orthogonal``: a weight kept orthogonal (orthonormal
columns, or rows if it is wide) by a map from an unconstrained tensor, as PyTorch's,
with its three maps (``matrix_exp``, ``cayley``, ``householder``) and its "dynamic
trivialization" (a ``base`` buffer the map's result is multiplied by).

The map works on the weight in PyTorch's layout (a ``Linear``'s weight, ``(in, out)``
here, is transposed on the way in and out), so the same original and ``base`` give
PyTorch's weight; ``to_torch_state_dict`` gives them in PyTorch's layout.
"""

from __future__ import annotations

import numpy as np

from .. import linalg
from ..compile.hooks import made
from ..creation import zeros
from ..ops.shape import concatenate
from ..ops.diagonals import diagonal, tril
from ..tensor import Tensor
from . import parametrize
from .module import Module, _generator

_MAPS = ("matrix_exp", "cayley", "householder")


def _swap(x):
    return x.swapaxes(-1, -2)


def _householder_factor(q: np.ndarray):
    """LAPACK's ``geqrf`` of the tall ``q``: the reflectors below the diagonal and R on
    it and above (PyTorch's ``torch.geqrf``), and the scalars ``tau``."""
    packed, tau = np.linalg.qr(q, mode="raw")
    return _swap(packed), tau


def _make_orthogonal(a: np.ndarray) -> np.ndarray:
    """The Q of ``a = QR`` (``a`` tall) with R's diagonal made non-negative."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diagonal(r, 0, -2, -1))[..., None, :]


def _is_orthogonal(q: np.ndarray) -> bool:
    n, k = q.shape[-2:]
    eps = 10.0 * n * np.finfo(q.dtype).eps
    return bool(np.allclose(_swap(q) @ q, np.eye(k, dtype=q.dtype), rtol=1e-5, atol=eps))


class _Orthogonal(Module):
    """``weight = base @ map(original)`` (without ``base`` when
    ``use_trivialization=False``), transposed for a wide weight, as PyTorch's
    ``_Orthogonal``; ``transposed_layout``: the weight is stored as the transpose of
    PyTorch's."""

    def __init__(self, weight, orthogonal_map: str, use_trivialization: bool = True,
                 transposed_layout: bool = False):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        self.transposed_layout = transposed_layout
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        if self.transposed_layout:
            X = _swap(X)
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:
            X = _swap(X)
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = tril(X)
            if n != k:
                X = concatenate([X, zeros(X.shape[:-2] + (n, n - k), dtype=X.dtype)], axis=-1)
            A = X - _swap(X)
            if self.orthogonal_map == "matrix_exp":
                Q = linalg.matrix_exp(A)
            else:
                identity = made("eye", np.eye, (n,), {"dtype": A.dtype})
                Q = linalg.solve(identity - 0.5 * A, identity + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = tril(X, -1)
            tau = 2.0 / (1.0 + (A * A).sum(axis=-2))
            Q = linalg.householder_product(A, tau)
            # PyTorch's .int() of the diagonal: a sign (truncated), not differentiated
            # (taken again at each replay of a compiled step)
            signs = made("orthogonal signs", lambda d: np.trunc(d)[..., None, :],
                         (diagonal(X, 0, -2, -1).data,))
            Q = Q * signs
        if "base" in self._buffers:
            Q = Tensor(self.base) @ Q
        if transposed:
            Q = _swap(Q)
        return _swap(Q) if self.transposed_layout else Q

    def right_inverse(self, Q):
        """The original that gives ``Q`` (and, with trivialization, ``base``: ``Q``
        made orthogonal, completed to a square matrix for a rectangular one)."""
        if tuple(Q.shape) != self.shape:
            raise ValueError(f"orthogonal: expected a matrix or batch of matrices of shape "
                             f"{self.shape}, got a tensor of shape {tuple(Q.shape)}")
        q = np.array(Q.data if isinstance(Q, Tensor) else Q)
        if self.transposed_layout:
            q = _swap(q)
        shape_before = q.shape
        n, k = q.shape[-2:]
        transpose = n < k
        if transpose:
            q = _swap(q)
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise NotImplementedError(
                    "orthogonal: it is not possible to assign to the matrix exponential or "
                    "the Cayley parametrizations when use_trivialization=False")
            packed, tau = _householder_factor(q)
            diag = np.sign(np.diagonal(packed, 0, -2, -1))
            diag = np.where(tau == 0.0, -diag, diag)
            packed = packed.copy()
            index = np.arange(k)
            packed[..., index, index] = diag
            result = _swap(packed) if transpose else packed
        else:
            if n == k:
                q = q.copy() if _is_orthogonal(q) else _make_orthogonal(q)
            else:
                completion = _generator(None).standard_normal(q.shape[:-2] + (n, n - k))
                q = _make_orthogonal(np.concatenate([q, completion.astype(q.dtype)], -1))
            self.base = q
            result = np.zeros(shape_before, q.dtype)
            index = np.arange(min(shape_before[-2:]))
            result[..., index, index] = -1.0
        return Tensor(_swap(result) if self.transposed_layout else result)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Keep ``module.<name>`` orthogonal (orthonormal columns; rows for a wide matrix; a
    batch of matrices over the last two axes), as
    ``torch.nn.utils.parametrizations.orthogonal``: ``orthogonal_map`` is
    ``"matrix_exp"`` (default for a square weight), ``"cayley"`` or ``"householder"``
    (default otherwise).  The weight starts as its own orthogonalization (QR, R's
    diagonal made non-negative); with ``use_trivialization`` the map's result is
    multiplied by the buffer ``parametrizations.<name>.0.base``.  Returns ``module``.

    >>> layer = ad.nn.utils.parametrizations.orthogonal(ad.nn.Linear(3, 3, rng=0))
    >>> w = layer.weight.data
    >>> bool(np.allclose(w.T @ w, np.eye(3)))
    True
    """
    where = "parametrizations.orthogonal"
    weight = parametrize.module_tensor(where, module, name)
    if weight.ndim < 2:
        raise ValueError(f"{where}: expected a matrix or batch of matrices, got a tensor of "
                         f"{weight.ndim} dimensions (shape {tuple(weight.shape)})")
    if weight.dtype.kind != "f":
        raise TypeError(f"{where}: expected a real floating-point weight, got {weight.dtype}")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'{where}: orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder", got {orthogonal_map!r}')
    from .utils_reparam import _is_transposed
    parametrization = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization,
                                  transposed_layout=_is_transposed(module, name))
    return parametrize.register_parametrization(module, name, parametrization, unsafe=True)
