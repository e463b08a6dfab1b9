"""``np.linalg.qr``: the QR decomposition ``a = Q R`` of (..., m, n) matrices.

One primitive returns Q and R packed side by side (each flattened, along one last
axis), as the other decompositions pack their outputs (``decompositions.py``); the
public function slices the pack and reshapes.  The forward is NumPy's own, so Q and R
are NumPy's bit for bit, signs included.

The gradient, with k = min(m, n) and R's diagonal nonzero (a of full rank):

- m >= n (Q is m x n, R is n x n): with M = g_R R^T - Q^T g_Q,
  ``g_a = (g_Q + Q copyutl(M)) R^-T``, where ``copyutl(M)`` mirrors M's upper triangle
  (diagonal included) into the lower one.  It follows from ``dA = dQ R + Q dR`` with
  dR upper triangular and ``Q^T dQ`` skew-symmetric.
- m < n: ``a = [X | Y]`` with X square, so ``X = Q R_1`` and ``Y = Q R_2``: X takes the
  square case's gradient with ``g_Q + Y g_R2^T`` in place of g_Q, and Y gets ``Q g_R2``.

``mode='r'`` (R alone) is the same with g_Q = 0; ``mode='complete'`` is the same as
'reduced' when m <= n, and has no gradient when m > n (Q's last m - n columns are not
determined by a: any orthonormal completion would do).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..tensor import Tensor
from .decompositions import _data, _t
from .registry import defop, implements


class QRResult(NamedTuple):
    """``np.linalg.qr``'s result: Q with orthonormal columns, R upper triangular."""

    Q: Any
    R: Any


def _sizes(shape, mode):
    """(Q's shape, R's shape) for an input of ``shape`` (..., m, n)."""
    *batch, m, n = shape
    k = m if mode == "complete" else min(m, n)
    return tuple(batch) + (m, k), tuple(batch) + (k, n)


def _qr_forward(a, mode="reduced"):
    q, r = np.linalg.qr(a, mode=mode)
    batch = a.shape[:-2]              # (explicit sizes: -1 is ambiguous in an empty batch)
    return np.concatenate([q.reshape(batch + (q.shape[-2] * q.shape[-1],)),
                           r.reshape(batch + (r.shape[-2] * r.shape[-1],))], axis=-1)


def _full_rank_grad(xp, q, r, g_q, g_r, adjoint=_t):
    """g_a for a = Q R with Q (m, n), R (n, n) upper triangular, m >= n (for complex
    values ``adjoint`` is the conjugate transpose, and R's diagonal is real)."""
    k = r.shape[-1]
    dtype = _data(r).real.dtype           # (float32 stays float32)
    strictly_upper = np.triu(np.ones((k, k), dtype), 1)
    m = xp.matmul(g_r, adjoint(xp, r)) - xp.matmul(adjoint(xp, q), g_q)
    off = m * strictly_upper
    diagonal = m if adjoint is _t else xp.real(m)
    mirrored = off + adjoint(xp, off) + diagonal * np.eye(k, dtype=dtype)
    z = g_q + xp.matmul(q, mirrored)
    try:
        return adjoint(xp, xp.solve(r, adjoint(xp, z)))    # z R^-H, without an inverse
    except np.linalg.LinAlgError as error:
        raise np.linalg.LinAlgError(
            f"qr: the gradient needs R's diagonal nonzero, and R (shape {tuple(r.shape)}) "
            "has a zero on it: a is rank-deficient, where Q and R are not differentiable"
        ) from error


