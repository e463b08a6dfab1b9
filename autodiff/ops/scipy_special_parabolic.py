"""SciPy's parabolic cylinder functions on Tensors: ``d, dp = scipy.special.pbdv(v, t)``,
``pbvv(v, t)`` and ``pbwa(a, t)`` record, the function and its derivative each an op of
its own.

The forwards are SciPy's (its values exactly).  SciPy returns the derivative as the
second output, so the function's slope is that output, and the derivative's slope is
Weber's equation, through ``xp`` (so it has slopes of its own): ``D_v'' = (x^2/4 - v -
1/2) D_v``, the same for ``V_v``, and ``W'' = (a - x^2/4) W``.  The order (v, a) gets no
gradient: asking for it raises, naming it.
"""

from __future__ import annotations

from .scipy_special import slope_refused
from .scipy_special_equations import equation_pair


def _output(name, index):
    def forward(v, x):
        from scipy import special
        return getattr(special, name)(v, x)[index]
    forward.__name__ = f"{name}_{index}"
    return forward


def _order_refused(name, order):
    return slope_refused(name, order, "it has no closed form in SciPy's functions",
                         meaning="the first argument", only="x")


#: name: (the order's name, the second derivative's factor of the function in v and x)
_FAMILIES = {
    "pbdv": ("v", "x^2/4 - v - 1/2", lambda v, x: x * x / 4 - v - 0.5),
    "pbvv": ("v", "x^2/4 - v - 1/2", lambda v, x: x * x / 4 - v - 0.5),
    "pbwa": ("a", "a - x^2/4", lambda a, x: a - x * x / 4),
}
_EXAMPLES = {"pbdv": ("1.", "0."), "pbvv": ("0.", "0.79788456"),
             "pbwa": ("1.02276567", "-0.48887053")}


def _pair(name):
    order, written, factor = _FAMILIES[name]
    return equation_pair(
        name, lambda index: _output(name, index), (order, "x"),
        {order: ("not implemented", _order_refused(name, order))},
        lambda xp, v, x: factor(v, x), written=written,
        example=f"{name}(0.0, ad.tensor([0.0]))", values=_EXAMPLES[name])


OPS = {name: _pair(name) for name in _FAMILIES}
