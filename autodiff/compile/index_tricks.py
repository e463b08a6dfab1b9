"""``np.r_``, ``np.c_``, ``np.mgrid`` and ``np.ogrid`` as the compiled function's own
module sees them while it is traced: indexed with Python numbers, slices, strings and
constants of the plan alone, what they make is a constant of the plan too
(``call_constants.py``), as ``np.arange`` is.

>>> np.r_[0.5, 1:3]          # (outside a trace: NumPy's own)
array([0.5, 1. , 2. ])
"""

from __future__ import annotations

import os
import sys

import numpy as np

TRICKS = ("r_", "c_", "mgrid", "ogrid")


class CertifyingIndexTrick:
    """NumPy's index trick ``original``; in a trace, what a clean key makes is certified."""

    def __init__(self, original):
        self.original = original

    def __getitem__(self, key):
        from . import call_constants as cc

        result = self.original[key]
        if cc._tracing() is None:
            return result
        caller = os.path.abspath(sys._getframe(1).f_code.co_filename)
        if caller.startswith(cc._LIBRARY_DIRS) or not cc._clean(key):
            return result
        return cc._result(result, True)     # (a tuple or list of arrays for ogrid)

    def __len__(self):
        return len(self.original)

    def __getattr__(self, name):
        return getattr(self.original, name)


def install(numpy_namespace) -> None:
    """Bind the certifying tricks in ``numpy_namespace`` (call_constants' ``_NUMPY``)."""
    for name in TRICKS:
        setattr(numpy_namespace, name, CertifyingIndexTrick(getattr(np, name)))
