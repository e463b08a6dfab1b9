"""np.real, np.imag, np.conj, np.angle and np.real_if_close on real Tensors.

Tensors on the tape are real, so these are simple: the real part is the tensor
itself (so is ``real_if_close``), as NumPy returns a real array itself; the conjugate
is a copy, as NumPy's (an identity op on the tape); the imaginary part is zeros and
the angle 0 or pi, both with no gradient (piecewise constant).  A complex
tensor (which cannot require grad) gets NumPy's result, untracked.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made     # parts computed again at each replay of ad.compile
from ..compile.refusals import refuse_traced_values
from ..tensor import Tensor
from .registry import implements


def _is_complex(x):
    return np.iscomplexobj(x.data if isinstance(x, Tensor) else x)


@implements(np.real)
def real(val) -> Tensor:
    """The real part: a real tensor itself.

    >>> x = ad.tensor([1.0, 2.0]); ad.real(x) is x
    True
    """
    if _is_complex(val):
        return Tensor(made("real", np.real, (val.data if isinstance(val, Tensor) else val,)))
    return val if isinstance(val, Tensor) else Tensor(val)


@implements(np.imag)
def imag(val) -> Tensor:
    """The imaginary part: zeros (with no gradient) for a real tensor.

    >>> ad.imag(ad.tensor([1.0, 2.0]))
    tensor([0., 0.])
    """
    data = val.data if isinstance(val, Tensor) else np.asarray(val)
    return Tensor(made("imag", _imag_copy, (data,)))


def _imag_copy(data):
    return np.imag(data).copy()


@implements(np.conjugate)
def conj(x) -> Tensor:
    """The complex conjugate: of a real tensor, a copy (as ``np.conjugate`` makes a new
    array: writing into it leaves ``x`` alone).

    >>> x = ad.tensor([1.0, 2.0]); y = ad.conj(x); y is x, y.tolist()
    (False, [1.0, 2.0])
    """
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if _is_complex(x) or data.dtype == bool:      # NumPy makes a bool's conjugate int8
        return Tensor(made("conjugate", np.conj, (data,)))
    return x.copy(order="K") if isinstance(x, Tensor) else Tensor(np.array(data))



@implements(np.angle)
def angle(z, deg: bool = False) -> Tensor:
    """The argument: for a real tensor 0 where it is positive and pi where negative
    (180 with ``deg``), piecewise constant, so with no gradient, as ``imag``.

    >>> ad.angle(ad.tensor([2.0, -2.0]))
    tensor([0.        , 3.14159265])
    """
    data = z.data if isinstance(z, Tensor) else np.asarray(z)
    return Tensor(made("angle", np.angle, (data,), {"deg": deg}))


@implements(np.real_if_close)
def real_if_close(a, tol: float = 100) -> Tensor:
    """``a`` without its imaginary part when that is negligible: a real tensor itself.

    >>> x = ad.tensor([1.0, 2.0]); ad.real_if_close(x) is x
    True
    """
    if _is_complex(a):
        refuse_traced_values(a, "real_if_close", "whether its result is real or complex "
                             "depends on the imaginary parts", "Take np.real(a) (or keep "
                             "a complex), or call it outside the compiled function")
        return Tensor(np.real_if_close(a.data if isinstance(a, Tensor) else a, tol=tol))
    return a if isinstance(a, Tensor) else Tensor(a)
