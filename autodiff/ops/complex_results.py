"""NumPy functions whose results are complex and that have no gradient rule here:
``np.sort_complex`` on Tensors (``np.roots``, ``np.linalg.eig`` and ``eigvals`` have
theirs in ``ops/eig.py``; the ops with complex rules are named in
``ops/complex_ops.py``).

Each runs without a gradient: NumPy's values, array
results as Tensors that do not require grad (a complex Tensor can hold them).  Given a
Tensor that requires grad, in grad mode, each raises, naming what to use instead,
rather than return values whose gradient would silently be lost.  ``ad.compile``
computes them again at each replay.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..graph import _grad_mode
from ..tensor import Tensor
from .numpy_dispatch import implements


def _part(numpy_function, index, args):
    result = numpy_function(*args)
    return result if index is None else result[index]


def _without_gradient(name, numpy_function, args, instead):
    """``numpy_function(*args)`` on the data, after refusing inputs that require grad."""
    for value in args:
        if isinstance(value, Tensor) and value.requires_grad and _grad_mode.enabled:
            raise TypeError(
                f"{name} of a Tensor that requires grad (shape {value.shape}, dtype "
                f"{value.dtype}): its values are complex in general, and it has no gradient "
                f"rule here. {instead} Or call it on "
                "t.detach() (or in ad.no_grad()) when no gradient is needed.")
    data = tuple(value.data if isinstance(value, Tensor) else value for value in args)
    result = numpy_function(*data)
    if isinstance(result, np.ndarray):
        return Tensor(made(name, _part, (numpy_function, None, data)))
    parts = [Tensor(made(f"{name}[{i}]", _part, (numpy_function, i, data)))
             for i in range(len(result))]
    return type(result)(*parts)                 # NumPy's named tuple (EigResult)


@implements(np.sort_complex)
def sort_complex(a):
    """``a`` sorted by real part, then imaginary part, as complex numbers, as
    ``np.sort_complex``: NumPy's values, without a gradient.

    >>> np.sort_complex(ad.tensor([3.0, 1.0, 2.0]))
    tensor([1.+0.j, 2.+0.j, 3.+0.j], dtype=complex128)
    """
    return _without_gradient(
        "numpy.sort_complex", np.sort_complex, (a,),
        "For real values, np.sort(t) sorts with a gradient (sort_complex only sorts and "
        "casts to complex).")
