"""Specs for SciPy's distribution functions and their inverses called on Tensors
(autodiff/ops/scipy_special_inverses.py).  Imported at the end of op_specs.py, whose
helpers they use.  The references are SciPy's own functions: the ops' forwards call
them, so the values agree exactly and the specs check the library's gradients (first and
second order, against central differences); the inverses that solve for a shape parameter
are refused in every argument and checked forward only (order -1)."""

from __future__ import annotations

from scipy import special

from op_specs import binary, unary
from op_specs_scipy_hypergeometric import _three


def _forward_only(name, call, lo, hi):
    """The spec of an op whose slopes are all refused: its values, from SciPy's."""
    return unary(f"scipy_{name}", call, call, lo, hi, order=-1)


SPECS = [
    binary("scipy_gdtr", lambda a, x: special.gdtr(a, 2.5, x),
           lambda a, x: special.gdtr(a, 2.5, x), a_range=(0.3, 3.0), b_range=(0.2, 4.0)),
    binary("scipy_gdtrc", lambda a, x: special.gdtrc(a, 1.5, x),
           lambda a, x: special.gdtrc(a, 1.5, x), a_range=(0.3, 3.0), b_range=(0.2, 4.0)),
    unary("scipy_nbdtr", lambda t: special.nbdtr(3, 4, t), lambda x: special.nbdtr(3, 4, x),
          0.05, 0.95),
    unary("scipy_nbdtrc", lambda t: special.nbdtrc(2, 5, t), lambda x: special.nbdtrc(2, 5, x),
          0.05, 0.95),
    unary("scipy_fdtr", lambda t: special.fdtr(3.5, 4.5, t),
          lambda x: special.fdtr(3.5, 4.5, x), 0.1, 4.0),
    unary("scipy_fdtrc", lambda t: special.fdtrc(5.0, 2.5, t),
          lambda x: special.fdtrc(5.0, 2.5, x), 0.1, 4.0),
    unary("scipy_chndtr", lambda t: special.chndtr(t, 3.5, 1.5),
          lambda x: special.chndtr(x, 3.5, 1.5), 0.1, 8.0),
    # (negative shapes: an unbounded support, no kink at its ends)
    binary("scipy_tklmbda", lambda x, lmbda: special.tklmbda(x, lmbda), special.tklmbda,
           a_range=(-3.0, 3.0), b_range=(-0.5, -0.05)),
    unary("scipy_bdtri", lambda t: special.bdtri(2, 7, t), lambda x: special.bdtri(2, 7, x),
          0.05, 0.95),
    unary("scipy_nbdtri", lambda t: special.nbdtri(2, 7, t), lambda x: special.nbdtri(2, 7, x),
          0.05, 0.95),
    unary("scipy_pdtri", lambda t: special.pdtri(2, t), lambda x: special.pdtri(2, x),
          0.05, 0.95),
    unary("scipy_chdtri", lambda t: special.chdtri(3.5, t), lambda x: special.chdtri(3.5, x),
          0.05, 0.95),
    unary("scipy_fdtri", lambda t: special.fdtri(3.5, 4.5, t),
          lambda x: special.fdtri(3.5, 4.5, x), 0.05, 0.95),
    unary("scipy_stdtrit", lambda t: special.stdtrit(3.5, t),
          lambda x: special.stdtrit(3.5, x), 0.05, 0.95),
    unary("scipy_betaincinv", lambda t: special.betaincinv(2.5, 1.5, t),
          lambda x: special.betaincinv(2.5, 1.5, x), 0.05, 0.95),
    unary("scipy_betainccinv", lambda t: special.betainccinv(2.5, 1.5, t),
          lambda x: special.betainccinv(2.5, 1.5, x), 0.05, 0.95),
    unary("scipy_chndtrix", lambda t: special.chndtrix(t, 3.5, 1.5),
          lambda x: special.chndtrix(x, 3.5, 1.5), 0.05, 0.95),
    unary("scipy_kolmogi", lambda t: special.kolmogi(t), special.kolmogi, 0.05, 0.95),
    # (smirnovi's slope holds SciPy's _smirnovp, whose own slope is refused: first order)
    unary("scipy_smirnovi", lambda t: special.smirnovi(5, t),
          lambda x: special.smirnovi(5, x), 0.05, 0.95, order=1),
    binary("scipy_gdtrix", lambda a, p: special.gdtrix(a, 2.5, p),
           lambda a, p: special.gdtrix(a, 2.5, p), a_range=(0.3, 3.0), b_range=(0.05, 0.95)),
    binary("scipy_gdtria", lambda p, x: special.gdtria(p, 2.5, x),
           lambda p, x: special.gdtria(p, 2.5, x), a_range=(0.05, 0.95), b_range=(0.3, 3.0)),
    _three("scipy_nrdtrimn", lambda p, s, x: special.nrdtrimn(p, s, x), special.nrdtrimn,
           [(0.05, 0.95), (0.3, 3.0), (-2.0, 2.0)]),
    _three("scipy_nrdtrisd", lambda m, p, x: special.nrdtrisd(m, p, x), special.nrdtrisd,
           [(-2.0, -1.0), (0.6, 0.95), (0.0, 2.0)]),
    _forward_only("gdtrib", lambda t: special.gdtrib(1.5, t, 2.0), 0.05, 0.95),
    _forward_only("bdtrik", lambda t: special.bdtrik(t, 6.0, 0.4), 0.05, 0.95),
    _forward_only("bdtrin", lambda t: special.bdtrin(2.0, t, 0.4), 0.05, 0.95),
    _forward_only("chdtriv", lambda t: special.chdtriv(t, 2.0), 0.05, 0.95),
    _forward_only("stdtridf", lambda t: special.stdtridf(t, 1.5), 0.55, 0.95),
    _forward_only("nbdtrik", lambda t: special.nbdtrik(t, 4.0, 0.4), 0.05, 0.95),
    _forward_only("nbdtrin", lambda t: special.nbdtrin(2.0, t, 0.4), 0.05, 0.95),
    _forward_only("btdtria", lambda t: special.btdtria(t, 2.0, 0.4), 0.05, 0.95),
    _forward_only("btdtrib", lambda t: special.btdtrib(2.0, t, 0.4), 0.05, 0.95),
    _forward_only("fdtridfd", lambda t: special.fdtridfd(3.0, t, 1.5), 0.55, 0.95),
    _forward_only("pdtrik", lambda t: special.pdtrik(t, 2.0), 0.05, 0.95),
    _forward_only("chndtridf", lambda t: special.chndtridf(3.0, t, 1.0), 0.05, 0.95),
    _forward_only("chndtrinc", lambda t: special.chndtrinc(6.0, 2.0, t), 0.05, 0.7),
    _forward_only("nctdtr", lambda t: special.nctdtr(3.0, 0.5, t), -3.0, 3.0),
    _forward_only("nctdtridf", lambda t: special.nctdtridf(t, 0.5, 1.5), 0.4, 0.6),
    _forward_only("nctdtrinc", lambda t: special.nctdtrinc(3.0, t, 1.0), 0.05, 0.95),
    _forward_only("nctdtrit", lambda t: special.nctdtrit(3.0, 0.5, t), 0.05, 0.95),
    _forward_only("ncfdtr", lambda t: special.ncfdtr(3.0, 4.0, 1.5, t), 0.1, 4.0),
    _forward_only("ncfdtri", lambda t: special.ncfdtri(3.0, 4.0, 1.5, t), 0.05, 0.95),
    _forward_only("ncfdtridfd", lambda t: special.ncfdtridfd(3.0, t, 1.5, 2.0), 0.3, 0.6),
    _forward_only("ncfdtridfn", lambda t: special.ncfdtridfn(t, 4.0, 1.5, 2.0), 0.3, 0.6),
    _forward_only("ncfdtrinc", lambda t: special.ncfdtrinc(3.0, 4.0, t, 2.0), 0.05, 0.6),
]

