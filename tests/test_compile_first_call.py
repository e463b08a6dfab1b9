"""A fresh process's first compiled call starts Numba without importing ``scipy.linalg``
(``autodiff/kernels/numba_start.py``), and leaves imports of SciPy working as usual."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_FIRST_CALL = """
import sys
import numpy as np
import autodiff as ad

w = ad.tensor(np.linspace(-2, 2, 4096), requires_grad=True)

@ad.compile
def step():
    loss = (ad.sigmoid(w) * w).sum()
    loss.backward()
    return loss

step()
print(int('numba.np.arraymath' in sys.modules), int('scipy.linalg' in sys.modules))

import scipy.linalg
import scipy.linalg.cython_blas as blas
print(int(scipy.linalg.cython_blas is blas), int(len(blas.__pyx_capi__) > 0))

from numba.np import arraymath
print(int(arraymath._HAVE_BLAS))
"""


@pytest.mark.skipif(importlib.util.find_spec("scipy") is None
                    or os.environ.get("AUTODIFF_JIT", "1") == "0",
                    reason="needs SciPy, and Numba kernels")
def test_first_compiled_call_does_not_import_scipy_linalg():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", _FIRST_CALL], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True).stdout.split()
    started, linalg_imported, same_module, has_functions, blas_has = map(int, out)
    assert started == 1                 # Numba's target was initialised by the call
    assert linalg_imported == 0
    assert same_module == has_functions == 1    # a later import is an ordinary one
    assert blas_has == 1                # Numba found BLAS: its np.dot stays available
