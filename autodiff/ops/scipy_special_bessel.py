"""SciPy's Bessel functions, complete elliptic integrals and a few distribution
functions on Tensors: ``scipy.special.j0(t)``, ``jv(v, t)``, ``ellipk(t)``,
``stdtr(df, t)`` ... record.

As in ``scipy_special.py``, the forward is SciPy's own ufunc (its values exactly) and
each slope is a closed form in SciPy's functions, called through ``xp`` so it has a
slope of its own (any order).  The Bessel derivatives are the recurrences
``Z_v' = (Z_{v-1} - Z_{v+1}) / 2`` (``J``, ``Y``), ``I_v' = (I_{v-1} + I_{v+1}) / 2``,
``K_v' = -(K_{v-1} + K_{v+1}) / 2``, which need no division by x (finite at 0).  The
order ``v`` (and ``stdtr``'s ``df``) gets no gradient, as PyTorch's Bessel functions
take none in their order: asking for it raises, naming the function.
"""

from __future__ import annotations

import math

import numpy as np

from .scipy_special import _binary, _quietly, _unary, slope_refused

_INV_TWO_PI = 1.0 / (2.0 * math.pi)
_INV_PI = 1.0 / math.pi
_INV_SQRT_TWO = 1.0 / math.sqrt(2.0)
_LOG_SQRT_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def _order_rule(name, order="v", why="as PyTorch's Bessel functions take none in their "
                                     "order"):
    return slope_refused(name, order, why, meaning="the first argument",
                         only="the second argument")


def _example(call, result):
    return f">>> from scipy import special\n>>> special.{call}\ntensor([{result}])"


def _order_op(name, formula, rule, example):
    """``name(v, x)``: a slope in x by ``rule``, none in the order v."""
    return _binary(name, ("not implemented (PyTorch's neither)", _order_rule(name)),
                   (formula, rule), example, names=("v", "x"))


def _pole_at_zero(rule):
    """``rule``, and where x = 0 and the value is infinite (a pole ``c x**-p`` or a log),
    the slope's limit, infinite of the value's other sign (the recurrence there is
    inf - inf).  The limit is ``-ans`` times the dtype's largest float, so its own slope
    is infinite of the value's sign, the next derivative's limit; the recurrence sees
    x = 1 there, so no inf * 0 reaches the other entries' derivatives."""
    def with_pole(xp, g, ans, v, x):
        pole = xp.logical_and(x == 0, xp.isinf(ans))
        largest = float(np.finfo(ans.dtype).max)
        with np.errstate(over="ignore"):         # (a next pass's g may be that large)
            limit = xp.where(pole, ans, 0.0) * -largest
            away = rule(xp, g, xp.where(pole, 1.0, ans), v, xp.where(pole, 1.0, x))
            return xp.where(pole, g * limit, away)
    with_pole.__name__ = rule.__name__
    return with_pole


# -- Bessel functions of the first and second kind: Z' = (Z_{v-1} - Z_{v+1}) / 2 --------

@_pole_at_zero
def _jv_rule(xp, g, ans, v, x):
    return g * ((xp.scipy_jv(v - 1, x) - xp.scipy_jv(v + 1, x)) / 2)


@_pole_at_zero
def _yv_rule(xp, g, ans, v, x):
    return g * ((xp.scipy_yv(v - 1, x) - xp.scipy_yv(v + 1, x)) / 2)


# -- modified Bessel functions: I' = (I_{v-1} + I_{v+1}) / 2, K' = -(K_{v-1} + K_{v+1}) / 2

@_pole_at_zero
def _iv_rule(xp, g, ans, v, x):
    return g * ((xp.scipy_iv(v - 1, x) + xp.scipy_iv(v + 1, x)) / 2)


@_pole_at_zero
def _kv_rule(xp, g, ans, v, x):
    return g * (-(xp.scipy_kv(v - 1, x) + xp.scipy_kv(v + 1, x)) / 2)


@_pole_at_zero
def _ive_rule(xp, g, ans, v, x):
    # ive = exp(-|x|) iv: the recurrence, less sign(x) ive for the scale's slope
    return g * ((xp.scipy_ive(v - 1, x) + xp.scipy_ive(v + 1, x)) / 2 - xp.sign(x) * ans)


@_pole_at_zero
def _kve_rule(xp, g, ans, v, x):
    # kve = exp(x) kv: the recurrence, plus kve for the scale's slope
    return g * (ans - (xp.scipy_kve(v - 1, x) + xp.scipy_kve(v + 1, x)) / 2)


