"""``ad.array_api``: the namespace of the Python array API standard for Tensors.

Array-API-generic code (SciPy's, scikit-learn's ``array_api_dispatch``, ...) starts
with ``xp = x.__array_namespace__()`` (or ``array_api_compat.array_namespace(x)``,
which calls it) and then calls ``xp.sum``, ``xp.exp``, ``xp.linalg.solve``, ...
For a Tensor, ``xp`` is this module, and every function that NumPy's dispatch records
on Tensors is NumPy's own function (``xp.exp is np.exp``): the values are NumPy's,
bit for bit, and the tape records them.  The rest are thin wrappers: creation
functions that return Tensors (``creation.py``), functions whose NumPy results are
NumPy values (``results.py``: ``argmax``, ``nonzero``, ``unique_*``, ...), the
standard's ``sort``/``argsort`` keywords and its dtype functions (``sorting.py``).
Dtypes and constants are NumPy's (``xp.float64 is np.float64``).  Arrays the
wrappers make go through ``ad.compile``'s hook, so a compiled function replays them.

>>> x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> xp = x.__array_namespace__()
>>> total = xp.sum(xp.exp(x - xp.max(x, axis=1, keepdims=True)))
>>> total.backward(); x.grad.round(4)
array([[ 0.3679, -0.3679],
       [ 0.3679, -0.3679]])
"""

from __future__ import annotations

import numpy as _np

from . import fft, linalg  # noqa: F401  (xp.fft and xp.linalg)
from .creation import (  # noqa: F401
    arange, asarray, empty, empty_like, eye, from_dlpack, full, full_like, linspace, ones,
    ones_like, zeros, zeros_like)
from .numpy_names import numpy_functions as _numpy_functions
from .numpy_names import refuse_missing as _refuse_missing
from .results import (  # noqa: F401
    all, any, argmax, argmin, count_nonzero, nonzero, unique_all, unique_counts,
    unique_inverse, unique_values)
from .sorting import argsort, can_cast, finfo, iinfo, result_type, sort  # noqa: F401

#: The version of the standard this namespace follows (NumPy 2.3's).
__array_api_version__ = "2024.12"

#: The versions ``Tensor.__array_namespace__(api_version=...)`` accepts: this one and
#: the earlier ones it contains, as NumPy accepts them.
API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12")

# Constants and dtypes: NumPy's own objects.
e, inf, nan, newaxis, pi = _np.e, _np.inf, _np.nan, _np.newaxis, _np.pi
bool = _np.bool_  # noqa: A001  (the standard's name)
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
float32, float64, complex64, complex128 = (_np.float32, _np.float64, _np.complex64,
                                           _np.complex128)

#: The standard's functions that are NumPy's, unchanged: each records on Tensors.
NUMPY_NAMES = (
    # elementwise
    "abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift "
    "bitwise_invert bitwise_or bitwise_right_shift bitwise_xor ceil clip conj copysign "
    "cos cosh divide equal exp expm1 floor floor_divide greater greater_equal hypot imag "
    "isfinite isinf isnan less less_equal log log1p log2 log10 logaddexp logical_and "
    "logical_not logical_or logical_xor maximum minimum multiply negative nextafter "
    "not_equal positive pow real reciprocal remainder round sign signbit sin sinh square "
    "sqrt subtract tan tanh trunc "
    # indexing, linear algebra, manipulation, searching, statistics, utilities
    "take take_along_axis matmul matrix_transpose tensordot vecdot broadcast_arrays "
    "broadcast_to concat expand_dims flip moveaxis permute_dims repeat reshape roll "
    "squeeze stack tile unstack searchsorted where cumulative_prod cumulative_sum max "
    "mean min prod std sum var diff tril triu meshgrid astype isdtype "
    "__array_namespace_info__").split()

globals().update(_numpy_functions(_np, NUMPY_NAMES))


def __getattr__(name):
    raise _refuse_missing(__name__, name, NUMPY_NAMES)
