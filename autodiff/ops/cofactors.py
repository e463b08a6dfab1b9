"""The cofactor matrix ``det(a) * inv(a).T``, which is ``det``'s gradient, in the forms
it takes: from an SVD on arrays (the first-order gradient, accurate at and near
singular matrices), and recorded on Tensors for a second order (``recorded_cofactors``:
``det(a) * inv(a).T``, or the signed determinants of the minors at and near a singular
matrix, where the derivative of the former cancels huge terms).
"""

from __future__ import annotations

import numpy as np


def cofactor_array(a):
    """``det(a) * inv(a).T`` (the cofactor matrix) from an SVD, so that it is also
    right, and accurate, at singular and nearly singular matrices.

    >>> cofactor_array(np.array([[1.0, 2.0], [2.0, 4.0]])).round(12) + 0.0
    array([[ 4., -2.],
           [-2.,  1.]])
    """
    u, s, vh = np.linalg.svd(a)
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    # a = U S Vh: the cofactors are det(U) det(Vh) conj(U C Vh), C holding the
    # products of the other singular values
    product = np.matmul(u * (before * after)[..., None, :], vh)
    if np.iscomplexobj(product):
        product = np.conj(product)
    return (np.linalg.det(u) * np.linalg.det(vh))[..., None, None] * product


def cofactors_by_minors(xp, a):
    """The cofactor matrix as signed determinants of the minors, recorded: right at a
    singular matrix, where ``det(a) * inv(a).T`` cannot be formed, and differentiable
    again (each minor's determinant has this same rule).

    >>> from autodiff.ops.namespace import numpy_xp
    >>> cofactors_by_minors(numpy_xp, np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[ 4., -3.],
           [-2.,  1.]])
    """
    n = a.shape[-1]
    keep = np.array([[k for k in range(n) if k != skipped] for skipped in range(n)],
                    dtype=np.intp).reshape(n, n - 1)
    rows = keep.reshape(n, 1, n - 1, 1)                   # minor (i, j): rows but i ...
    cols = keep.reshape(1, n, 1, n - 1)                   # ... columns but j
    minors = a[..., rows, cols]                           # (..., n, n, n - 1, n - 1)
    signs = (-1.0) ** np.add.outer(np.arange(n), np.arange(n))
    return xp.det(minors) * signs


def recorded_cofactors(xp, a, det_a):
    """The cofactor matrix of the Tensor ``a`` (whose determinant is ``det_a``),
    recorded so that its derivatives are accurate: ``det(a) * inv(a).T``, or the
    minors' determinants for 1x1 matrices and where a matrix of the batch is nearly
    singular or ``inv`` fails (the derivative of ``det(a) * inv(a).T`` loses every digit there).

    >>> from autodiff.ops.namespace import tensor_xp
    >>> a = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> recorded_cofactors(tensor_xp, a, ad.linalg.det(a)).data.round(12) + 0.0
    array([[ 4., -3.],
           [-2.,  1.]])
    """
    if a.shape[-1] == 1 or nearly_singular(a.data):
        # (a 1x1's cofactor is 1, which inv(a) * det(a) rounds, or overflows, at 1e-300)
        return cofactors_by_minors(xp, a)
    try:
        inverse_t = xp.swapaxes(xp.inv(a), -1, -2)
    except np.linalg.LinAlgError:
        return cofactors_by_minors(xp, a)
    return xp.expand_dims(xp.expand_dims(det_a, -1), -1) * inverse_t


def nearly_singular(a) -> bool:
    """Whether a matrix of the batch has a condition number beyond 1 / sqrt(eps).

    >>> nearly_singular(np.array([[1.0, 1.0], [1.0, 1.0 + 1e-12]]))
    True
    """
    if a.size == 0:
        return False
    values = np.linalg.svd(a, compute_uv=False)
    eps = np.finfo(values.dtype).eps
    return bool(np.any(values[..., -1] <= values[..., 0] * np.sqrt(eps)))
