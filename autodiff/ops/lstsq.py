"""``np.linalg.lstsq``: the least-squares solution x of ``a @ x ~= b``.

One primitive returns NumPy's four results packed along one axis (x flattened, the
residuals, the singular values, and the rank as a number), as the decompositions
pack theirs; the public function slices the pack.  The forward is NumPy's own
(LAPACK's ``gelsd``), so every value is NumPy's bit for bit.

The gradient, with P = pinv(a) cut where lstsq cut (its rank), r = b - a x and, for a
1-D b, every vector taken as a column:

- x = P b: ``g_b = P.T g``, ``g_a = -P.T g x.T + r (P P.T g).T + (P.T x) ((I - P a) g).T``
  (Golub and Pereyra), which holds where the rank does not change under small
  perturbations;
- the residuals ``sum(r**2, axis=0)`` (given when a has full column rank and more
  rows than columns): ``g_a = -2 r diag(g) x.T``, ``g_b = 2 r diag(g)`` (x minimizes
  them, so only their explicit dependence counts);
- the singular values s: ``g_a = U diag(g) Vh``, as for ``svdvals``.

For complex a and b every transpose is the conjugate transpose, as in PyTorch's rules
(the complex twin, complex_least_squares.py); the residuals are ``sum(|r|**2)``.

How many residuals there are and where P is cut depend on the rank, found from the
values: ``ad.compile`` refuses lstsq while tracing.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..compile.refusals import refuse_while_tracing
from ..graph import _grad_mode
from ..tensor import Tensor
from .complex_parts import real
from .decompositions import _t, svd
from .registry import defop_joint, implements


def _lstsq_forward(a, b, rcond=None):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=rcond)
    return np.concatenate([x.reshape(-1), residuals, s, np.array([rank], x.dtype)])


def _sizes(a_shape, b_shape, packed_size):
    """(x's shape, how many residuals, how many singular values) of a pack."""
    m, n = a_shape
    x_shape = (n,) + tuple(b_shape[1:])
    k = min(m, n)
    return x_shape, packed_size - int(np.prod(x_shape)) - k - 1, k


def _unpack(packed, a_shape, b_shape):
    """x, residuals, s and rank (an int) from a pack (array or Tensor)."""
    x_shape, n_res, k = _sizes(a_shape, b_shape, packed.shape[0])
    size = int(np.prod(x_shape))
    x = packed[:size].reshape(x_shape)
    residuals = packed[size:size + n_res]
    s = packed[size + n_res:size + n_res + k]
    rank = int(np.real(packed.data[-1] if isinstance(packed, Tensor) else packed[-1]))
    return x, residuals, s, rank


def _column(xp, v, vector):
    return xp.expand_dims(v, -1) if vector else v


def _lstsq_joint(xp, g, ans, needs, a, b, rcond=None, adjoint=_t):
    # for complex matrices ``adjoint`` is the conjugate transpose (complex_least_squares.py)
    vector = len(b.shape) == 1
    x, _, s, rank = _unpack(ans, a.shape, b.shape)
    g_x, g_res, g_s, _ = _unpack(g, a.shape, b.shape)
    if adjoint is not _t:                 # the residuals and s are real, in a complex pack
        g_res, g_s = xp.real(g_res), xp.real(g_s)
    x, g_x, b_col = _column(xp, x, vector), _column(xp, g_x, vector), _column(xp, b, vector)
    s_values = np.real(s.data if isinstance(s, Tensor) else s)
    # lstsq kept ``rank`` singular values: P is pinv(a) cut halfway between the smallest
    # of them and the largest of the rest (pinv's SVD may round those differently from
    # lstsq's); an rcond may have dropped values just below the smallest kept one.
    if rank == 0:
        cut = 2.0                                         # P = 0, as x = 0
    elif rank < len(s_values):
        cut = float((s_values[rank - 1] + s_values[rank]) / 2 / s_values[0])
    else:
        cut = 0.0
    p = xp.pinv(a, rcond=cut)
    p_h = adjoint(xp, p)
    u = xp.matmul(p_h, g_x)                               # P^H g
    r = b_col - xp.matmul(a, x)
    grad_b = u
    grad_a = None
    if needs[0]:
        row_part = g_x - xp.matmul(p, xp.matmul(a, g_x))  # (I - P a) g
        grad_a = (-xp.matmul(u, adjoint(xp, x)) + xp.matmul(r, adjoint(xp, xp.matmul(p, u)))
                  + xp.matmul(xp.matmul(p_h, x), adjoint(xp, row_part)))
    if g_res.shape[0]:                                    # residuals were returned
        weighted = r * (2 * g_res)                        # 2 r diag(g)
        grad_b = grad_b + weighted
        if needs[0]:
            grad_a = grad_a - xp.matmul(weighted, adjoint(xp, x))
    if needs[0] and len(s_values):
        if isinstance(g_s, Tensor):                       # create_graph: U, Vh on the tape
            u_s, _, vh_s = svd(a, full_matrices=False)
        else:
            u_s, _, vh_s = np.linalg.svd(a, full_matrices=False)
        grad_a = grad_a + xp.matmul(u_s * xp.expand_dims(g_s, -2), vh_s)
    if vector:
        grad_b = grad_b[:, 0]
    return [grad_a, grad_b if needs[1] else None]


_lstsq = defop_joint(
    "lstsq_packed", _lstsq_forward,
    "x = P b (P = pinv(a) cut at lstsq's rank): g_b = P.T g, g_a = -P.T g x.T + "
    "r (P P.T g).T + (P.T x) ((I - P a) g).T; residuals: g_a = -2 r diag(g) x.T, "
    "g_b = 2 r diag(g); s: g_a = U diag(g) Vh", _lstsq_joint,
    input_names=("a", "b"),
    doc="x, the residuals, the singular values and the rank joined along one axis; "
        "see ad.linalg.lstsq",
    hint="lstsq needs a matrix a (M, N) and b of shape (M,) or (M, K)")


class LstsqResult(NamedTuple):
    """``lstsq``'s results under ``torch.linalg.lstsq``'s names, in NumPy's order."""
    solution: Tensor
    residuals: Tensor
    rank: np.int32
    singular_values: Tensor


_DRIVERS = (None, "gels", "gelsy", "gelsd", "gelss")


@implements(np.linalg.lstsq)
def _numpy_lstsq(a, b, rcond=None):
    """``np.linalg.lstsq``: ``(x, residuals, rank, s)`` of a matrix, as NumPy's (which
    refuses stacks; ``ad.linalg.lstsq`` takes PyTorch's)."""
    if np.ndim(a) != 2 or np.ndim(b) not in (1, 2):
        raise np.linalg.LinAlgError(
            f"lstsq: a has shape {np.shape(a)} and b {np.shape(b)}; np.linalg.lstsq takes "
            "a matrix a (M, N) and b of shape (M,) or (M, K), as NumPy requires; "
            "ad.linalg.lstsq (PyTorch's) also takes stacks (..., M, N)")
    return lstsq(a, b, rcond)


def lstsq(a, b, rcond=None, *, driver=None):
    """``np.linalg.lstsq``: ``(x, residuals, rank, s)``, x minimizing ``||b - a @ x||``
    (the least-norm one when several do), also named as PyTorch's
    (``.solution``, ``.residuals``, ``.rank``, ``.singular_values``).

    PyTorch's ``driver=`` (``'gels'``, ``'gelsy'``, ``'gelsd'``, ``'gelss'``) is
    accepted: every driver here is LAPACK's ``gelsd`` (NumPy's), whose x is the others'
    for an ``a`` of full rank (and gelsy's and gelss's least-norm one otherwise), and all
    four results are given whichever is named, where PyTorch leaves the rank or the
    singular values empty for some drivers.

    Stacks are PyTorch's: ``a`` (..., M, N) with ``b`` (..., M, K), or (..., M) for a
    stack of vectors, give stacked results, the residuals empty unless every matrix has
    full column rank and more rows than columns, and the rank a Tensor of ranks
    (``np.linalg.lstsq`` refuses stacks, as NumPy does).

    The values are NumPy's.  x, the residuals and the singular values s have
    gradients for a and b; they hold where a's rank does not change under small
    perturbations (no singular value crosses the cutoff), so an ``rcond`` that drops
    a nonzero singular value of an ``a`` that requires grad raises a ValueError.

    >>> a = ad.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], requires_grad=True)
    >>> x, residuals, rank, s = ad.linalg.lstsq(a, ad.tensor([1.0, 1.0, 3.0]))
    >>> x.data, residuals.data, int(rank)
    (array([1.33333333, 1.33333333]), array([0.33333333]), 2)
    """
    refuse_while_tracing(
        "lstsq", "how many residuals it returns and where its gradient cuts the "
        "singular values depend on a's rank, found from the values",
        "Call it outside the compiled function, or use ad.linalg.solve (square a) or "
        "ad.linalg.pinv(a) @ b")
    if driver not in _DRIVERS:
        raise ValueError(
            f"lstsq: driver={driver!r} is not one of PyTorch's drivers "
            f"{_DRIVERS[1:]}; every one of them computes here as 'gelsd' does")
    a = a if isinstance(a, Tensor) else Tensor(np.asarray(a))
    b = b if isinstance(b, Tensor) else Tensor(np.asarray(b))
    if a.ndim > 2 and b.ndim >= a.ndim - 1:
        return _stacked_lstsq(a, b, rcond)
    if a.ndim != 2 or b.ndim not in (1, 2):
        raise np.linalg.LinAlgError(
            f"lstsq: a has shape {a.shape} and b {b.shape}; a must be a matrix (M, N) "
            "and b of shape (M,) or (M, K), or a stack of matrices (..., M, N) with b "
            "(..., M, K) or (..., M), as PyTorch's torch.linalg.lstsq takes")
    if rcond is not None and a.requires_grad and _grad_mode.enabled:
        _refuse_a_cut_of_nonzero_values(a.data, rcond)
    packed = _lstsq(a, b, rcond=rcond)
    x, residuals, s, rank = _unpack(packed, a.shape, b.shape)
    if packed.dtype.kind == "c":          # (real values, packed with a complex x)
        residuals, s = real(residuals), real(s)
    return LstsqResult(x, residuals, np.int32(rank), s)


def _stacked_lstsq(a, b, rcond):
    """PyTorch's batched ``torch.linalg.lstsq``: a (..., M, N) with b (..., M, K), or
    (..., M) for a stack of vectors, the stacks broadcast; one lstsq per matrix, the
    results stacked.  As in PyTorch, the residuals are empty unless every matrix has
    full column rank and more rows than columns, and the rank is a Tensor of ranks;
    the ranks and singular values are a's (its stack's shape, not the broadcast one)."""
    from .shape import broadcast_to, stack
    vector = b.ndim == a.ndim - 1
    if vector:
        b = b.unsqueeze(-1)
    if b.ndim != a.ndim or b.shape[-2] != a.shape[-2]:
        raise np.linalg.LinAlgError(
            f"lstsq: a has shape {a.shape} and b {b.shape}; a stack of matrices "
            "(..., M, N) takes b (..., M, K) or (..., M) with the same M")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a_batch = a.shape[:-2]
    a = broadcast_to(a, batch + a.shape[-2:]).reshape((-1,) + a.shape[-2:])
    b = broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    results = [lstsq(a_i, b_i, rcond) for a_i, b_i in zip(a, b)]
    solution = stack([r.solution for r in results]).reshape(batch + results[0].solution.shape)
    if vector:
        solution = solution[..., 0]
    if all(r.residuals.shape[0] for r in results):
        residuals = stack([r.residuals for r in results]).reshape(batch + (-1,))
    else:
        residuals = Tensor(np.zeros(0, solution.dtype))
    rank = Tensor(np.array([int(r.rank) for r in results], np.int64).reshape(batch))
    singular_values = stack([r.singular_values for r in results]).reshape(batch + (-1,))
    return LstsqResult(solution, residuals, _of_a(rank, batch, a_batch),
                       _of_a(singular_values, batch, a_batch))


def _of_a(values, batch, a_batch):
    """The entries of ``values`` (stacked over the broadcast ``batch``) for a's own stack
    ``a_batch``: the first along each dimension a was broadcast over."""
    padded = (1,) * (len(batch) - len(a_batch)) + tuple(a_batch)
    first = tuple(slice(0, 1) if n == 1 else slice(None) for n in padded)
    return values[first].reshape(tuple(a_batch) + tuple(values.shape[len(batch):]))


def _refuse_a_cut_of_nonzero_values(a, rcond):
    """The gradient assumes the singular values lstsq treats as zero are zero (as
    NumPy's default cutoff, rounding level, assumes): refuse an ``rcond`` that cuts
    larger ones."""
    s = np.linalg.svd(a, compute_uv=False)
    if s.size == 0:
        return
    numerical_zero = max(a.shape) * np.finfo(s.dtype).eps * s[0]
    dropped = (s <= rcond * s[0]) & (s > numerical_zero)    # LAPACK: s <= rcond * s[0]
    if dropped.any():
        raise ValueError(
            f"lstsq: rcond={rcond!r} treats the singular value {s[dropped].max():.6g} "
            f"(largest {s[0]:.6g}) of a (shape {a.shape}) as zero, but the gradient "
            "holds only where the values treated as zero are zero; call it on a.detach() "
            "if no gradient for a is needed, or drop rcond")
