"""A matrix product added into an existing array, through the BLAS NumPy uses.

``np.matmul`` always writes a fresh result (or overwrites ``out=``).  BLAS's ``gemm``
computes ``c = alpha * a @ b + beta * c``, so a plain SGD step ``w -= lr * (x.T @ d)``
can be one call that reads and writes ``w`` while it multiplies: the gradient is
never written, and never read back from memory.  ``ad.compile`` uses it for a weight
whose gradient is a product and dies after the update
(``autodiff/compile/gemm_update.py``).

The library is the one NumPy's own extension module links (found through it with
``ctypes``, so it is the same OpenBLAS and the same thread pool ``@`` uses); its
``cblas_?gemm`` under the names NumPy's wheels (``scipy_cblas_sgemm64_``, 64-bit
integers), older wheels (``cblas_sgemm64_``) and a system OpenBLAS (``cblas_sgemm``)
give it.  Where none is found (``AVAILABLE`` is False) callers compute the product
with NumPy instead.

>>> import numpy as np
>>> from autodiff.kernels import blas
>>> c = np.ones((2, 2)); a = np.eye(2); b = 2 * np.eye(2)
>>> if blas.AVAILABLE:
...     blas.add_product(c, a, b, -0.5)
... else:
...     c += -0.5 * (a @ b)
>>> c
array([[0., 1.],
       [1., 0.]])
"""

from __future__ import annotations

import ctypes

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)

#: (symbol prefix, suffix, integer type) in the order they are tried.
_NAMINGS = (("scipy_cblas_", "64_", ctypes.c_int64),
            ("cblas_", "64_", ctypes.c_int64),
            ("cblas_", "", ctypes.c_int))


def _find_gemms():
    """``{dtype: cblas_?gemm}`` from the library NumPy links, or None."""
    try:
        from numpy._core import _multiarray_umath as extension
    except ImportError:                 # pragma: no cover - NumPy < 2
        from numpy.core import _multiarray_umath as extension
    try:
        handle = ctypes.CDLL(extension.__file__)
    except OSError:                     # pragma: no cover - a platform without dlopen
        return None
    for prefix, suffix, integer in _NAMINGS:
        functions = {}
        for dtype, letter, scalar in ((_F32, "s", ctypes.c_float), (_F64, "d", ctypes.c_double)):
            function = getattr(handle, f"{prefix}{letter}gemm{suffix}", None)
            if function is None:
                break
            function.restype = None
            function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                 integer, integer, integer, scalar,
                                 ctypes.c_void_p, integer, ctypes.c_void_p, integer,
                                 scalar, ctypes.c_void_p, integer]
            functions[dtype] = function
        if len(functions) == 2:
            return functions
    return None


_GEMMS = _find_gemms()
AVAILABLE = _GEMMS is not None


def _operand(a):
    """``(array, transposed flag, leading dimension)`` of a 2-D operand for a row-major
    gemm: a C-contiguous array as it is, an F-contiguous one (a ``.T`` view) as the
    transpose of its C-contiguous base layout; anything else copied."""
    if not a.flags.c_contiguous:
        if a.flags.f_contiguous:
            return a, _TRANS, max(a.shape[0], 1)
        a = np.ascontiguousarray(a)
    return a, _NO_TRANS, max(a.shape[1], 1)


def fits(c, a, b) -> bool:
    """Whether ``add_product(c, a, b, ...)`` applies: 2-D float32 or float64 arrays of
    one dtype and matching shapes, ``c`` C-contiguous and writeable."""
    if not AVAILABLE:
        return False
    dtype = c.dtype
    if not ((dtype is _F32 or dtype is _F64) and a.dtype is dtype and b.dtype is dtype):
        return False
    if c.ndim != 2 or a.ndim != 2 or b.ndim != 2:
        return False
    if c.shape != (a.shape[0], b.shape[1]) or a.shape[1] != b.shape[0]:
        return False
    flags = c.flags
    return flags.c_contiguous and flags.writeable


def add_product(c, a, b, alpha, beta=1.0) -> None:
    """``c = beta * c + alpha * (a @ b)`` in one BLAS call, in place (``fits`` must
    hold); with the default ``beta`` 1, ``c += alpha * (a @ b)``.

    >>> import numpy as np
    >>> from autodiff.kernels import blas
    >>> c = np.zeros((2, 3), np.float32)
    >>> if blas.AVAILABLE:
    ...     blas.add_product(c, np.ones((2, 4), np.float32), np.ones((4, 3), np.float32), 0.5)
    ... else:
    ...     c += 0.5 * 4
    >>> c
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
    """
    m, n = c.shape
    k = a.shape[1]
    a, trans_a, lda = _operand(a)
    b, trans_b, ldb = _operand(b)
    _GEMMS[c.dtype](_ROW_MAJOR, trans_a, trans_b, m, n, k, alpha,
                    a.ctypes.data, lda, b.ctypes.data, ldb, beta, c.ctypes.data, max(n, 1))
