"""SciPy's hypergeometric, Struve and a few more special functions on Tensors:
``scipy.special.hyp1f1(a, b, t)``, ``struve(v, t)``, ``poch(z, m)``, ``agm(a, b)``,
``kolmogorov(t)``, ``voigt_profile(x, sigma, gamma)`` ... record.

As in ``scipy_special.py`` the forwards are SciPy's own ufuncs (SciPy's values exactly)
and each slope is a closed form through ``xp``, so it has slopes of its own (any order):

- ``hyp0f1``, ``hyp1f1``, ``hyp2f1``: the contiguous relations, e.g.
  ``d/dz 1F1(a; b; z) = a / b 1F1(a + 1; b + 1; z)``; none in the parameters.
- ``struve``, ``modstruve``: ``2 H_v' = H_{v-1} - H_{v+1} + (x/2)^v / (sqrt(pi)
  Gamma(v + 3/2))`` (``L``'s with ``+ L_{v+1}``), no division by x; none in the order.
  At v = -1, x = 0 (H_0's second slope) it reads inf - inf: ``H_{-1} = 2/pi - H_1``.
- ``expn``: ``E_n' = -E_{n-1}`` (``E_0 = e^-x / x``); none in the order.
- ``bdtr``, ``bdtrc``: the beta density of the binomial law's conjugate; none in k, n.
- ``rgamma``: ``-rgamma(x) digamma(x)``, and by the reflection formula for x < 1/2,
  so it is finite at the poles of Gamma (where ``rgamma`` is 0 and digamma infinite).
- ``poch``: ``poch (digamma(z + m) - digamma(z))`` in z, ``poch digamma(z + m)`` in m.
- ``agm``: from ``agm(a, b) = pi (a + b) / (4 K(k^2))``, ``k = (a - b) / (a + b)``; on
  the edges (``agm(a, 0) = 0``) 0 along and +inf across, the one-sided limits.
- ``sindg``, ``cosdg``, ``tandg``, ``cotdg`` (arguments in degrees): the trigonometric
  slopes times pi / 180.
- ``smirnov``: SciPy's own derivative ``_smirnovp`` (first order only: the next is
  refused, naming it).
- ``kolmogorov``: its two series (in ``exp(-2 k^2 y^2)`` above y = 1, Jacobi's in
  ``exp(-(2k - 1)^2 pi^2 / (8 y^2))`` below).
- ``lambertw``: ``W' = 1 / (e^W (1 + W))`` on any branch, real or complex z (its values
  are complex, as SciPy's; the gradient is ``g * conj(W')``, PyTorch's convention).
- ``voigt_profile``: ``V = Re w(z) / (sigma sqrt(2 pi))``, ``z = (x + i gamma) /
  (sigma sqrt 2)``; its slopes hold ``Im w`` as well, the op ``scipy_voigt_imaginary``,
  whose slopes hold ``V`` in turn (Faddeeva's ``w' = -2 z w + 2i / sqrt(pi)``); for
  small sigma (and at 0, the Lorentzian) the series in sigma^2 of the Lorentzian smoothed.

SciPy floors the orders and counts it takes as integers (``expn``'s n, ``bdtr``'s k and
n); the slopes follow.
"""

from __future__ import annotations

import math

import numpy as np

from .registry import defop
from .scipy_special import _quietly, _scipy_function, slope_refused
from .scipy_special_bessel import _ellipk_slope, _order_rule, _rgamma_slope
from .scipy_special_distributions import _beta_density, _cdf_pair

_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_INV_PI = 1.0 / math.pi
_INV_SQRT_TWO_PI = 1.0 / math.sqrt(2.0 * math.pi)


def _op(name, example, **rules):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values, the library's "
                     f"gradients).\n\n>>> from scipy import special\n>>> special.{example}",
                 **rules)


def _parameter(name, argument):
    return ("not implemented (PyTorch's hypergeometric functions take none either)",
            _order_rule(name, argument, "it has no closed form in SciPy's functions"))


