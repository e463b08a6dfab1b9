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

The slopes in phi are elementary, so they have every order.  ``R_D``'s and ``R_J``'s own
derivatives need Carlson integrals with more parameters than SciPy has: ``elliprd`` and
``elliprj`` record, but their slopes (and so the second derivatives of the others through
``R_D``) raise, naming the function.
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


def _refused(name):
    def rule(xp, g, ans, *args):
        raise NotImplementedError(
            f"{name}: its derivatives are not implemented (they are Carlson integrals with "
            "more parameters than SciPy's elliprf/elliprd/elliprj; first derivatives of "
            "elliprf, elliprc, elliprg, ellipkinc and ellipeinc hold R_D, so their second "
            "derivatives, except ellipkinc's and ellipeinc's in phi, stop here too)")
    return rule


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
                   **{a: ("not implemented", _refused("elliprd")) for a in "xyz"}),
    "elliprj": _op("elliprj", "elliprj(ad.tensor([1.0]), 1.0, 1.0, 1.0)\ntensor([1.])",
                   **{a: ("not implemented", _refused("elliprj")) for a in "xyzp"}),
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