# -- complete elliptic integrals ----------------------------------------------------------

def _elliptic_slope_series(second_kind):
    """Taylor coefficients (highest first) of ``K'(m)`` or ``E'(m)`` at m = 0, where
    ``K = pi/2 sum a_n m**n`` and ``E = pi/2 sum a_n m**n / (1 - 2n)``,
    ``a_n = (binom(2n, n) / 4**n)**2``: 16 terms, below 1e-17 of the sum for |m| < 0.02."""
    terms = []
    for n in range(16):
        a = (math.comb(2 * n + 2, n + 1) / 4.0 ** (n + 1)) ** 2 * (n + 1) * math.pi / 2
        terms.append(a / (-(2 * n + 1)) if second_kind else a)
    return tuple(terms[::-1])


_K_SLOPE_SERIES = _elliptic_slope_series(False)
_E_SLOPE_SERIES = _elliptic_slope_series(True)
_SERIES_BELOW = 0.02          # (E - (1 - m) K) / m cancels near 0: the series there


def _near_zero(xp, m, series, formula):
    """``formula(m)`` away from m = 0, the Taylor ``series`` of the same for |m| < 0.02."""
    small = xp.abs(m) < _SERIES_BELOW
    inner, outer = xp.where(small, m, 0.0), xp.where(small, 0.5, m)
    total = 0.0
    for c in series:
        total = total * inner + c
    return xp.where(small, total, formula(outer))


def _ellipk_slope(xp, m, ans):
    # (at m = 1, inf as ans times the largest float, whose slope is +inf, K'' there)
    def formula(m):
        pole = m == 1
        inside = xp.where(pole, 0.5, m)
        slope = ((xp.scipy_ellipe(inside) - (1 - inside) * xp.scipy_ellipk(inside))
                 / (2 * inside * (1 - inside)))
        limit = xp.where(pole, ans, 0.0) * float(np.finfo(ans.dtype).max)
        return xp.where(pole, limit, slope)
    return _near_zero(xp, m, _K_SLOPE_SERIES, formula)


def _ellipe_slope(xp, m):
    return _near_zero(xp, m, _E_SLOPE_SERIES,
                      lambda m: (xp.scipy_ellipe(m) - xp.scipy_ellipk(m)) / (2 * m))


# -- spence, binom, stdtr, owens_t -----------------------------------------------------------

def _spence_rule(xp, g, ans, z):
    # log(z) / (1 - z), -1 at z = 1: as -log1p(u) / u, u = z - 1 (exact), and by its
    # series where |u| < 1e-3 (so every order is smooth through z = 1)
    u = z - 1
    near = xp.abs(u) < 1e-3
    inner, outer = xp.where(near, u, 0.0), xp.where(near, 1.0, u)
    series = -(1 + inner * (-1 / 2 + inner * (1 / 3 + inner * (-1 / 4 + inner * (
        1 / 5 + inner * (-1 / 6))))))
    return g * xp.where(near, series, -xp.log1p(outer) / outer)


def _rgamma_slope(xp, x):
    """``d/dx 1 / Gamma(x)``: ``-rgamma(x) digamma(x)`` for x >= 1/2; below, from
    ``1 / Gamma(x) = sin(pi x) Gamma(1 - x) / pi``, ``Gamma(1 - x) (cos(pi x) - sin(pi x)
    digamma(1 - x) / pi)``, finite (``(-1)^n n!``) at the poles x = -n."""
    upper = x >= 0.5
    high, low = xp.where(upper, x, 1.0), xp.where(upper, 0.0, x)
    turned = np.pi * low
    reflected = xp.exp(xp.lgamma(1 - low)) * (
        xp.cos(turned) - xp.sin(turned) * xp.digamma(1 - low) * _INV_PI)
    return xp.where(upper, -xp.scipy_rgamma(high) * xp.digamma(high), reflected)