# -- hypergeometric functions: slopes in z by the contiguous relations ---------------------

def _hyp0f1_rule(xp, g, ans, b, z):
    return g * (xp.scipy_hyp0f1(b + 1, z) / b)


def _hyp1f1_rule(xp, g, ans, a, b, z):
    return g * (a / b * xp.scipy_hyp1f1(a + 1, b + 1, z))


def _hyp2f1_rule(xp, g, ans, a, b, c, z):
    return g * (a * b / c * xp.scipy_hyp2f1(a + 1, b + 1, c + 1, z))


def _refused_in(name, argument, position, count):
    """The ``(formula, rule)`` of parameter ``argument`` of the ``count``-input ``name``."""
    return ("not implemented (no closed form)",
            slope_refused(name, argument, "it has no closed form in SciPy's functions",
                          meaning=f"argument {position} of {count}",
                          only="z, the last argument,"))


# -- Struve functions ----------------------------------------------------------------------

def _struve_term(xp, v, x):
    """``(x/2)^v / (sqrt(pi) Gamma(v + 3/2))``, the recurrences' extra term (for v = 0,
    where it is constant, x = 0 is moved to 2, so its slope there is 0, not 0 * inf)."""
    base = xp.where(xp.logical_and(v == 0, x == 0), 2.0, x)
    return xp.power(base / 2, v) * xp.scipy_rgamma(v + 1.5) * _INV_SQRT_PI


def _struve_rule(xp, g, ans, v, x):
    # For v = -1 (the slope of H_0's slope) at x = 0 the relation reads inf - inf: there
    # H_{-1} = 2/pi - H_1 (the recurrence at v = 0) gives its slope as -H_1', finite.
    minus_one = (v == -1) & (x == 0)
    safe = xp.where(minus_one, 1.0, x)
    general = (xp.scipy_struve(v - 1, safe) - xp.scipy_struve(v + 1, safe)
               + _struve_term(xp, v, safe)) / 2
    first = (xp.scipy_struve(0.0, x) - xp.scipy_struve(2.0, x) + _struve_term(xp, 1.0, x)) / 2
    return g * xp.where(minus_one, -first, general)


def _modstruve_rule(xp, g, ans, v, x):
    return g * ((xp.scipy_modstruve(v - 1, x) + xp.scipy_modstruve(v + 1, x)
                 + _struve_term(xp, v, x)) / 2)


# -- expn, rgamma, poch, agm -----------------------------------------------------------------

def _expn_rule(xp, g, ans, n, x):
    # -E_{n-1}(x), and for n = 0 (E_0 = e^-x / x) its slope -e^-x (x + 1) / x^2
    order = xp.floor(n)
    zeroth = order == 0
    lower = xp.scipy_expn(xp.where(zeroth, 1.0, order - 1), x)
    return g * xp.where(zeroth, -xp.exp(-x) * (x + 1) / (x * x), -lower)


def _poch_z_rule(xp, g, ans, z, m):
    return g * (ans * (xp.digamma(z + m) - xp.digamma(z)))


def _poch_m_rule(xp, g, ans, z, m):
    return g * (ans * xp.digamma(z + m))


