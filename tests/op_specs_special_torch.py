"""Specs for torch.special's functions in autodiff/ops/special_torch.py (ndtr, log_ndtr,
ndtri, erfcx, i0e, i1e, entr, xlog1py, zeta, gammainc, gammaincc; zeta's, gammainc's
and gammaincc's gradients in their second argument only, as PyTorch's).  Imported at
the end of op_specs.py, whose helpers they use.

The references are SciPy's functions (SciPy comes with scikit-learn, a test
dependency), independent of the library's kernels.  Inputs stay where finite
differences are well conditioned: i0e and i1e away from their kink at 0, entr and
zeta's q positive, ndtri inside (0, 1)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from numpy.polynomial import chebyshev, hermite, hermite_e, laguerre, legendre
from scipy import special

from autodiff import special as ad_special
from op_specs import SHAPES, Case, Spec, binary, unary, values

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
    unary("gammainc", lambda x: ad_special.gammainc(2.5, x), lambda x: special.gammainc(2.5, x),
          0.2, 8.0),
    unary("gammaincc", lambda x: ad_special.gammaincc(0.7, x),
          lambda x: special.gammaincc(0.7, x), 0.2, 8.0),
]


# ----- no gradient (as in PyTorch): the orthogonal polynomials, I0, I1, j0 ------------
# References: NumPy's polynomial classes at a unit coefficient vector, SciPy's
# eval_chebyu (V_n = U_n - U_{n-1}, W_n = U_n + U_{n-1}) and i0 / i1.

def _basis(n):
    return np.eye(n + 1)[n]


def _chebyshev_u(x, n):
    return special.eval_chebyu(n, x) if n >= 0 else np.zeros_like(x)


_POLYNOMIAL_REFERENCES = {
    "chebyshev_polynomial_t": lambda x, n: chebyshev.chebval(x, _basis(n)),
    "chebyshev_polynomial_u": _chebyshev_u,
    "chebyshev_polynomial_v": lambda x, n: _chebyshev_u(x, n) - _chebyshev_u(x, n - 1),
    "chebyshev_polynomial_w": lambda x, n: _chebyshev_u(x, n) + _chebyshev_u(x, n - 1),
    "hermite_polynomial_h": lambda x, n: hermite.hermval(x, _basis(n)),
    "hermite_polynomial_he": lambda x, n: hermite_e.hermeval(x, _basis(n)),
    "laguerre_polynomial_l": lambda x, n: laguerre.lagval(x, _basis(n)),
    "legendre_polynomial_p": lambda x, n: legendre.legval(x, _basis(n)),
}
for _letter in "tuvw":
    _POLYNOMIAL_REFERENCES[f"shifted_chebyshev_polynomial_{_letter}"] = (
        lambda x, n, _plain=_POLYNOMIAL_REFERENCES[f"chebyshev_polynomial_{_letter}"]:
        _plain(2 * x - 1, n))


def _polynomial_spec(name):
    function, reference = getattr(ad_special, name), _POLYNOMIAL_REFERENCES[name]

    def draw(data):
        x = values(data, data.draw(SHAPES, label="shape"), -1.2, 1.2)
        n = data.draw(st.integers(0, 12), label="n")
        return Case(lambda t: function(t, n), [x], lambda a: reference(a, n))
    return Spec(name, draw, order=0, extra={"float_result": True})


SPECS += [_polynomial_spec(name) for name in _POLYNOMIAL_REFERENCES]
SPECS += [Spec(name, unary(name, getattr(ad_special, name), reference, -9.0, 9.0).draw,
               order=0, extra={"float_result": True})
          for name, reference in [("modified_bessel_i0", special.i0),
                                  ("modified_bessel_i1", special.i1),
                                  ("modified_bessel_k0", special.k0),
                                  ("modified_bessel_k1", special.k1),
                                  ("scaled_modified_bessel_k0", special.k0e),
                                  ("scaled_modified_bessel_k1", special.k1e),
                                  ("bessel_j0", special.j0), ("bessel_j1", special.j1),
                                  ("airy_ai", lambda x: special.airy(x)[0]),
                                  ("spherical_bessel_j0", lambda x: special.spherical_jn(0, x))]]
SPECS += [Spec(name, unary(name, getattr(ad_special, name), reference, 0.05, 12.0).draw,
               order=0, extra={"float_result": True})
          for name, reference in [("bessel_y0", special.y0), ("bessel_y1", special.y1)]]
