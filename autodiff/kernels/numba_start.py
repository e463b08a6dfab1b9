"""Start Numba without importing ``scipy.linalg``.

Numba's first compile or on-disk cache load initialises its CPU target (the
context's ``refresh``), which imports ``numba.np.arraymath``; that module checks at
import that BLAS is there by importing ``scipy.linalg.cython_blas``, and importing it
runs the whole ``scipy.linalg`` package first.  With SciPy 1.17 that package also
imports ``numpy.f2py``, ``numpy.ma`` and ``numpy.testing`` (through its array-API
layer): 0.25-0.3 s of a fresh process's first compiled call, for a check only.
No autodiff kernel calls BLAS.

``start`` imports Numba and initialises its target once, with the extension module
``scipy.linalg.cython_blas`` loaded on its own (it needs only the top-level ``scipy``
package, which Numba's check imports anyway), then takes it back out of
``sys.modules``: a later ``import scipy.linalg`` or a Numba kernel that calls
``np.dot`` imports it the ordinary way.  Where any step fails, Numba does its own
import as before.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

BLAS_MODULE = "scipy.linalg.cython_blas"


def start():
    """Import Numba and initialise its CPU target (what its first compile would do)."""
    from numba.core.registry import cpu_target
    preloaded = _load_cython_blas_alone()
    try:
        cpu_target.target_context.refresh()
    finally:
        if preloaded:
            _put_back()


def _load_cython_blas_alone() -> bool:
    """Put ``scipy.linalg.cython_blas`` in ``sys.modules`` without running
    ``scipy.linalg/__init__``; False (nothing changed) where SciPy is absent, already
    imported, or laid out otherwise."""
    if BLAS_MODULE in sys.modules or "scipy.linalg" in sys.modules:
        return False
    try:
        scipy_spec = importlib.util.find_spec("scipy")
        if scipy_spec is None or not scipy_spec.submodule_search_locations:
            return False
        linalg = [os.path.join(p, "linalg") for p in scipy_spec.submodule_search_locations]
        spec = importlib.machinery.PathFinder.find_spec(BLAS_MODULE, linalg)
        if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            return False
        module = importlib.util.module_from_spec(spec)
        sys.modules[BLAS_MODULE] = module
        spec.loader.exec_module(module)
    except Exception:
        sys.modules.pop(BLAS_MODULE, None)
        return False
    return True


def _put_back():
    """Leave the import state as an ordinary import would have: gone from
    ``sys.modules`` if ``scipy.linalg`` was not imported meanwhile, else bound on it."""
    module = sys.modules.get(BLAS_MODULE)
    linalg = sys.modules.get("scipy.linalg")
    if linalg is None:
        sys.modules.pop(BLAS_MODULE, None)
    elif module is not None and not hasattr(linalg, "cython_blas"):
        linalg.cython_blas = module
