"""``P(t)`` for a ``numpy.polynomial`` series object ``P`` (``Polynomial``,
``Chebyshev``, ``Legendre`` ..., as ``.fit`` makes them) at a Tensor ``t``, recorded.

NumPy's ``P(x)`` maps ``x`` from the series' domain onto its window by
``pu.mapdomain``, which makes an array of ``x`` first, so a Tensor left the tape there
(inside a transform, an error).  At a Tensor the call here does what NumPy's does on
it: ``off + scl * t`` with NumPy's ``mapparms(domain, window)``, then the series'
evaluation (``polyval``, ``chebval`` ...), which takes a Tensor as it is; the values
are NumPy's to the bit.  Series with Tensor coefficients are still NumPy's own.

>>> fitted = np.polynomial.Chebyshev([1.0, 0.5, 0.25], domain=[0.0, 4.0])
>>> x = ad.tensor([1.0, 3.0], requires_grad=True)
>>> fitted(x).sum().backward(); x.grad
array([0. , 0.5])
"""

from __future__ import annotations

from numpy.polynomial import _polybase, polyutils

from .tensor import Tensor


def install() -> None:
    """Make a series object's ``__call__`` record at a Tensor (once)."""
    numpy_call = _polybase.ABCPolyBase.__call__
    if getattr(numpy_call, "records_tensors", False):
        return

    def __call__(self, arg):
        if not isinstance(arg, Tensor):
            return numpy_call(self, arg)
        offset, scale = polyutils.mapparms(self.domain, self.window)
        return self._val(offset + scale * arg, self.coef)

    __call__.records_tensors = True
    __call__.__doc__ = numpy_call.__doc__
    _polybase.ABCPolyBase.__call__ = __call__
