"""Specs for SciPy's special functions called on Tensors (autodiff/ops/scipy_special.py).
Imported at the end of op_specs.py, whose helpers they use.  The references are SciPy's
own functions: the ops' forwards call them, so the values agree exactly and the specs
check the library's gradients."""

from __future__ import annotations

from scipy import special

from op_specs import binary, unary

SPECS = [
    unary("scipy_expit", lambda t: special.expit(t), special.expit, -4.0, 4.0),
    unary("scipy_log_expit", lambda t: special.log_expit(t), special.log_expit, -4.0, 4.0),
    unary("scipy_logit", lambda t: special.logit(t), special.logit, 0.05, 0.95),
    unary("scipy_erf", lambda t: special.erf(t), special.erf),
    unary("scipy_erfc", lambda t: special.erfc(t), special.erfc),
    unary("scipy_erfinv", lambda t: special.erfinv(t), special.erfinv, -0.9, 0.9),
    unary("scipy_ndtr", lambda t: special.ndtr(t), special.ndtr),
    unary("scipy_log_ndtr", lambda t: special.log_ndtr(t), special.log_ndtr, -6.0, 3.0),
    unary("scipy_gammaln", lambda t: special.gammaln(t), special.gammaln, 0.3, 4.0),
    unary("scipy_psi", lambda t: special.psi(t), special.psi, 0.3, 4.0),
    unary("scipy_i0", lambda t: special.i0(t), special.i0),
    unary("scipy_i1", lambda t: special.i1(t), special.i1),
    binary("scipy_xlogy", lambda a, b: special.xlogy(a, b), special.xlogy,
           b_range=(0.3, 2.0)),
]
