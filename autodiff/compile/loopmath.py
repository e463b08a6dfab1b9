"""exp and expm1 for generated loops: the vectorizable ones of ``autodiff.kernels.jit``
as ordinary Numba functions, one per precision.

``autodiff.kernels.jit`` inlines ``fexp`` at the Numba level (``inline="always"``),
which costs about a second of compile time per call site: fine for a hand-written
kernel with one exp, not for a generated loop with fifty.  Called as ordinary
functions they are compiled once, and LLVM still inlines them into the loop, which
still vectorizes (measured: the same speed, a fraction of the compile time).
Imported only by generated kernels, so only when Numba is in use.
"""

from __future__ import annotations

import numba

from ..kernels import jit as _jit

_OPTIONS = {"cache": True, "error_model": "numpy"}

exp32 = numba.njit(**_OPTIONS)(_jit._exp32)
exp64 = numba.njit(**_OPTIONS)(_jit._exp64)
expm1_32 = numba.njit(**_OPTIONS)(_jit._expm1_32)
expm1_64 = numba.njit(**_OPTIONS)(_jit._expm1_64)