# -- the integrals of autodiff/ops/scipy_special_integrals.py -----------------------------

SPECS += [
    unary("scipy_itj0y0_0", lambda t: special.itj0y0(t)[0], lambda x: special.itj0y0(x)[0],
          -6.0, 6.0),
    unary("scipy_itj0y0_1", lambda t: special.itj0y0(t)[1], lambda x: special.itj0y0(x)[1],
          0.2, 6.0),
    unary("scipy_it2j0y0_0", lambda t: special.it2j0y0(t)[0],
          lambda x: special.it2j0y0(x)[0], -4.0, 4.0),
    unary("scipy_it2j0y0_1", lambda t: special.it2j0y0(t)[1],
          lambda x: special.it2j0y0(x)[1], 0.2, 6.0),
    unary("scipy_iti0k0_0", lambda t: special.iti0k0(t)[0], lambda x: special.iti0k0(x)[0],
          -3.0, 3.0),
    unary("scipy_iti0k0_1", lambda t: special.iti0k0(t)[1], lambda x: special.iti0k0(x)[1],
          0.2, 4.0),
    unary("scipy_it2i0k0_0", lambda t: special.it2i0k0(t)[0],
          lambda x: special.it2i0k0(x)[0], -3.0, 3.0),
    unary("scipy_it2i0k0_1", lambda t: special.it2i0k0(t)[1],
          lambda x: special.it2i0k0(x)[1], 0.2, 4.0),
    unary("scipy_itstruve0", lambda t: special.itstruve0(t), special.itstruve0, -5.0, 5.0),
    unary("scipy_itmodstruve0", lambda t: special.itmodstruve0(t), special.itmodstruve0,
          -3.0, 3.0),
    unary("scipy_it2struve0", lambda t: special.it2struve0(t), special.it2struve0, -5.0, 5.0),
    unary("scipy_besselpoly", lambda t: special.besselpoly(t, 0.5, 1.5),
          lambda x: special.besselpoly(x, 0.5, 1.5), 0.0, 3.0),
]

# (SciPy's itairy is good to about 1e-7 relative on [-2, 2] (not at 2.5 <= |x| <= 9.3,
# where the call warns): there its difference quotients
# stay within 2e-6 of the exact integrands, inside gradcheck's atol of 1e-5)
SPECS += [unary(f"scipy_itairy_{k}", lambda t, k=k: special.itairy(t)[k],
                lambda x, k=k: special.itairy(x)[k], -2.0, 2.0) for k in range(4)]
