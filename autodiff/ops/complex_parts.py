"""np.real, np.imag, np.conj, np.angle and np.real_if_close on Tensors.

Of a complex tensor they are recorded ops (complex_ops.py: PyTorch's convention for
complex gradients).  Of a real one they are simple: the real part is the tensor
itself (so is ``real_if_close``), as NumPy returns a real array itself; the conjugate
is a copy, as NumPy's (an identity op on the tape); the imaginary part is zeros and
the angle 0 or pi, both piecewise constant: of a float tensor they are ops on the tape
with gradient 0, as ``sign`` and ``floor`` (and ``torch.angle``).  An integer tensor
gets NumPy's result, untracked.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made     # parts computed again at each replay of ad.compile
from ..compile.refusals import refuse_traced_values
from ..tensor import Tensor
from .registry import defop, implements


def _zero_rule(xp, g, ans, x, *args, **kwargs):
    return xp.zeros_like(g)


def _imag_copy(data):
    return np.imag(data).copy()


# Of a float tensor: on the tape, gradient 0 (piecewise constant), as sign and floor.
_imag_of_real = defop("imag", _imag_copy, x=("0", _zero_rule), zero_grad_ae=True, reads=(),
                      elementwise=True,
                      doc="The imaginary part of a real tensor: zeros, gradient 0.\n\n"
                          ">>> ad.imag(ad.tensor([1.0]))\ntensor([0.])")
_angle_of_real = defop("angle", lambda x, deg=False: np.angle(x, deg=deg),
                       x=("0", _zero_rule), deg=None, zero_grad_ae=True, reads=(),
                       elementwise=True,
                       doc="The argument of a real tensor: 0 or pi, gradient 0.\n\n"
                           ">>> ad.angle(ad.tensor([-1.0]))\ntensor([3.14159265])")


def _complex_ops():
    from . import complex_ops       # (imported on first use: it builds on this module)
    return complex_ops


def _real_float_tensor(x):
    return isinstance(x, Tensor) and x.dtype.kind == "f"


def _is_complex(x):
    return np.iscomplexobj(x.data if isinstance(x, Tensor) else x)


def _noted_part(part, whole, name: str) -> Tensor:
    """``part``, noted as the part ``name`` of the complex tensor ``whole`` so that
    writes into it reach ``whole``, as into NumPy's view (complex_part_writes.py)."""
    from ..complex_part_writes import note_part
    note_part(part, whole, name)
    return part


@implements(np.real)
def real(val) -> Tensor:
    """The real part: a real tensor itself.

    >>> x = ad.tensor([1.0, 2.0]); ad.real(x) is x
    True
    """
    if isinstance(val, Tensor) and val.dtype.kind == "c":
        return _noted_part(_complex_ops().real_op(val), val, "real")
    if _is_complex(val):
        return Tensor(made("real", np.real, (val,)))
    return val if isinstance(val, Tensor) else Tensor(val)


@implements(np.imag)
def imag(val) -> Tensor:
    """The imaginary part: zeros for a real tensor (on the tape, gradient 0).

    >>> ad.imag(ad.tensor([1.0, 2.0]))
    tensor([0., 0.])
    """
    if isinstance(val, Tensor) and val.dtype.kind == "c":
        return _noted_part(_imag_of_real(val), val, "imag")   # (the op's complex twin)
    if _real_float_tensor(val):
        return _imag_of_real(val)
    data = val.data if isinstance(val, Tensor) else np.asarray(val)
    return Tensor(made("imag", _imag_copy, (data,)))


@implements(np.conjugate)
def conj(x) -> Tensor:
    """The complex conjugate: of a real tensor, a copy (as ``np.conjugate`` makes a new
    array: writing into it leaves ``x`` alone).

    >>> x = ad.tensor([1.0, 2.0]); y = ad.conj(x); y is x, y.tolist()
    (False, [1.0, 2.0])
    """
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if isinstance(x, Tensor) and data.dtype.kind == "c":
        return _complex_ops().conj_op(x)
    if _is_complex(x) or data.dtype == bool:      # NumPy makes a bool's conjugate int8
        return Tensor(made("conjugate", np.conj, (data,)))
    return x.copy(order="K") if isinstance(x, Tensor) else Tensor(np.array(data))



@implements(np.angle)
def angle(z, deg: bool = False) -> Tensor:
    """The argument: for a real tensor 0 where it is positive and pi where negative
    (180 with ``deg``), piecewise constant: on the tape with gradient 0, as ``sign``.

    >>> ad.angle(ad.tensor([2.0, -2.0]))
    tensor([0.        , 3.14159265])
    """
    if _real_float_tensor(z) or (isinstance(z, Tensor) and z.dtype.kind == "c"):
        return _angle_of_real(z, deg=bool(deg))     # (complex: the op's complex twin)
    data = z.data if isinstance(z, Tensor) else np.asarray(z)
    return Tensor(made("angle", np.angle, (data,), {"deg": deg}))


@implements(np.real_if_close)
def real_if_close(a, tol: float = 100) -> Tensor:
    """``a`` without its imaginary part when every entry's is below ``tol`` (in units
    of the dtype's machine epsilon when ``tol > 1``), as NumPy's: then ``np.real(a)``,
    recorded, else ``a`` itself; a real tensor itself.

    >>> x = ad.tensor([1.0, 2.0]); ad.real_if_close(x) is x
    True
    >>> ad.real_if_close(ad.tensor([1.0 + 1e-20j, 2.0]))
    tensor([1., 2.])
    """
    if not _is_complex(a):
        return a if isinstance(a, Tensor) else Tensor(a)
    refuse_traced_values(a, "real_if_close", "whether its result is real or complex "
                         "depends on the imaginary parts", "Take np.real(a) (or keep "
                         "a complex), or call it outside the compiled function")
    data = a.data if isinstance(a, Tensor) else np.asarray(a)
    if not isinstance(a, Tensor):
        return Tensor(np.real_if_close(data, tol=tol))
    if np.real_if_close(data, tol=tol).dtype.kind == "c":
        return a
    return real(a)