def _binom_rule(in_n):
    """The slope of ``binom(n, k)`` in n (``in_n``) or k: ``ans`` times digamma
    differences, and where ``k + 1`` or ``n - k + 1`` is a pole of Gamma (binom is 0
    there, digamma infinite), the slope of ``Gamma(n + 1) rgamma(k + 1) rgamma(n - k + 1)``
    by ``rgamma``'s slope, which is finite there."""
    def rule(xp, g, ans, n, k):
        rest, lower = n - k + 1, k + 1
        pole = xp.logical_or(_is_a_pole(xp, rest), _is_a_pole(xp, lower))
        # each branch sees the other's entries moved to (n, k) = (2, 1), finite in both
        n_away, k_away = xp.where(pole, 2.0, n), xp.where(pole, 1.0, k)
        n_pole, k_pole = xp.where(pole, n, 2.0), xp.where(pole, k, 1.0)
        if in_n:
            away = ans * (xp.digamma(n_away + 1) - xp.digamma(n_away - k_away + 1))
        else:
            away = ans * (xp.digamma(n_away - k_away + 1) - xp.digamma(k_away + 1))
        rest, lower = n_pole - k_pole + 1, k_pole + 1
        whole, rest_slope = xp.scipy_gamma(n_pole + 1), _rgamma_slope(xp, rest)
        if in_n:
            at_pole = whole * xp.scipy_rgamma(lower) * (
                xp.digamma(n_pole + 1) * xp.scipy_rgamma(rest) + rest_slope)
        else:
            at_pole = whole * (_rgamma_slope(xp, lower) * xp.scipy_rgamma(rest)
                               - xp.scipy_rgamma(lower) * rest_slope)
        return g * xp.where(pole, at_pole, away)
    return rule


def _is_a_pole(xp, x):
    """Where ``x`` is a pole of Gamma: an integer <= 0."""
    return xp.logical_and(x <= 0, x == xp.floor(x))


def _stdtr_t_rule(xp, g, ans, df, t):
    # Student's t density (1 + t^2/df)^(-(df+1)/2) / (sqrt(df) B(df/2, 1/2)), the normal
    # density for df = inf; betaln stays accurate for large df (lgamma differences do not)
    infinite = xp.isinf(df)
    finite_df = xp.where(infinite, 1.0, df)
    log_t = (-(finite_df + 1) / 2 * xp.log1p(t * t / finite_df)
             - 0.5 * xp.log(finite_df) - xp.scipy_betaln(finite_df / 2, 0.5))
    log_normal = -(t * t) / 2 - _LOG_SQRT_TWO_PI
    return g * xp.exp(xp.where(infinite, log_normal, log_t))


def _owens_t_h_rule(xp, g, ans, h, a):
    # -phi(h) erf(a h / sqrt 2) / 2
    return g * (-xp.exp(-(h * h) / 2 - _LOG_SQRT_TWO_PI) * xp.erf(a * h * _INV_SQRT_TWO) / 2)


def _owens_t_a_rule(xp, g, ans, h, a):
    # the integrand at a: exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))
    spread = 1 + a * a
    return g * (xp.exp(-(h * h) * spread / 2) * _INV_TWO_PI / spread)


def _recurrence_op(name, order, formula, rule, example):
    """The fixed-order function ``name(x)``, whose slope is the order-``order`` one."""
    return _unary(name, formula, lambda xp, g, ans, x: rule(xp, g, ans, order, x), example)


