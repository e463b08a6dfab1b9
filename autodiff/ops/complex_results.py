"""``np.sort_complex`` on Tensors: a cast to NumPy's complex dtype and a sort by real,
then imaginary part, recorded, so each entry's gradient goes back to the entry it came
from (``np.roots``, ``np.linalg.eig`` and ``eigvals``, whose results are complex too,
are in ``ops/eig.py``; the ops with complex rules are named in ``ops/complex_ops.py``).
"""

from __future__ import annotations

import numpy as np

from .numpy_dispatch import implements
from .operands import tensor_of


@implements(np.sort_complex)
def sort_complex(a):
    """``a`` sorted along its last axis by real part, then imaginary part, as complex
    numbers of NumPy's dtype (complex64 for small integers, complex128 for float32 as
    for float64), as ``np.sort_complex``; each entry's gradient goes back to the entry
    it came from (the real part of it for a real input).

    >>> x = ad.tensor([3.0, 1.0, 2.0], requires_grad=True)
    >>> y = np.sort_complex(x)
    >>> (y * ad.tensor([1.0, 10.0, 100.0])).real.sum().backward(); y
    tensor([1.+0.j, 2.+0.j, 3.+0.j], dtype=complex128, requires_grad=True)
    >>> x.grad
    array([100.,   1.,  10.])
    """
    from .elementwise import astype
    from .ordering import sort
    a = tensor_of(a)
    dtype = np.sort_complex(np.empty(0, a.dtype)).dtype      # (NumPy's choice of dtype)
    return sort(a if a.dtype == dtype else astype(a, dtype), axis=-1)