def _agm_rule(first):
    """``agm(a, b) = pi (a + b) / (4 K(m))``, ``m = k^2``, ``k = (a - b) / (a + b)``:
    ``d/da = pi / (4 K) (1 - 4 k b K'(m) / ((a + b) K))`` and ``d/db`` the same with
    ``+ 4 k a``; both 1/2 at a = b.

    On an edge (``agm(a, 0) = 0`` for every a > 0, ``agm(a, b) ~ pi a / (2 log(4a / b))``
    as b -> 0+) the slope along the edge is 0 and the one across it +inf, the one-sided
    limits (K(1) is infinite there, and the formula read NaN).  They are written so that
    their own slopes are the one-sided limits too: on the b = 0 edge, d/da as
    ``agm(a0, b) / a0`` (a0 = a held constant), 0 whose slope across is agm's +inf, and
    d/db as ``(a / a0) K(1 - b)``, +inf whose slope along is +inf and across -inf (d2/db2
    ~ -pi a / (2 b^2 log^2(4a / b))); the a = 0 edge alike."""
    def rule(xp, g, ans, a, b):
        on_b_edge = (b == 0) & (a > 0)
        on_a_edge = (a == 0) & (b > 0)
        edge = on_a_edge | on_b_edge
        a_safe, b_safe = xp.where(edge, 1.0, a), xp.where(edge, 1.0, b)
        total = a_safe + b_safe
        k = (a_safe - b_safe) / total
        m = k * k
        whole = xp.scipy_ellipk(m)
        ratio = 4 * k * _ellipk_slope(xp, m, whole) / (total * whole)
        inside = np.pi / 4 / whole * (1 - ratio * b_safe if first else 1 + ratio * a_safe)
        # d/da: 0 on the b = 0 edge, +inf on the a = 0 edge (d/db the other way round)
        this, other = (a, b) if first else (b, a)
        flat_edge, steep_edge = (on_b_edge, on_a_edge) if first else (on_a_edge, on_b_edge)
        held = xp.stop_gradient(xp.where(flat_edge, this, 1.0))
        across = xp.where(flat_edge, other, 1.0)
        flat = (xp.scipy_agm(held, across) if first else xp.scipy_agm(across, held)) / held
        steep_other = xp.where(steep_edge, other, 1.0)
        steep = (steep_other / xp.stop_gradient(steep_other)
                 * xp.scipy_ellipk(1 - xp.where(steep_edge, this, 0.5)))
        return g * xp.where(flat_edge, flat, xp.where(steep_edge, steep, inside))
    return _quietly(rule)


# -- kolmogorov ------------------------------------------------------------------------------

_JACOBI_BELOW = 1.0       # both series reach 1e-17 of the sum at y = 1 with these terms
_UNDERFLOWS_BELOW = 0.04  # exp(-pi^2 / (8 y^2)) is 0 in float64 below this


def _kolmogorov_rule(xp, g, ans, y):
    """``d/dy`` of ``K(y) = 2 sum (-1)^(k-1) exp(-2 k^2 y^2)``: ``-8 y sum (-1)^(k-1) k^2
    exp(-2 k^2 y^2)`` for y >= 1; below, the slope of ``1 - sqrt(2 pi) / y sum
    exp(-c_k / y^2)``, ``c_k = (2k - 1)^2 pi^2 / 8``; 0 for y < 0.04 (it underflows)."""
    large = y >= _JACOBI_BELOW
    upper = xp.where(large, y, 1.0)
    alternating = 0.0
    for k in range(1, 9):
        alternating = alternating + (-1) ** (k - 1) * k * k * xp.exp(-2.0 * k * k * upper * upper)
    small = xp.logical_and(y < _JACOBI_BELOW, y >= _UNDERFLOWS_BELOW)
    lower = xp.where(small, y, 0.5)
    inverse_square = 1 / (lower * lower)
    jacobi = 0.0
    for k in range(1, 7):
        c = (2 * k - 1) ** 2 * np.pi ** 2 / 8
        jacobi = jacobi + xp.exp(-c * inverse_square) * (2 * c * inverse_square - 1)
    jacobi = -math.sqrt(2 * np.pi) * jacobi * inverse_square
    return g * xp.where(large, -8 * upper * alternating, xp.where(small, jacobi, 0.0))


# -- voigt_profile -----------------------------------------------------------------------