OPS = {
    "jv": _order_op("jv", "g * (jv(v - 1, x) - jv(v + 1, x)) / 2", _jv_rule,
                    _example("jv(1.0, ad.tensor([0.0]))", "0.")),
    "yv": _order_op("yv", "g * (yv(v - 1, x) - yv(v + 1, x)) / 2", _yv_rule,
                    _example("yv(0.0, ad.tensor([1.0]))", "0.08825696")),
    "iv": _order_op("iv", "g * (iv(v - 1, x) + iv(v + 1, x)) / 2", _iv_rule,
                    _example("iv(0.0, ad.tensor([0.0]))", "1.")),
    "kv": _order_op("kv", "g * -(kv(v - 1, x) + kv(v + 1, x)) / 2", _kv_rule,
                    _example("kv(0.0, ad.tensor([1.0]))", "0.42102444")),
    "ive": _order_op("ive", "g * ((ive(v - 1, x) + ive(v + 1, x)) / 2 - sign(x) ans)",
                     _ive_rule, _example("ive(0.0, ad.tensor([0.0]))", "1.")),
    "kn": _binary("kn", ("not implemented (an integer order)", _order_rule("kn", "n")),
                  ("g * -(kv(n - 1, x) + kv(n + 1, x)) / 2", _kv_rule),
                  _example("kn(0, ad.tensor([1.0]))", "0.42102444"), names=("n", "x")),
    "yn": _binary("yn", ("not implemented (an integer order)", _order_rule("yn", "n")),
                  ("g * (yv(n - 1, x) - yv(n + 1, x)) / 2", _yv_rule),
                  _example("yn(0, ad.tensor([1.0]))", "0.08825696"), names=("n", "x")),
    "kve": _order_op("kve", "g * (ans - (kve(v - 1, x) + kve(v + 1, x)) / 2)", _kve_rule,
                     _example("kve(0.0, ad.tensor([1.0]))", "1.14446308")),
}
OPS.update({
    "j0": _unary("j0", "g * -j1(x)", lambda xp, g, ans, x: g * -xp.scipy_j1(x),
                 _example("j0(ad.tensor([0.0]))", "1.")),
    "j1": _recurrence_op("j1", 1.0, "g * (j0(x) - jv(2, x)) / 2", _jv_rule,
                         _example("j1(ad.tensor([0.0]))", "0.")),
    "y0": _unary("y0", "g * -y1(x)", lambda xp, g, ans, x: g * -xp.scipy_y1(x),
                 _example("y0(ad.tensor([1.0]))", "0.08825696")),
    "y1": _recurrence_op("y1", 1.0, "g * (y0(x) - yv(2, x)) / 2", _yv_rule,
                         _example("y1(ad.tensor([1.0]))", "-0.78121282")),
    "k0": _unary("k0", "g * -k1(x)", lambda xp, g, ans, x: g * -xp.scipy_k1(x),
                 _example("k0(ad.tensor([1.0]))", "0.42102444")),
    "k1": _recurrence_op("k1", 1.0, "g * -(k0(x) + kv(2, x)) / 2", _kv_rule,
                         _example("k1(ad.tensor([1.0]))", "0.60190723")),
    "k0e": _recurrence_op("k0e", 0.0, "g * (ans - k1e(x))", _kve_rule,
                          _example("k0e(ad.tensor([1.0]))", "1.14446308")),
    "k1e": _recurrence_op("k1e", 1.0, "g * (ans - (k0e(x) + kve(2, x)) / 2)", _kve_rule,
                          _example("k1e(ad.tensor([1.0]))", "1.63615349")),
    "ellipk": _unary("ellipk", "g * (ellipe(m) - (1 - m) ellipk(m)) / (2 m (1 - m)), its "
                               "series near 0, inf at m = 1",
                     _quietly(lambda xp, g, ans, m: g * _ellipk_slope(xp, m, ans)),
                     _example("ellipk(ad.tensor([0.0]))", "1.57079633")),
    "ellipe": _unary("ellipe", "g * (ellipe(m) - ellipk(m)) / (2 m), its series near 0, "
                               "-inf at m = 1",
                     _quietly(lambda xp, g, ans, m: g * _ellipe_slope(xp, m)),
                     _example("ellipe(ad.tensor([0.0]))", "1.57079633")),
    "spence": _unary("spence", "g * log(z) / (1 - z), -1 at z = 1, -inf at z = 0",
                     _quietly(_spence_rule), _example("spence(ad.tensor([1.0]))", "0.")),
    "binom": _binary("binom", ("g * ans * (digamma(n + 1) - digamma(n - k + 1)), by rgamma's "
                               "slope where k + 1 or n - k + 1 is an integer <= 0; NaN where "
                               "n + 1 is", _quietly(_binom_rule(True))),
                     ("g * ans * (digamma(n - k + 1) - digamma(k + 1)), by rgamma's slope "
                      "where k + 1 or n - k + 1 is an integer <= 0; NaN where n + 1 is",
                      _quietly(_binom_rule(False))),
                     _example("binom(ad.tensor([4.0]), 2.0)", "6."), names=("n", "k")),
    "stdtr": _binary("stdtr", ("not implemented", _order_rule(
                         "stdtr", "df", "it has no closed form in SciPy's functions")),
                     ("g * Student's t density at t with df degrees of freedom",
                      _quietly(_stdtr_t_rule)),
                     _example("stdtr(3.0, ad.tensor([0.0]))", "0.5"), names=("df", "t")),
    "owens_t": _binary("owens_t", ("g * -phi(h) erf(a h / sqrt 2) / 2", _owens_t_h_rule),
                       ("g * exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))", _owens_t_a_rule),
                       _example("owens_t(ad.tensor([0.0]), 1.0)", "0.125"),
                       names=("h", "a")),
})
