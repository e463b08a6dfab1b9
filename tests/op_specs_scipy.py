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
    unary("scipy_expm1", lambda t: special.expm1(t), special.expm1),
    unary("scipy_log1p", lambda t: special.log1p(t), special.log1p, -0.9, 2.0),
    unary("scipy_exp2", lambda t: special.exp2(t), special.exp2),
    unary("scipy_exp10", lambda t: special.exp10(t), special.exp10),
    unary("scipy_cbrt", lambda t: special.cbrt(t), special.cbrt, 0.2, 3.0, signed=True),
    unary("scipy_ndtri", lambda t: special.ndtri(t), special.ndtri, 0.05, 0.95),
    unary("scipy_gamma", lambda t: special.gamma(t), special.gamma, 0.3, 4.0),
    unary("scipy_entr", lambda t: special.entr(t), special.entr, 0.1, 3.0),
    unary("scipy_erfcx", lambda t: special.erfcx(t), special.erfcx, -2.0, 4.0),
    unary("scipy_i0e", lambda t: special.i0e(t), special.i0e, 0.3, 9.0, signed=True),
    unary("scipy_i1e", lambda t: special.i1e(t), special.i1e, 0.3, 9.0, signed=True),
    unary("scipy_gammainc", lambda t: special.gammainc(2.5, t),
          lambda x: special.gammainc(2.5, x), 0.2, 8.0),
    unary("scipy_gammaincc", lambda t: special.gammaincc(0.7, t),
          lambda x: special.gammaincc(0.7, x), 0.2, 8.0),
    binary("scipy_betaln", lambda a, b: special.betaln(a, b), special.betaln,
           a_range=(0.3, 3.0), b_range=(0.3, 3.0)),
    binary("scipy_xlog1py", lambda a, b: special.xlog1py(a, b), special.xlog1py,
           b_range=(-0.7, 2.0)),
    binary("scipy_rel_entr", lambda a, b: special.rel_entr(a, b), special.rel_entr,
           a_range=(0.2, 2.0), b_range=(0.2, 2.0)),
    binary("scipy_kl_div", lambda a, b: special.kl_div(a, b), special.kl_div,
           a_range=(0.2, 2.0), b_range=(0.2, 2.0)),
    binary("scipy_xlogy", lambda a, b: special.xlogy(a, b), special.xlogy,
           b_range=(0.3, 2.0)),
    unary("scipy_loggamma", lambda t: special.loggamma(t), special.loggamma, 0.3, 4.0),
    unary("scipy_exprel", lambda t: special.exprel(t), special.exprel, -3.0, 3.0),
    binary("scipy_beta", lambda a, b: special.beta(a, b), special.beta,
           a_range=(0.3, 3.0), b_range=(0.3, 3.0)),
    binary("scipy_boxcox", lambda a, b: special.boxcox(a, b), special.boxcox,
           a_range=(0.2, 3.0), b_range=(-1.5, 1.5)),
    binary("scipy_boxcox1p", lambda a, b: special.boxcox1p(a, b), special.boxcox1p,
           a_range=(-0.7, 3.0), b_range=(-1.5, 1.5)),
    binary("scipy_huber", lambda a, b: special.huber(a, b), special.huber,
           a_range=(0.2, 2.0), b_range=(-3.0, 3.0)),
    binary("scipy_pseudo_huber", lambda a, b: special.pseudo_huber(a, b), special.pseudo_huber,
           a_range=(0.2, 2.0), b_range=(-3.0, 3.0)),
    unary("scipy_zeta", lambda q: special.zeta(3.5, q), lambda q: special.zeta(3.5, q),
          0.3, 4.0),
]