def _qr_rule(xp, g, ans, a, mode="reduced", adjoint=_t):
    q_shape, r_shape = _sizes(a.shape, mode)
    *batch, m, n = a.shape
    if mode == "complete" and m > n:
        raise NotImplementedError(
            f"qr: mode='complete' has no gradient for a of shape {tuple(a.shape)} (more rows "
            "than columns): Q's last columns are not determined by a. Use mode='reduced'; "
            "for the complement of a's columns (their span, or the unit normal up to its "
            "sign when a has one row more than columns) take np.linalg.svd(a)[0][..., "
            f"{n}:], whose gradient is defined for results that depend only on that span")
    size_q = q_shape[-2] * q_shape[-1]
    q = xp.reshape(ans[..., :size_q], q_shape)
    r = xp.reshape(ans[..., size_q:], r_shape)
    g_q = xp.reshape(g[..., :size_q], q_shape)
    g_r = xp.reshape(g[..., size_q:], r_shape)
    if m >= n:
        return _full_rank_grad(xp, q, r, g_q, g_r, adjoint)
    y, g_r2 = a[..., :, m:], g_r[..., :, m:]
    g_x = _full_rank_grad(xp, q, r[..., :, :m], g_q + xp.matmul(y, adjoint(xp, g_r2)),
                          g_r[..., :, :m], adjoint)
    return xp.concatenate(g_x, xp.matmul(q, g_r2), axis=-1)


_qr = defop(
    "qr_packed", _qr_forward,
    hint="qr needs matrices in the last two axes",
    doc="Q and R flattened side by side along a last axis; see ad.linalg.qr",
    a=("(g_Q + Q copyutl(g_R R.T - Q.T g_Q)) R^-T (m >= n; m < n: a = [X | Y] with "
       "X = Q R_1)", _qr_rule))


@implements(np.linalg.qr)
def qr(a, mode: str = "reduced"):
    """``np.linalg.qr``: ``(Q, R)`` with ``a = Q @ R``, Q's columns orthonormal and R
    upper triangular, batched over leading axes; ``mode='r'`` returns R alone
    (NumPy's meaning: PyTorch's returns an empty Q and R, and ``Q, R = qr(a,
    mode='r')`` is refused here, naming the forms to write).

    The values are NumPy's (LAPACK's signs: R's diagonal may be negative).  The
    gradient needs R's diagonal nonzero (a of full rank); ``mode='complete'`` has none
    when a has more rows than columns.

    >>> a = ad.tensor([[3.0, 1.0], [4.0, 2.0]], requires_grad=True)
    >>> q, r = ad.linalg.qr(a)
    >>> np.allclose((q @ r).data, a.data), float(abs(r[0, 0]))
    (True, 5.0)
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode={mode!r} is not supported on Tensors: use 'reduced', "
                         "'complete' or 'r' ('raw' returns LAPACK's Householder form, "
                         "which has no gradient here; call it on t.data)")
    if not isinstance(a, Tensor):
        a = Tensor(np.asarray(a))
    if a.ndim < 2:
        raise np.linalg.LinAlgError(f"qr: a has {a.ndim} dimensions (shape {a.shape}); it "
                                    "must be a matrix, or a stack of them, in its last two axes")
    packed = _qr(a, mode="complete" if mode == "complete" else "reduced")
    q_shape, r_shape = _sizes(a.shape, mode)
    size_q = q_shape[-2] * q_shape[-1]
    r = packed[..., size_q:].reshape(r_shape)
    if mode == "r":
        _refuse_unpacked_pair()
        return r
    return QRResult(packed[..., :size_q].reshape(q_shape), r)


def _refuse_unpacked_pair() -> None:
    """Raise when the user's line unpacks ``qr(a, mode='r')`` into two names, as
    PyTorch's ``(Q, R)`` with Q empty unpacks: here R alone is returned (NumPy's), and
    its rows would unpack silently for a matrix of two rows."""
    from ..call_unpacking import unpacks_into
    from ..tape_drop import called_function, user_frame
    frame = user_frame()
    if frame is not None and unpacks_into(frame, 2) and called_function(frame) == "qr":
        raise TypeError(
            "qr(a, mode='r') returns R alone here (NumPy's meaning), and this line unpacks "
            "it into two names, as PyTorch's (Q, R) with Q empty unpacks: the rows of R "
            "would be taken. Write R = ad.linalg.qr(a, mode='r'), or Q, R = "
            "ad.linalg.qr(a) for both factors")
