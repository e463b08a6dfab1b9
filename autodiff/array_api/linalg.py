"""``xp.linalg`` of ``ad.array_api``: the standard's linear-algebra extension, NumPy's
``np.linalg`` functions, which record on Tensors (``matrix_rank``, an integer, is a
Tensor without gradient).

>>> from autodiff import array_api as xp
>>> a = ad.tensor([[2.0, 0.0], [0.0, 4.0]], requires_grad=True)
>>> xp.linalg.solve(a, ad.tensor([2.0, 2.0])).sum().backward()
>>> a.grad
array([[-0.5  , -0.25 ],
       [-0.25 , -0.125]])
"""

from __future__ import annotations

import numpy as np

from .numpy_names import numpy_functions, refuse_missing
from .results import matrix_rank  # noqa: F401

#: The extension's functions that are ``np.linalg``'s, unchanged: each records on Tensors.
NUMPY_NAMES = (
    "cholesky cross det diagonal eigh eigvalsh inv matmul matrix_norm matrix_power "
    "matrix_transpose outer pinv qr slogdet solve svd svdvals tensordot trace vecdot "
    "vector_norm").split()

globals().update(numpy_functions(np.linalg, NUMPY_NAMES))


def __getattr__(name):
    raise refuse_missing(__name__, name, NUMPY_NAMES)
