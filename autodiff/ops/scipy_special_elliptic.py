"""SciPy's incomplete elliptic integrals and Carlson's symmetric integrals on Tensors:
``scipy.special.ellipkinc(phi, m)``, ``ellipeinc``, ``elliprf``, ``elliprc``,
``elliprg``, ``elliprd``, ``elliprj``, and Jacobi's ``ellipj`` record.

The forwards are SciPy's (its values exactly); the slopes are closed forms in Carlson's
functions (DLMF 19.18, 19.25), through ``xp``:

- ``R_F``: ``dR_F/dz = -R_D(x, y, z) / 6``, each argument in turn in R_D's last place;
- ``R_C(x, y) = R_F(x, y, y)``: ``-R_D(y, y, x) / 6`` in x, ``-R_D(x, y, y) / 3`` in y
  (for y < 0, SciPy's Cauchy principal value, the slopes of ``sqrt(x / (x - y))
  R_C(x - y, -y)``);
- ``R_G``: ``dR_G/dz = R_F(x, y, z) / 4 - z R_D(x, y, z) / 12``, each argument in turn;
- ``F(phi|m)``: ``1 / sqrt(1 - m sin^2 phi)`` in phi, and in m
  ``sin^3 phi R_D(cos^2 phi, 1, 1 - m sin^2 phi) / 6`` (phi reduced to [-pi/2, pi/2] by
  ``F(phi + k pi) = F(phi) + 2k K``, adding ``2k K'(m)``);
- ``E(phi|m)``: ``sqrt(1 - m sin^2 phi)`` in phi, ``-sin^3 phi R_D(cos^2 phi,
  1 - m sin^2 phi, 1) / 6`` in m (plus ``2k E'(m)``).

``sn, cn, dn, ph = ellipj(u, m)``, each output an op of its own, have their slopes in u
(``sn' = cn dn``, ``cn' = -sn dn``, ``dn' = -m sn cn``, ``ph' = dn``, every order); in m
they are refused, naming it.

- ``R_J(x, y, z, p)``: ``dR_J/dx = (R_J - R_D(y, z, x)) / (2 (p - x))``, y and z alike,
  and in p by Euler's relation for a function homogeneous of degree -3/2:
  ``x R_J,x + y R_J,y + z R_J,z + p R_J,p = -3/2 R_J`` (for p < 0, SciPy's Cauchy
  principal value, the same formulas);
- ``R_D(x, y, z) = R_J(x, y, z, z)``: ``dR_D/dx = (R_D - R_D(y, z, x)) / (2 (z - x))``,
  y alike, and in z by Euler's relation.

Where an argument equals the pole (p for R_J, z for R_D) the quotient is 0/0; there its
slope ``D`` is the same Carlson function with the merged weights, so the pole's slope is
``2D`` (R_J) or ``3D`` (R_D) and Euler's relation gives D, taken at the weighted mean of
the merged arguments so that D's own slopes are the second derivatives.  Arguments within
a relative 2^-17 of the pole take that limit (the quotient's rounding grows as the gap
shrinks): first derivatives are within about 1e-10 relative of mpmath's there, second
derivatives within about 1e-5, both to rounding elsewhere.  All of these are written with
``xp`` and the functions themselves, so every slope has slopes of its own: ``elliprd``,
``elliprj``, ``elliprf``, ``elliprc``, ``elliprg`` and ``ellipkinc``'s and ``ellipeinc``'s
slopes in m have second derivatives (and higher ones, which at an argument equal to the
pole lack terms of second order in the gap and are not checked).
"""

from __future__ import annotations

import math

from .registry import defop
from .scipy_special import _quietly, _scipy_function, slope_refused
from .scipy_special_bessel import _ellipe_slope, _ellipk_slope


def _op(name, example, **rules):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values, the library's "
                     f"gradients).\n\n>>> from scipy import special\n>>> special.{example}",
                 **rules)


_NEAR_THE_POLE = 2.0 ** -17


