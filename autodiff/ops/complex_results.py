"""NumPy functions whose results are complex: ``np.roots``, ``np.linalg.eig``,
``np.linalg.eigvals`` and ``np.sort_complex`` on Tensors.

These have no gradient rule here (the ops with complex rules are named in
``ops/complex_ops.py``), so each runs without a gradient: NumPy's values, array
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


@implements(np.linalg.eig)
def eig(a):
    """Eigenvalues and right eigenvectors of a square matrix (or a stack), as
    ``np.linalg.eig``: NumPy's (complex in general) values, without a gradient.

    >>> w, v = np.linalg.eig(ad.tensor([[2.0, 0.0], [0.0, 3.0]])); w
    tensor([2., 3.])
    """
    return _without_gradient(
        "numpy.linalg.eig", np.linalg.eig, (a,),
        "For a symmetric matrix, np.linalg.eigh is differentiable (its eigenvalues and "
        "eigenvectors are real).")


@implements(np.linalg.eigvals)
def eigvals(a):
    """Eigenvalues of a square matrix (or a stack), as ``np.linalg.eigvals``: NumPy's
    (complex in general) values, without a gradient.

    >>> np.linalg.eigvals(ad.tensor([[0.0, -1.0], [1.0, 0.0]]))
    tensor([0.+1.j, 0.-1.j], dtype=complex128)
    """
    return _without_gradient(
        "numpy.linalg.eigvals", np.linalg.eigvals, (a,),
        "For a symmetric matrix, np.linalg.eigvalsh is differentiable.")


@implements(np.roots)
def roots(p):
    """The roots of the polynomial with coefficients ``p`` (highest power first), as
    ``np.roots``: NumPy's (complex in general) values, without a gradient.

    >>> np.roots(ad.tensor([1.0, -3.0, 2.0]))
    tensor([2., 1.])
    """
    return _without_gradient(
        "numpy.roots", np.roots, (p,),
        "The roots are the eigenvalues of the companion matrix, which is not symmetric; "
        "when all roots are known to be real and simple, a root r found without a "
        "gradient can be refined differentiably by a Newton step "
        "r - np.polyval(p, r) / np.polyval(np.polyder(p), r).")


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