def _voigt_imaginary(x, sigma, gamma):
    """``Im w(z) / (sigma sqrt(2 pi))``, ``z = (x + i gamma) / (sigma sqrt 2)``: the
    companion of ``voigt_profile`` (its real part) that its slopes need."""
    from scipy import special
    pure = sigma == 0               # (the Lorentzian limit: Im of i / (pi (x + i gamma)))
    safe = np.where(pure, 1.0, sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        lorentz = x / (np.pi * (x * x + gamma * gamma))
        value = special.wofz((x + 1j * gamma) / (np.sqrt(2.0) * safe)).imag
    return np.where(pure, lorentz, value / (safe * np.sqrt(2 * np.pi)))


def _voigt_slopes(xp, real, imaginary, x, sigma, gamma):
    """``(dV/dx, dV/dgamma, dL/dx, dL/dgamma)`` of ``V + iL = w(z) / (sigma sqrt(2 pi))``:
    from ``w' = -2 z w + 2i / sqrt(pi)`` and Cauchy-Riemann (``dV/dgamma = -dL/dx``,
    ``dL/dgamma = dV/dx``)."""
    variance = sigma * sigma
    real_x = -(x * real - gamma * imaginary) / variance
    imaginary_x = (_INV_PI - (x * imaginary + gamma * real)) / variance
    return real_x, -imaginary_x, imaginary_x, real_x


#: Below sigma = this * |x + i gamma| the slopes are the Lorentzian's heat-equation series
#: in ``_SERIES_TERMS`` terms: the closed forms lose about eps / t^4 to cancellation there,
#: the (asymptotic) series about t^14 (2k)! / k!; both near 1e-11 where they meet.
_SMALL_SIGMA = 0.05
_SERIES_TERMS = 7


def _lorentz_derivative(xp, n, radius, angle, of_real):
    """``d^n/dx^n`` of the Cauchy density (``of_real``) or of its companion: the real or
    imaginary part of ``d^n/dx^n i / (pi zeta) = (-1)^n n! i / (pi zeta^(n+1))``,
    ``zeta = x + i gamma = radius e^(i angle)``."""
    turn = xp.sin((n + 1) * angle) if of_real else xp.cos((n + 1) * angle)
    return (-1) ** n * math.factorial(n) * turn / (np.pi * radius ** (n + 1))


def _small_sigma_slopes(xp, x, sigma, gamma, of_real):
    """``(F_x, F_gamma, F_sigma)`` from ``F = sum (sigma^2 / 2)^k / k! d^2k/dx^2k F_0`` (the
    Lorentzian ``F_0`` smoothed by a Gaussian); exact at sigma = 0."""
    radius, angle = xp.hypot(x, gamma), xp.arctan2(gamma, x)
    half = sigma * sigma / 2

    def series(n, part):
        return sum(half ** k / math.factorial(k)
                   * _lorentz_derivative(xp, n + 2 * k, radius, angle, part)
                   for k in range(_SERIES_TERMS))

    along_x = series(1, of_real)
    # Cauchy-Riemann: dV/dgamma = -dL/dx, dL/dgamma = dV/dx
    along_gamma = -series(1, False) if of_real else series(1, True)
    along_sigma = sigma * series(2, of_real)
    return along_x, along_gamma, along_sigma


def _voigt_rules(of_real):
    """The slopes in x, sigma and gamma of ``V`` (``of_real``) or of ``L``; in sigma
    ``-(F + x F_x + gamma F_gamma) / sigma`` (``F`` is homogeneous of degree -1).

    For sigma small against ``|x + i gamma|`` (and at sigma = 0, the pure Lorentzian,
    SciPy's value there) they are the series of ``_small_sigma_slopes``: at sigma = 0 the
    Cauchy density's slopes in x and gamma, and 0 in sigma (``F = F_0 + sigma^2 / 2
    F_0'' + ...``), written ``sigma F_0'' + ...`` so that its own slope is right too.
    At x = sigma = gamma = 0, where the profile is a Dirac delta (SciPy's value inf), they
    are NaN (undefined), without NumPy's warnings."""
    def slopes(xp, ans, x, sigma, gamma):
        # at x = sigma = gamma = 0 (a Dirac delta: SciPy's value inf) the slopes are
        # undefined: NaN, quietly; the formulas see x = 1 there
        delta = xp.logical_and(xp.logical_and(x == 0, sigma == 0), gamma == 0)
        x = xp.where(delta, 1.0, x)
        ans = xp.where(delta, 0.0, ans)
        return [xp.where(delta, np.nan, slope)
                for slope in _finite_slopes(xp, ans, x, sigma, gamma)]

    def _finite_slopes(xp, ans, x, sigma, gamma):
        near = sigma < _SMALL_SIGMA * xp.hypot(x, gamma)
        safe = xp.where(near, 1.0, sigma)
        other = (xp.scipy_voigt_imaginary(x, sigma, gamma) if of_real
                 else xp.scipy_voigt_profile(x, sigma, gamma))
        real, imaginary = (ans, other) if of_real else (other, ans)
        closed = _voigt_slopes(xp, real, imaginary, x, safe, gamma)
        along_x, along_gamma = closed[:2] if of_real else closed[2:]
        along_sigma = -(ans + x * along_x + gamma * along_gamma) / safe
        series = _small_sigma_slopes(xp, x, xp.where(near, sigma, 0.0), gamma, of_real)
        return [xp.where(near, small, exact)
                for small, exact in zip(series, (along_x, along_gamma, along_sigma))]

    def x_rule(xp, g, ans, x, sigma, gamma):
        return g * slopes(xp, ans, x, sigma, gamma)[0]

    def gamma_rule(xp, g, ans, x, sigma, gamma):
        return g * slopes(xp, ans, x, sigma, gamma)[1]

    def sigma_rule(xp, g, ans, x, sigma, gamma):
        return g * slopes(xp, ans, x, sigma, gamma)[2]

    return dict(x=("g * -(x V - gamma L) / sigma^2" if of_real
                   else "g * (1/pi - x L - gamma V) / sigma^2", x_rule),
                sigma=("g * -(F + x F_x + gamma F_gamma) / sigma", sigma_rule),
                gamma=("g * -(1/pi - x L - gamma V) / sigma^2" if of_real
                       else "g * -(x V - gamma L) / sigma^2", gamma_rule))


_OPS = {
    "hyp0f1": _op("hyp0f1", "hyp0f1(1.0, ad.tensor([0.0]))\ntensor([1.])",
                  b=_refused_in("hyp0f1", "b", 1, 2),
                  z=("g * hyp0f1(b + 1, z) / b", _hyp0f1_rule)),
    "hyp1f1": _op("hyp1f1", "hyp1f1(1.0, 1.0, ad.tensor([0.0]))\ntensor([1.])",
                  a=_refused_in("hyp1f1", "a", 1, 3), b=_refused_in("hyp1f1", "b", 2, 3),
                  z=("g * a / b * hyp1f1(a + 1, b + 1, z)", _hyp1f1_rule)),
    "hyp2f1": _op("hyp2f1", "hyp2f1(1.0, 1.0, 2.0, ad.tensor([0.5]))\n"
                            "tensor([1.38629436])",
                  a=_refused_in("hyp2f1", "a", 1, 4), b=_refused_in("hyp2f1", "b", 2, 4),
                  c=_refused_in("hyp2f1", "c", 3, 4),
                  z=("g * a b / c * hyp2f1(a + 1, b + 1, c + 1, z); inf at z = 1",
                     _quietly(_hyp2f1_rule))),
    "struve": _op("struve", "struve(0.0, ad.tensor([0.0]))\ntensor([0.])",
                  v=_parameter("struve", "v"),
                  x=("g * (H(v-1, x) - H(v+1, x) + (x/2)^v / (sqrt(pi) Gamma(v + 3/2))) / 2",
                     _quietly(_struve_rule))),
    "modstruve": _op("modstruve", "modstruve(0.0, ad.tensor([0.0]))\ntensor([0.])",
                     v=_parameter("modstruve", "v"),
                     x=("g * (L(v-1, x) + L(v+1, x) + (x/2)^v / (sqrt(pi) Gamma(v + 3/2))) "
                        "/ 2", _quietly(_modstruve_rule))),
    "expn": _op("expn", "expn(1, ad.tensor([1.0]))\ntensor([0.21938393])",
                n=("not implemented (an integer order)",
                   _order_rule("expn", "n", "it is an integer, floored by SciPy")),
                x=("g * -expn(n - 1, x), g * -e^-x (x + 1) / x^2 for n = 0",
                   _quietly(_expn_rule))),
    "rgamma": _op("rgamma", "rgamma(ad.tensor([1.0]))\ntensor([1.])",
                  x=("g * -rgamma(x) digamma(x), by reflection below 1/2 (finite at poles)",
                     _quietly(lambda xp, g, ans, x: g * _rgamma_slope(xp, x)))),
    "poch": _op("poch", "poch(ad.tensor([2.0]), 3.0)\ntensor([24.])",
                z=("g * ans * (digamma(z + m) - digamma(z))", _quietly(_poch_z_rule)),
                m=("g * ans * digamma(z + m)", _quietly(_poch_m_rule))),
    "agm": _op("agm", "agm(ad.tensor([1.0]), 1.0)\ntensor([1.])",
               a=("g * pi / (4 K) (1 - 4 k b K'(k^2) / ((a + b) K)), k = (a - b) / (a + b)",
                  _agm_rule(True)),
               b=("g * pi / (4 K) (1 + 4 k a K'(k^2) / ((a + b) K)), k = (a - b) / (a + b)",
                  _agm_rule(False))),
    "kolmogorov": _op("kolmogorov", "kolmogorov(ad.tensor([0.0]))\ntensor([1.])",
                      y=("g * -8 y sum (-1)^(k-1) k^2 exp(-2 k^2 y^2) (Jacobi's series "
                         "below y = 1)", _kolmogorov_rule)),
    "voigt_profile": _op("voigt_profile", "voigt_profile(ad.tensor([0.0]), 1.0, 0.0)\n"
                                          "tensor([0.39894228])",
                         **_voigt_rules(True)),
}
_DEGREE = math.pi / 180
_OPS.update(
    sindg=_op("sindg", "sindg(ad.tensor([90.0]))\ntensor([1.])",
              x=("g * cos(x degrees) pi / 180",
                 lambda xp, g, ans, x: g * (xp.scipy_cosdg(x) * _DEGREE))),
    cosdg=_op("cosdg", "cosdg(ad.tensor([0.0]))\ntensor([1.])",
              x=("g * -sin(x degrees) pi / 180",
                 lambda xp, g, ans, x: g * (-xp.scipy_sindg(x) * _DEGREE))),
    tandg=_op("tandg", "tandg(ad.tensor([45.0]))\ntensor([1.])",
              x=("g * (1 + ans^2) pi / 180",
                 _quietly(lambda xp, g, ans, x: g * ((1 + ans * ans) * _DEGREE)))),
    cotdg=_op("cotdg", "cotdg(ad.tensor([45.0]))\ntensor([1.])",
              x=("g * -(1 + ans^2) pi / 180",
                 _quietly(lambda xp, g, ans, x: g * (-(1 + ans * ans) * _DEGREE)))),
)
_OPS.update(_cdf_pair(
    "bdtrc", "bdtr", [("k", "the count, floored by SciPy"),
                      ("n", "the number of trials, floored by SciPy")], "p",
    lambda xp, k, n, p: _binomial_density(xp, k, n, p),
    ">>> special.bdtrc(1, 2, ad.tensor([0.5]))\ntensor([0.25])",
    ">>> special.bdtr(1, 2, ad.tensor([0.5]))\ntensor([0.75])"))


def _binomial_density(xp, k, n, p):
    """``d/dp`` of ``bdtrc(k, n, p)``: the beta density of ``(k + 1, n - k)`` at p, k and
    n floored (0 where k >= n or k < 0, where bdtr is constant)."""
    k, n = xp.floor(k), xp.floor(n)
    inside = xp.logical_and(k >= 0, k < n)
    a, b = xp.where(inside, k + 1, 1.0), xp.where(inside, n - k, 1.0)
    return xp.where(inside, _beta_density(xp, a, b, p), 0.0)


def _lambertw(z, k, tol):
    from scipy.special import _ufuncs      # (scipy.special.lambertw(z, k, tol) calls it)

    from ..compile.hooks import note_made_from_numbers
    if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind in "iu":
        # SciPy's lambertw wraps the branch number in a new 0-d array (np.asarray(k,
        # dtype=long)): under ad.compile it is a constant, as the number k is
        note_made_from_numbers([k])
    return _ufuncs._lambertw(z, k, tol)


def _lambertw_rule(xp, g, ans, z, k, tol):
    # W' = W / (z (1 + W)) = 1 / (e^W (1 + W)) (from z = W e^W): 1 at z = 0, inf at the
    # branch point -1/e; holomorphic, so conjugated (the gradient is g * conj(W'))
    return g * xp.conj(1 / (xp.exp(ans) * (1 + ans)))


_OPS["_lambertw"] = defop(
    "scipy_lambertw", _lambertw, elementwise=True,
    doc="``scipy.special.lambertw(z, k=0, tol=1e-8)`` on Tensors, any branch k, real or "
        "complex z (SciPy's complex values; the gradient in z is ``g * conj(W')``, ``W' = "
        "1 / (e^W (1 + W))``, as for any holomorphic function; none in k and tol).\n\n"
        ">>> from scipy import special\n"
        ">>> special.lambertw(ad.tensor([0.0, np.e]))\ntensor([0.+0.j, 1.+0.j], dtype=complex128)",
    z=("g * conj(1 / (e^W (1 + W)))", _quietly(_lambertw_rule)), k=None, tol=None)
_OPS["_lambertw"].complex_twin = _OPS["_lambertw"]      # (its rule holds for complex z)


def _smirnov_slope(n, d):
    from scipy.special import _ufuncs      # (SciPy's derivative of smirnov in d)
    return _ufuncs._smirnovp(n, d)


def _smirnov_second_refused(xp, g, ans, n, d):
    raise NotImplementedError(
        "smirnov: the second derivative with respect to d is not implemented (SciPy has "
        "the first, _smirnovp, but no function for the second); first-order gradients of "
        "smirnov work, or use kolmogorov (its large-n limit), which has every order")


smirnov_slope = defop(
    "scipy_smirnovp", _smirnov_slope, elementwise=True,
    doc="SciPy's ``_smirnovp(n, d)``, the slope of ``scipy.special.smirnov`` in d (its "
        "right-hand slope at the kinks d = 1 - j/n); recorded, its own slope refused.\n\n"
        ">>> from autodiff.ops.scipy_special_hypergeometric import smirnov_slope\n"
        ">>> smirnov_slope(1, ad.tensor([0.5]))\ntensor([-1.])",
    n=("not implemented (an integer count)", _smirnov_second_refused),
    d=("not implemented", _smirnov_second_refused))

_OPS["smirnov"] = _op(
    "smirnov", "smirnov(1, ad.tensor([0.5]))\ntensor([0.5])",
    n=("not implemented (an integer count)",
       _order_rule("smirnov", "n", "it is the sample size, floored by SciPy")),
    d=("g * _smirnovp(n, d), SciPy's (first order only)",
       lambda xp, g, ans, n, d: g * xp.scipy_smirnovp(n, d)))


voigt_imaginary = defop(
    "scipy_voigt_imaginary", _voigt_imaginary, elementwise=True,
    doc="``Im w(z) / (sigma sqrt(2 pi))``, ``z = (x + i gamma) / (sigma sqrt 2)`` (``w`` is "
        "SciPy's ``wofz``): the imaginary companion of ``scipy.special.voigt_profile``, "
        "whose slopes hold it.\n\n"
        ">>> from autodiff.ops.scipy_special_hypergeometric import voigt_imaginary\n"
        ">>> voigt_imaginary(ad.tensor([0.0]), 1.0, 0.0)\ntensor([0.])",
    **_voigt_rules(False))
