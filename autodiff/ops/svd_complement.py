"""The complement of a full SVD: with ``full_matrices=True`` a non-square matrix's U
(m > n) or Vh (m < n) carries ``|m - n|`` extra vectors Q, an orthonormal basis of the
space orthogonal to the k = min(m, n) singular vectors B.

Q moves with B: keeping Q orthonormal and orthogonal to B, the least motion is the
tangent ``dQ = -B dB.T Q``.  For a one-dimensional complement (the null vector of an
(n - 1) x n matrix, as a homography's direct linear transform takes) that is the
derivative, up to Q's sign, as for every singular vector; for a wider one it is the
derivative of results that depend only on the span of Q (``Q @ Q.T``), not of those that
depend on the basis LAPACK chose.  The VJP takes the adjoint, ``g_B += -Q g_Q.T B``,
where the cotangent shows the result depends only on the span (``Q.T g_Q`` symmetric:
a rotation ``Q -> Q R`` leaves it unchanged), and refuses it otherwise, and for complex
matrices, whose vectors carry a phase as well.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def _swap(xp, x):
    return xp.swapaxes(x, -1, -2)


def complement_tangent(xp, basis, d_basis, complement):
    """A tangent of the complement columns Q (full_matrices=True): ``-B dB.T Q``, the
    least rotation keeping Q orthonormal and orthogonal to B.  It is right for uses of
    Q that do not depend on the choice of its basis, such as ``Q @ Q.T`` or a single
    null vector up to its sign."""
    return -xp.matmul(basis, xp.matmul(_swap(xp, d_basis), complement))


def reduce_complement_cotangent(xp, u, vh, g_u, g_vh, shape, complex_values=False):
    """``(U, Vh, g_U, g_Vh)`` of the reduced SVD from a full one's, the cotangent on the
    complement moved onto the reduced vectors (the adjoint of ``complement_tangent``)."""
    m, n = shape[-2:]
    k = min(m, n)
    tall = m > k
    if tall:
        basis, complement, g_complement = u[..., :, :k], u[..., :, k:], g_u[..., :, k:]
    else:
        basis, complement = _swap(xp, vh[..., :k, :]), _swap(xp, vh[..., k:, :])
        g_complement = _swap(xp, g_vh[..., k:, :])
    u, vh, g_u, g_vh = u[..., :, :k], vh[..., :k, :], g_u[..., :, :k], g_vh[..., :k, :]
    if not np.any(_data(g_complement)):
        return u, vh, g_u, g_vh
    _refuse_a_basis_dependent_use(complement, g_complement, shape, tall, complex_values)
    g_basis = -xp.matmul(complement, xp.matmul(_swap(xp, g_complement), basis))
    if tall:
        return u, vh, g_u + g_basis, g_vh
    return u, vh, g_u, g_vh + _swap(xp, g_basis)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _refuse_a_basis_dependent_use(complement, g_complement, shape, tall, complex_values):
    """Raise unless the cotangent ``g_Q`` depends only on the span of Q (``Q.T g_Q``
    symmetric, always so for one vector), or for a complex matrix."""
    q, g_q = _data(complement), _data(g_complement)
    width = q.shape[-1]
    overlap = np.matmul(np.swapaxes(q, -1, -2), g_q)
    skew = np.abs(overlap - np.swapaxes(overlap, -1, -2))
    rounding = np.sqrt(np.finfo(q.dtype).eps) * np.max(np.abs(g_q))   # (float32 too)
    if not complex_values and np.max(skew, initial=0.0) <= rounding:
        return
    what = "columns of U" if tall else "rows of Vh"
    advice = ("use full_matrices=False" if complex_values else
              f"a result that depends only on their span (a projector Q @ Q.T, or the null "
              f"vector when the complement is one-dimensional) has one, but this one "
              f"changes with a rotation of those {width} {what}: use full_matrices=False, "
              f"or project onto the span")
    raise ValueError(
        f"svd: with full_matrices=True the last {width} {what} are an arbitrary basis of "
        f"the complement, so a result that depends on them has no gradient (input shape "
        f"{tuple(shape)}{', complex' if complex_values else ''}); {advice}")
