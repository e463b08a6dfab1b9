"""NumPy's own dtype objects for arrays that carry an equal copy.

NumPy keeps one dtype object per built-in type (``np.dtype(np.float64)`` is always the
same object), and the library's fast paths compare dtypes by identity.  An unpickled
array (from ``pickle``, a worker process, Numba's on-disk cache) carries an equal copy,
and NumPy hands that copy on to every result computed from it: the values are right,
but every op downstream would take its slow path.  Arrays entering the library are
given the built-in object instead (a view: no data is copied).

>>> import pickle
>>> copy = pickle.loads(pickle.dumps(np.ones(2)))
>>> copy.dtype is np.dtype(np.float64), with_canonical_dtype(copy).dtype is np.dtype(np.float64)
(False, True)
"""

from __future__ import annotations

import numpy as np

_BUILTIN_IDS = frozenset(id(np.dtype(code)) for code in "?bhilqpBHILQPefdgFDG")


def canonical_dtype(dtype: np.dtype) -> np.dtype:
    """NumPy's built-in dtype object equal to ``dtype``; ``dtype`` itself when it is
    one, or has fields, metadata or a non-native byte order."""
    if (id(dtype) in _BUILTIN_IDS or dtype.kind not in "biufc" or dtype.names is not None
            or dtype.metadata is not None or not dtype.isnative):
        return dtype
    canonical = np.dtype(dtype.str)
    return canonical if canonical == dtype else dtype


def with_canonical_dtype(array: np.ndarray) -> np.ndarray:
    """``array``, or a view of it with NumPy's built-in dtype object (see above)."""
    dtype = array.dtype
    if id(dtype) in _BUILTIN_IDS:
        return array
    canonical = canonical_dtype(dtype)
    return array if canonical is dtype else array.view(canonical)
