"""A check for ``numpy.polynomial``'s series evaluation at a Tensor.

``np.polynomial.polynomial.polyval(x, c)`` (and ``chebval``, ``legval``, ``hermval``,
``hermeval``, ``lagval``) evaluates every column of a coefficient array of two or more
dimensions at every point of ``x`` (``tensor=True``, the default) by reshaping ``c`` to
``c.shape + (1,) * x.ndim``, but only when ``x`` is an ndarray: for a Tensor the
reshape is skipped and the columns broadcast against ``x`` instead, a different result
computed without any error.  ``polyvalfromroots(x, r)`` reshapes its roots the same way
(even one-dimensional ones).  NumPy does not hand these functions to the Tensor, so the
first NumPy function or ufunc they call on it refuses the call.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

#: The series evaluations whose ``tensor=True`` reshape tests ``isinstance(x, np.ndarray)``:
#: their name, the name of the array they reshape and the fewest dimensions it needs
#: for the reshape to change the result.
_EVALUATIONS = {
    getattr(getattr(np.polynomial, module), name).__code__: (
        f"np.polynomial.{module}.{name}", array, dimensions)
    for module, name, array, dimensions in (
        ("polynomial", "polyval", "c", 2), ("chebyshev", "chebval", "c", 2),
        ("legendre", "legval", "c", 2), ("hermite", "hermval", "c", 2),
        ("hermite_e", "hermeval", "c", 2), ("laguerre", "lagval", "c", 2),
        ("polynomial", "polyvalfromroots", "r", 1))}


def refuse_columns_broadcast_against_a_tensor(frame) -> None:
    """Raise when ``frame`` (the caller of a NumPy function or ufunc on a Tensor) is one
    of those evaluations given a Tensor ``x`` of one or more dimensions, an array of
    coefficients (or roots) that NumPy would reshape, and ``tensor=True``."""
    entry = _EVALUATIONS.get(frame.f_code) if frame is not None else None
    if entry is None:
        return
    name, array, dimensions = entry
    scope = frame.f_locals
    x, c = scope.get("x"), scope.get(array)
    if not (isinstance(x, Tensor) and isinstance(c, np.ndarray)):
        return
    if not scope.get("tensor") and array == "r" and x.ndim >= c.ndim:
        raise ValueError(f"{name}: x.ndim must be < r.ndim when tensor == False, as NumPy "
                         f"says (x of shape {x.shape}, r of shape {c.shape})")
    if scope.get("tensor") and x.ndim and c.ndim >= dimensions:
        what, paired = (("coefficients", "evaluates each column of c at every point")
                        if array == "c" else ("roots", "pairs every root with every point"))
        raise TypeError(
            f"{name} at a Tensor x of shape {x.shape} with {what} of shape {c.shape}: "
            f"NumPy {paired} (tensor=True) by reshaping {array} only when x is an ndarray, "
            f"so for a Tensor the {what} would broadcast against x instead, a different "
            "result. Reshape them yourself and "
            f"say so, {name.rsplit('.', 1)[1]}(x, {array}.reshape({array}.shape + (1,) * "
            "x.ndim), tensor=False), which is NumPy's result for ndarrays and Tensors alike")
