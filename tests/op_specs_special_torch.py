"""Specs for torch.special's functions in autodiff/ops/special_torch.py (ndtr, log_ndtr,
ndtri, erfcx, i0e, i1e, entr, xlog1py, zeta).  Imported at the end of op_specs.py, whose
helpers they use.

The references are SciPy's functions (SciPy comes with scikit-learn, a test
dependency), independent of the library's kernels.  Inputs stay where finite
differences are well conditioned: i0e and i1e away from their kink at 0, entr and
zeta's q positive, ndtri inside (0, 1)."""

from __future__ import annotations

from scipy import special

from autodiff import special as ad_special
from op_specs import binary, unary

SPECS = [
    unary("ndtr", ad_special.ndtr, special.ndtr, -4.0, 4.0),
    unary("log_ndtr", ad_special.log_ndtr, special.log_ndtr, -6.0, 3.0),
    unary("ndtri", ad_special.ndtri, special.ndtri, 0.05, 0.95),
    unary("erfcx", ad_special.erfcx, special.erfcx, -2.0, 4.0),
    unary("i0e", ad_special.i0e, special.i0e, 0.3, 9.0, signed=True),
    unary("i1e", ad_special.i1e, special.i1e, 0.3, 9.0, signed=True),
    unary("entr", ad_special.entr, special.entr, 0.1, 3.0),
    binary("xlog1py", ad_special.xlog1py, special.xlog1py, b_range=(-0.5, 2.0)),
    unary("zeta", lambda q: ad_special.zeta(3.5, q), lambda q: special.zeta(3.5, q), 0.3, 4.0),
]