class _Carlson:
    """``R_J(x, y, z, p)`` (``pole_weight`` 1) or ``R_D(x, y, z)`` (the pole z, weight
    3/2), each argument of weight 1/2: the function, and the ``R_D`` of an argument's
    difference quotient (the other arguments, then R_D's pole z, then the argument)."""

    def __init__(self, function, pole_weight, pole_in_rest):
        self.function, self.pole_weight, self.pole_in_rest = function, pole_weight, pole_in_rest

    def value(self, xp, arguments, pole):
        return getattr(xp, self.function)(*arguments, pole)

    def quotient(self, xp, ans, arguments, pole, index, near):
        """``(ans - R_D(rest, v)) / (2 (pole - v))``, v the argument ``index``."""
        v = arguments[index]
        rest = [u for j, u in enumerate(arguments) if j != index]
        rest += [pole] if self.pole_in_rest else []
        return (ans - _rd(xp, *rest, v)) / (2 * xp.where(near[index], 1.0, pole - v))

    def near(self, xp, arguments, pole):
        return [xp.abs(pole - v) <= _NEAR_THE_POLE * xp.maximum(xp.abs(pole), xp.abs(v))
                for v in arguments]

    def merged(self, xp, arguments, pole, index, near):
        """The slope in argument ``index`` where it meets the pole, from Euler's relation
        ``sum of u dR/du = -3/2 R`` and the pole's slope being ``pole_weight / (1/2)``
        times it, evaluated where the arguments near the pole and the pole all take their
        mean weighted by ``b_u + [u is this argument]`` (``b`` the weights): there the
        slope's own first derivatives are the function's second (they are the merged
        function's times ``b_v (b_u + [u = v])``)."""
        total = self.pole_weight
        weighted = self.pole_weight * pole
        for j, (u, close) in enumerate(zip(arguments, near)):
            weight = 1.5 if j == index else 0.5
            total = total + xp.where(close, weight, 0.0)
            weighted = weighted + xp.where(close, weight * u, 0.0)
        point = weighted / total
        moved = [xp.where(close, point, u) for u, close in zip(arguments, near)]
        ans = self.value(xp, moved, point)
        rest = -1.5 * ans
        count = 2 * self.pole_weight
        for j, (u, close) in enumerate(zip(moved, near)):
            far = self.quotient(xp, ans, moved, point, j, near)
            rest = rest - xp.where(close | (u == 0), 0.0, u * far)
            count = count + xp.where(close, 1.0, 0.0)
        return rest / (xp.where(point == 0, 1.0, point) * count)

    def slope(self, xp, ans, arguments, pole, index):
        near = self.near(xp, arguments, pole)
        return xp.where(near[index], self.merged(xp, arguments, pole, index, near),
                        self.quotient(xp, ans, arguments, pole, index, near))

    def pole_slope(self, xp, ans, arguments, pole):
        """By Euler's relation: ``(-3/2 R - sum of u dR/du) / pole``."""
        rest = -1.5 * ans
        for index, u in enumerate(arguments):
            rest = rest - xp.where(u == 0, 0.0, u * self.slope(xp, ans, arguments, pole, index))
        return rest / xp.where(pole == 0, 1.0, pole)


_RJ = _Carlson("scipy_elliprj", 1.0, False)
_RD = _Carlson("scipy_elliprd", 1.5, True)


def _rj_rule(which):
    """R_J's slope in argument ``which`` (0, 1, 2 for x, y, z; 3 for p)."""
    def rule(xp, g, ans, x, y, z, p):
        if which == 3:
            return g * _RJ.pole_slope(xp, ans, (x, y, z), p)
        return g * _RJ.slope(xp, ans, (x, y, z), p, which)
    return _quietly(rule)


def _rd_rule(which):
    """R_D's slope in argument ``which`` (0, 1 for x, y; 2 for z)."""
    def rule(xp, g, ans, x, y, z):
        if which == 2:
            return g * _RD.pole_slope(xp, ans, (x, y), z)
        return g * _RD.slope(xp, ans, (x, y), z, which)
    return _quietly(rule)


def _rd(xp, x, y, z):
    return xp.scipy_elliprd(x, y, z)


def _reduced(xp, phi):
    """``(k, phi - k pi)``, ``k`` the nearest integer to ``phi / pi``."""
    turns = xp.round(phi / math.pi)
    return turns, phi - turns * math.pi


