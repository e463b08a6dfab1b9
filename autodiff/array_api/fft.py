"""``xp.fft`` of ``ad.array_api``: the standard's FFT extension, NumPy's ``np.fft``
functions, which record on Tensors (complex results carry gradients as elsewhere in
the library); ``fftfreq`` and ``rfftfreq`` give Tensors, in the ``dtype`` asked for.

>>> from autodiff import array_api as xp
>>> xp.fft.rfftfreq(4, dtype=xp.float32)
tensor([0.  , 0.25, 0.5 ], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .creation import created
from .numpy_names import numpy_functions

#: The extension's functions that are ``np.fft``'s, unchanged: each records on Tensors.
NUMPY_NAMES = ("fft ifft fftn ifftn rfft irfft rfftn irfftn hfft ihfft fftshift "
               "ifftshift").split()

globals().update(numpy_functions(np.fft, NUMPY_NAMES))


def _frequencies(numpy_function, n, d, dtype):
    values = numpy_function(n, d)
    return values if dtype is None else values.astype(dtype)


def fftfreq(n, /, *, d=1.0, dtype=None, device=None) -> Tensor:
    """The sample frequencies of ``fft`` (float64 unless ``dtype``)."""
    return created("fftfreq", device, _frequencies, np.fft.fftfreq, n, d, dtype)


def rfftfreq(n, /, *, d=1.0, dtype=None, device=None) -> Tensor:
    """The sample frequencies of ``rfft`` (float64 unless ``dtype``)."""
    return created("rfftfreq", device, _frequencies, np.fft.rfftfreq, n, d, dtype)
