"""Specs for np.i0 and the Bessel ops behind its derivatives (autodiff/ops/bessel.py).
Imported at the end of op_specs.py, whose helpers they use.

The references are SciPy's ``i0``/``i1`` (SciPy comes with scikit-learn, a test
dependency), independent of the library's series."""

from __future__ import annotations

import numpy as np
from scipy import special

import autodiff as ad
from op_specs import unary


def _i1_over_x(x):
    x = np.asarray(x, dtype=float)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.5, special.i1(safe) / safe)


SPECS = [
    unary("i0", lambda t: np.i0(t), special.i0, -9.0, 9.0),
    unary("bessel_i1", ad.bessel_i1, special.i1, -9.0, 9.0),
    unary("bessel_i1_over_x", ad.bessel_i1_over_x, _i1_over_x, -9.0, 9.0),
]
