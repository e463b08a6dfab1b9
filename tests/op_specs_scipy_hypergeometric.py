"""Specs for SciPy's hypergeometric, Struve and related special functions called on
Tensors (autodiff/ops/scipy_special_hypergeometric.py), and for the outputs of its
two-output ones (autodiff/ops/scipy_special_pairs.py).  Imported at the end of
op_specs.py, whose helpers they use.  The references are SciPy's own functions: the ops'
forwards call them, so the values agree exactly and the specs check the library's
gradients (first and second order, against central differences)."""

from __future__ import annotations

import numpy as np
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from scipy import special

from op_specs import Case, Spec, binary, unary, values


def _voigt_imaginary_reference(x, sigma, gamma):
    return special.wofz((x + 1j * gamma) / (np.sqrt(2.0) * sigma)).imag / (
        sigma * np.sqrt(2 * np.pi))


def _three(name, ad_func, np_func, ranges):
    """A three-input spec: broadcast shapes drawn, each input uniform in its range."""
    def draw(data):
        shapes = data.draw(mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3),
                           label="shapes")
        inputs = [values(data, shape, *bounds)
                  for shape, bounds in zip(shapes.input_shapes, ranges)]
        return Case(ad_func, inputs, np_func)
    return Spec(name, draw)


def _smirnov_slope(d):
    from autodiff.ops.scipy_special_hypergeometric import smirnov_slope
    return smirnov_slope(4, d)


def _smirnov_slope_reference(d):
    from scipy.special import _ufuncs
    return _ufuncs._smirnovp(4, d)


def _voigt_imaginary(x, sigma, gamma):
    from autodiff.ops.scipy_special_hypergeometric import voigt_imaginary
    return voigt_imaginary(x, sigma, gamma)


SPECS = [
    unary("scipy_hyp0f1", lambda t: special.hyp0f1(1.7, t), lambda x: special.hyp0f1(1.7, x),
          -4.0, 4.0),
    unary("scipy_hyp1f1", lambda t: special.hyp1f1(0.6, 1.9, t),
          lambda x: special.hyp1f1(0.6, 1.9, x), -4.0, 4.0),
    unary("scipy_hyp2f1", lambda t: special.hyp2f1(0.6, 1.3, 2.1, t),
          lambda x: special.hyp2f1(0.6, 1.3, 2.1, x), -3.0, 0.9),
    unary("scipy_struve", lambda t: special.struve(1.5, t), lambda x: special.struve(1.5, x),
          0.1, 8.0),
    unary("scipy_modstruve", lambda t: special.modstruve(0.5, t),
          lambda x: special.modstruve(0.5, x), 0.1, 5.0),
    unary("scipy_expn", lambda t: special.expn(2, t), lambda x: special.expn(2, x), 0.2, 5.0),
    unary("scipy_rgamma", lambda t: special.rgamma(t), special.rgamma, -4.0, 4.0),
    binary("scipy_poch", lambda a, b: special.poch(a, b), special.poch,
           a_range=(0.3, 4.0), b_range=(-0.2, 2.5)),
    binary("scipy_agm", lambda a, b: special.agm(a, b), special.agm,
           a_range=(0.2, 4.0), b_range=(0.2, 4.0)),
    unary("scipy_kolmogorov", lambda t: special.kolmogorov(t), special.kolmogorov, 0.1, 2.5),
    unary("scipy_bdtr", lambda t: special.bdtr(2, 7, t), lambda x: special.bdtr(2, 7, x),
          0.05, 0.95),
    unary("scipy_bdtrc", lambda t: special.bdtrc(3, 5, t), lambda x: special.bdtrc(3, 5, x),
          0.05, 0.95),
    _three("scipy_voigt_profile", lambda x, s, g: special.voigt_profile(x, s, g),
           special.voigt_profile, [(-3.0, 3.0), (0.3, 2.0), (0.05, 2.0)]),
    _three("scipy_voigt_imaginary", _voigt_imaginary, _voigt_imaginary_reference,
           [(-3.0, 3.0), (0.3, 2.0), (0.05, 2.0)]),
    unary("scipy_fresnel_s", lambda t: special.fresnel(t)[0],
          lambda x: special.fresnel(x)[0], -3.0, 3.0),
    unary("scipy_fresnel_c", lambda t: special.fresnel(t)[1],
          lambda x: special.fresnel(x)[1], -3.0, 3.0),
    unary("scipy_sici_si", lambda t: special.sici(t)[0], lambda x: special.sici(x)[0],
          -6.0, 6.0),
    unary("scipy_sici_ci", lambda t: special.sici(t)[1], lambda x: special.sici(x)[1],
          0.2, 6.0, signed=True),
    unary("scipy_shichi_shi", lambda t: special.shichi(t)[0], lambda x: special.shichi(x)[0],
          -3.0, 3.0),
    unary("scipy_shichi_chi", lambda t: special.shichi(t)[1], lambda x: special.shichi(x)[1],
          0.2, 3.0, signed=True),
    # (lambertw's values are complex: the specs check its real part on the real branch)
    unary("scipy_lambertw", lambda t: special.lambertw(t).real,
          lambda x: special.lambertw(x).real, -0.3, 5.0),
    # (smirnov's second derivative is refused: first order, between its kinks at 1 - j/n;
    # smirnovp, its slope, forward only: its own slope is the refused second derivative)
    unary("scipy_smirnov", lambda t: special.smirnov(4, t), lambda x: special.smirnov(4, x),
          0.01, 0.24, order=1),
    unary("scipy_smirnovp", _smirnov_slope, _smirnov_slope_reference, 0.01, 0.24, order=-1),
    unary("scipy_kn", lambda t: special.kn(2, t), lambda x: special.kn(2, x), 0.3, 5.0),
    unary("scipy_yn", lambda t: special.yn(1, t), lambda x: special.yn(1, x), 0.3, 8.0),
    unary("scipy_sindg", lambda t: special.sindg(t), special.sindg, -400.0, 400.0),
    unary("scipy_cosdg", lambda t: special.cosdg(t), special.cosdg, -400.0, 400.0),
    unary("scipy_tandg", lambda t: special.tandg(t), special.tandg, -80.0, 80.0),
    unary("scipy_cotdg", lambda t: special.cotdg(t), special.cotdg, 10.0, 170.0),
]
