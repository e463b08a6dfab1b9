"""A check for ``numpy.polynomial``'s series evaluation at a Tensor.

``np.polynomial.polynomial.polyval(x, c)`` (and ``chebval``, ``legval``, ``hermval``,
``hermeval``, ``lagval``) evaluates every column of a coefficient array of two or more
dimensions at every point of ``x`` (``tensor=True``, the default) by reshaping ``c`` to
``c.shape + (1,) * x.ndim``, but only when ``x`` is an ndarray: for a Tensor the
reshape is skipped and the columns broadcast against ``x`` instead, a different result
computed without any error.  NumPy does not hand these functions to the Tensor, so the
first operation of the Tensor with the coefficients inside one of them refuses it.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

#: The series evaluations whose ``tensor=True`` reshape tests ``isinstance(x, np.ndarray)``.
_EVALUATIONS = {
    getattr(getattr(np.polynomial, module), name).__code__: f"np.polynomial.{module}.{name}"
    for module, name in (("polynomial", "polyval"), ("chebyshev", "chebval"),
                         ("legendre", "legval"), ("hermite", "hermval"),
                         ("hermite_e", "hermeval"), ("laguerre", "lagval"))}


def refuse_columns_broadcast_against_a_tensor(frame) -> None:
    """Raise when ``frame`` (the caller of a ufunc on a Tensor) is one of those
    evaluations given a Tensor ``x`` of one or more dimensions, coefficients of two or
    more dimensions and ``tensor=True``."""
    name = _EVALUATIONS.get(frame.f_code) if frame is not None else None
    if name is None:
        return
    scope = frame.f_locals
    x, c = scope.get("x"), scope.get("c")
    if (scope.get("tensor") and isinstance(x, Tensor) and x.ndim
            and isinstance(c, np.ndarray) and c.ndim > 1):
        raise TypeError(
            f"{name} at a Tensor x of shape {x.shape} with coefficients of shape {c.shape}: "
            "NumPy evaluates each column of c at every point (tensor=True) by reshaping c "
            "only when x is an ndarray, so for a Tensor the columns would broadcast against "
            "x instead, a different result. Reshape them yourself and say so, "
            f"{name.rsplit('.', 1)[1]}(x, c.reshape(c.shape + (1,) * x.ndim), tensor=False), "
            "which is NumPy's result for ndarrays and Tensors alike")
