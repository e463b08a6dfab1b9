"""SciPy's Bessel functions on Tensors: ``scipy.special.j0(t)``, ``jv(v, t)`` ... record.

The cylinder functions of the first and second kind (``j0``, ``j1``, ``y0``, ``y1``,
``jv``, ``yv``) and the modified ones (``k0``, ``k1``, ``iv``, ``kv``), SciPy's values
exactly, with slopes in x by the recurrences ``J0' = -J1``, ``J1' = J0 - J1 / x``,
``Z_v' = (Z_{v-1} - Z_{v+1}) / 2`` (``I_v' = (I_{v-1} + I_{v+1}) / 2`` and
``K_v' = -(K_{v-1} + K_{v+1}) / 2``), which call these ops again, so to any order.  The
order v has no closed-form slope and is refused, naming what to pass.  (PyTorch's
``torch.special.bessel_j0`` ... have no gradient; SciPy's have one here.)
"""

from __future__ import annotations

from .registry import defop
from .scipy_special import _quietly, _scipy_function


def _order_refused(name):
    def rule(xp, g, ans, v, x):
        raise NotImplementedError(
            f"scipy.special.{name}: the derivative with respect to the order v is not "
            f"implemented (it has no closed form); pass v as a number or an array, or a "
            f"Tensor that does not require grad")
    return rule


def _op(name, example, **rules):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values, the library's "
                     f"gradients).\n\n>>> from scipy import special\n{example}", **rules)


def _over_x(xp, value, x, at_zero):
    """``value / x``, ``at_zero`` where x == 0 (the limit of the first-order ones)."""
    zero = x == 0
    return xp.where(zero, at_zero, value / xp.where(zero, 1.0, x))


def _order_rule(combine):
    def rule(xp, g, ans, v, x):
        name = rule.op_name
        lower, upper = getattr(xp, name)(v - 1.0, x), getattr(xp, name)(v + 1.0, x)
        return g * combine(lower, upper)
    return rule


def _with_order(name, formula, combine, example):
    rule = _order_rule(combine)
    rule.op_name = f"scipy_{name}"
    return _op(name, example, v=("not implemented (no closed form)", _order_refused(name)),
               x=(formula, _quietly(rule)))


_OPS = {
    "j0": _op("j0", ">>> special.j0(ad.tensor([0.0]))\ntensor([1.])",
              x=("g * -j1(x)", lambda xp, g, ans, x: g * -xp.scipy_j1(x))),
    "j1": _op("j1", ">>> special.j1(ad.tensor([0.0]))\ntensor([0.])",
              x=("g * (j0(x) - j1(x) / x), g / 2 at 0", lambda xp, g, ans, x:
                 g * (xp.scipy_j0(x) - _over_x(xp, ans, x, 0.5)))),
    "y0": _op("y0", ">>> special.y0(ad.tensor([1.0]))\ntensor([0.08825696])",
              x=("g * -y1(x)", lambda xp, g, ans, x: g * -xp.scipy_y1(x))),
    "y1": _op("y1", ">>> special.y1(ad.tensor([1.0]))\ntensor([-0.78121282])",
              x=("g * (y0(x) - y1(x) / x)", _quietly(lambda xp, g, ans, x:
                                                     g * (xp.scipy_y0(x) - ans / x)))),
    "k0": _op("k0", ">>> special.k0(ad.tensor([1.0]))\ntensor([0.42102444])",
              x=("g * -k1(x)", lambda xp, g, ans, x: g * -xp.scipy_k1(x))),
    "k1": _op("k1", ">>> special.k1(ad.tensor([1.0]))\ntensor([0.60190723])",
              x=("g * -(k0(x) + k1(x) / x)", _quietly(lambda xp, g, ans, x:
                                                      g * -(xp.scipy_k0(x) + ans / x)))),
    "jv": _with_order("jv", "g * (jv(v - 1, x) - jv(v + 1, x)) / 2",
                      lambda lower, upper: (lower - upper) / 2,
                      ">>> special.jv(0.0, ad.tensor([0.0]))\ntensor([1.])"),
    "yv": _with_order("yv", "g * (yv(v - 1, x) - yv(v + 1, x)) / 2",
                      lambda lower, upper: (lower - upper) / 2,
                      ">>> special.yv(0.0, ad.tensor([1.0]))\ntensor([0.08825696])"),
    "iv": _with_order("iv", "g * (iv(v - 1, x) + iv(v + 1, x)) / 2",
                      lambda lower, upper: (lower + upper) / 2,
                      ">>> special.iv(0.0, ad.tensor([0.0]))\ntensor([1.])"),
    "kv": _with_order("kv", "g * -(kv(v - 1, x) + kv(v + 1, x)) / 2",
                      lambda lower, upper: -(lower + upper) / 2,
                      ">>> special.kv(0.0, ad.tensor([1.0]))\ntensor([0.42102444])"),
}