def _incomplete_m_rule(second_kind):
    def rule(xp, g, ans, phi, m):
        turns, inner = _reduced(xp, phi)
        sine, cosine = xp.sin(inner), xp.cos(inner)
        delta = 1 - m * sine * sine
        cubed = sine * sine * sine
        if second_kind:
            slope = -cubed * _rd(xp, cosine * cosine, delta, 1.0) / 6
        else:
            slope = cubed * _rd(xp, cosine * cosine, 1.0, delta) / 6
        whole = turns != 0           # (F(phi + k pi) = F(phi) + 2k K(m), E alike)
        safe_m = xp.where(whole, m, 0.5)
        complete = (_ellipe_slope(xp, safe_m) if second_kind
                    else _ellipk_slope(xp, safe_m, xp.scipy_ellipk(safe_m)))
        return g * (slope + xp.where(whole, 2 * turns * complete, 0.0))
    return _quietly(rule)


def _rc_slopes(xp, x, y):
    """``(dR_C/dx, dR_C/dy)``: ``-R_D(y, y, x) / 6`` and ``-R_D(x, y, y) / 3`` for y > 0;
    for y < 0 (SciPy's Cauchy principal value, ``sqrt(x / u) R_C(u, w)``, ``u = x - y``,
    ``w = -y``, DLMF 19.2.20) the slopes of that, each branch at the other's safe point."""
    negative = y < 0
    px, py = xp.where(negative, 1.0, x), xp.where(negative, 1.0, y)
    positive = (-_rd(xp, py, py, px) / 6, -_rd(xp, px, py, py) / 3)
    nx, ny = xp.where(negative, x, 1.0), xp.where(negative, y, -1.0)
    u, w = nx - ny, -ny
    scale = xp.sqrt(nx / u)
    value = xp.scipy_elliprc(u, w)
    along_u, along_w = -_rd(xp, w, w, u) / 6, -_rd(xp, u, w, w) / 3
    principal = (scale * (w / (2 * nx * u)) * value + scale * along_u,
                 scale / (2 * u) * value - scale * (along_u + along_w))
    return [xp.where(negative, b, a) for a, b in zip(positive, principal)]


def _rg_rule(xp, g, ans, x, y, z):
    # dR_G/dz = R_F(x, y, z) / 4 - z R_D(x, y, z) / 12 (the rule is called with the
    # argument it differentiates last); z R_D is 0 at z = 0, where R_D is infinite
    zero = z == 0
    scaled = xp.where(zero, 0.0, z * _rd(xp, x, y, xp.where(zero, 1.0, z)))
    return g * (xp.scipy_elliprf(x, y, z) / 4 - scaled / 12)


OPS = {
    "ellipkinc": _op(
        "ellipkinc", "ellipkinc(ad.tensor([0.5]), 0.0)\ntensor([0.5])",
        phi=("g / sqrt(1 - m sin^2 phi)",
             _quietly(lambda xp, g, ans, phi, m: g / xp.sqrt(1 - m * xp.sin(phi) ** 2))),
        m=("g * sin^3 phi R_D(cos^2 phi, 1, 1 - m sin^2 phi) / 6 (+ 2k K'(m), phi = "
           "phi_0 + k pi)", _incomplete_m_rule(False))),
    "ellipeinc": _op(
        "ellipeinc", "ellipeinc(ad.tensor([0.5]), 0.0)\ntensor([0.5])",
        phi=("g * sqrt(1 - m sin^2 phi)",
             _quietly(lambda xp, g, ans, phi, m: g * xp.sqrt(1 - m * xp.sin(phi) ** 2))),
        m=("g * -sin^3 phi R_D(cos^2 phi, 1 - m sin^2 phi, 1) / 6 (+ 2k E'(m), phi = "
           "phi_0 + k pi)", _incomplete_m_rule(True))),
    "elliprf": _op(
        "elliprf", "elliprf(ad.tensor([1.0]), 1.0, 1.0)\ntensor([1.])",
        x=("g * -R_D(y, z, x) / 6, -inf at x = 0",
           _quietly(lambda xp, g, ans, x, y, z: g * -_rd(xp, y, z, x) / 6)),
        y=("g * -R_D(x, z, y) / 6", lambda xp, g, ans, x, y, z: g * -_rd(xp, x, z, y) / 6),
        z=("g * -R_D(x, y, z) / 6", lambda xp, g, ans, x, y, z: g * -_rd(xp, x, y, z) / 6)),
    "elliprc": _op(
        "elliprc", "elliprc(ad.tensor([1.0]), 1.0)\ntensor([1.])",
        x=("g * -R_D(y, y, x) / 6; for y < 0 by sqrt(x / (x - y)) R_C(x - y, -y)",
           _quietly(lambda xp, g, ans, x, y: g * _rc_slopes(xp, x, y)[0])),
        y=("g * -R_D(x, y, y) / 3; for y < 0 by sqrt(x / (x - y)) R_C(x - y, -y)",
           _quietly(lambda xp, g, ans, x, y: g * _rc_slopes(xp, x, y)[1]))),
    "elliprg": _op(
        "elliprg", "elliprg(ad.tensor([1.0]), 1.0, 1.0)\ntensor([1.])",
        x=("g * (R_F / 4 - x R_D(y, z, x) / 12)",
           _quietly(lambda xp, g, ans, x, y, z: _rg_rule(xp, g, ans, y, z, x))),
        y=("g * (R_F / 4 - y R_D(x, z, y) / 12)",
           _quietly(lambda xp, g, ans, x, y, z: _rg_rule(xp, g, ans, x, z, y))),
        z=("g * (R_F / 4 - z R_D(x, y, z) / 12)", _quietly(_rg_rule))),
    "elliprd": _op("elliprd", "elliprd(ad.tensor([1.0]), 1.0, 1.0)\ntensor([1.])",
                   x=("g * (R_D - R_D(y, z, x)) / (2 (z - x))", _rd_rule(0)),
                   y=("g * (R_D - R_D(x, z, y)) / (2 (z - y))", _rd_rule(1)),
                   z=("g * (-3/2 R_D - x R_D,x - y R_D,y) / z", _rd_rule(2))),
    "elliprj": _op("elliprj", "elliprj(ad.tensor([1.0]), 1.0, 1.0, 1.0)\ntensor([1.])",
                   x=("g * (R_J - R_D(y, z, x)) / (2 (p - x))", _rj_rule(0)),
                   y=("g * (R_J - R_D(x, z, y)) / (2 (p - y))", _rj_rule(1)),
                   z=("g * (R_J - R_D(x, y, z)) / (2 (p - z))", _rj_rule(2)),
                   p=("g * (-3/2 R_J - x R_J,x - y R_J,y - z R_J,z) / p", _rj_rule(3))),
}


