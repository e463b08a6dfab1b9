"""The cofactor matrix ``det(a) * inv(a).T`` in the two forms ``det``'s gradient uses
where the inverse cannot be formed: from an SVD on arrays (the first-order gradient,
accurate at and near singular matrices), and as signed determinants of the minors on
Tensors (recorded, for the derivatives of that gradient at a singular matrix).
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
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * np.matmul(u * (before * after)[..., None, :], vh)


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