# -- Jacobi's elliptic functions: sn, cn, dn, ph = ellipj(u, m) -----------------------------

def _ellipj_output(index):
    def forward(u, m):
        from scipy import special
        return special.ellipj(u, m)[index]
    forward.__name__ = f"ellipj_{index}"
    return forward


_ellipj_m_rule = slope_refused(
    "ellipj", "m", "it holds E(am u | m) minus terms that cancel near m = 0",
    meaning="the second argument", only="u")


def _part(xp, name, u, m):
    return getattr(xp, f"scipy_ellipj_{name}")(u, m)


_ELLIPJ_SLOPES = {
    "sn": ("cn dn", lambda xp, u, m: _part(xp, "cn", u, m) * _part(xp, "dn", u, m)),
    "cn": ("-sn dn", lambda xp, u, m: -_part(xp, "sn", u, m) * _part(xp, "dn", u, m)),
    "dn": ("-m sn cn", lambda xp, u, m: -m * _part(xp, "sn", u, m) * _part(xp, "cn", u, m)),
    "ph": ("dn", lambda xp, u, m: _part(xp, "dn", u, m)),
}
_ELLIPJ_AT_ZERO = {"sn": "0.", "cn": "1.", "dn": "1.", "ph": "0."}


def _ellipj_op(index, part):
    formula, slope = _ELLIPJ_SLOPES[part]
    return defop(f"scipy_ellipj_{part}", _ellipj_output(index), elementwise=True,
                 doc=f"Output {index} ({part}) of ``scipy.special.ellipj`` on Tensors (SciPy's "
                     f"values, the library's gradient in u; none in m); ``ellipj(u, m)`` on "
                     f"Tensors returns all four.\n\n>>> from scipy import special\n"
                     f">>> special.ellipj(ad.tensor([0.0]), 0.5)[{index}]\n"
                     f"tensor([{_ELLIPJ_AT_ZERO[part]}])",
                 u=(f"g * {formula}", lambda xp, g, ans, u, m: g * slope(xp, u, m)),
                 m=("not implemented", _ellipj_m_rule))


ELLIPJ = [_ellipj_op(i, part) for i, part in enumerate(("sn", "cn", "dn", "ph"))]


def _ellipj(u, m):
    return tuple(op(u, m) for op in ELLIPJ)


OPS["ellipj"] = _ellipj
