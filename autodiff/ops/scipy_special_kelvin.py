"""SciPy's Kelvin functions on Tensors: ``scipy.special.ber(t)``, ``bei``, ``ker``,
``kei``, their derivatives ``berp``, ``beip``, ``kerp``, ``keip``, and
``Be, Ke, Bep, Kep = kelvin(t)`` (four complex outputs, each an op of its own) record.

The forwards are SciPy's (its values exactly).  ``ber + i bei`` and ``ker + i kei`` solve
Kelvin's equation ``w'' = i w - w' / x``, so the slopes are SciPy's own derivatives
one level down: ``ber' = berp``, ``berp' = -bei - berp / x``, ``bei' = beip``,
``beip' = ber - beip / x``, the same for ``ker`` and ``kei``, and for ``kelvin``'s
complex outputs ``Be' = Bep``, ``Bep' = i Be - Bep / x`` (``Ke`` alike).  At x = 0
``berp / x`` and ``beip / x`` are their limits 0 and 1/2 (``ker`` and ``kei`` have a
logarithmic singularity there: their slopes are SciPy's infinities).  Called through
``xp``, every slope has slopes of its own.  ``kelvin``'s outputs are complex of a real
x: the gradient is ``g * conj(w')`` (PyTorch's convention), whose real part reaches x.
"""

from __future__ import annotations

from .registry import defop
from .scipy_special import _quietly, _scipy_function


def _over_x(xp, numerator, x, at_zero):
    """``numerator / x``, ``at_zero`` (its limit) where x = 0."""
    zero = x == 0
    return xp.where(zero, at_zero, numerator / xp.where(zero, 1.0, x))


def _op(name, formula, slope, example):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on a Tensor (SciPy's values, the library's "
                     f"gradient).\n\n>>> from scipy import special\n>>> special.{example}",
                 x=(formula, _quietly(lambda xp, g, ans, x: g * slope(xp, ans, x))))


OPS = {
    "ber": _op("ber", "g * berp(x)", lambda xp, ans, x: xp.scipy_berp(x),
               "ber(ad.tensor([0.0]))\ntensor([1.])"),
    "bei": _op("bei", "g * beip(x)", lambda xp, ans, x: xp.scipy_beip(x),
               "bei(ad.tensor([0.0]))\ntensor([0.])"),
    "ker": _op("ker", "g * kerp(x)", lambda xp, ans, x: xp.scipy_kerp(x),
               "ker(ad.tensor([1.0]))\ntensor([0.28670621])"),
    "kei": _op("kei", "g * keip(x)", lambda xp, ans, x: xp.scipy_keip(x),
               "kei(ad.tensor([1.0]))\ntensor([-0.49499464])"),
    "berp": _op("berp", "g * (-bei(x) - berp(x) / x), 0 at x = 0",
                lambda xp, ans, x: -xp.scipy_bei(x) - _over_x(xp, ans, x, 0.0),
                "berp(ad.tensor([0.0]))\ntensor([0.])"),
    "beip": _op("beip", "g * (ber(x) - beip(x) / x), 1/2 at x = 0",
                lambda xp, ans, x: xp.scipy_ber(x) - _over_x(xp, ans, x, 0.5),
                "beip(ad.tensor([0.0]))\ntensor([0.])"),
    "kerp": _op("kerp", "g * (-kei(x) - kerp(x) / x)",
                lambda xp, ans, x: -xp.scipy_kei(x) - ans / x,
                "kerp(ad.tensor([1.0]))\ntensor([-0.69460389])"),
    "keip": _op("keip", "g * (ker(x) - keip(x) / x)",
                lambda xp, ans, x: xp.scipy_ker(x) - ans / x,
                "keip(ad.tensor([1.0]))\ntensor([0.35236991])"),
}


def _kelvin_output(index):
    def forward(x):
        from scipy import special
        return special.kelvin(x)[index]
    forward.__name__ = f"kelvin_{index}"
    return forward


def _kelvin_op(index, part, formula, slope, example):
    op = defop(f"scipy_kelvin_{part}", _kelvin_output(index), elementwise=True,
               doc=f"Output {index} ({part}) of ``scipy.special.kelvin`` on a Tensor "
                   f"(SciPy's complex values of a real x, the library's gradient); "
                   f"``kelvin(t)`` on a Tensor returns all four.\n\n"
                   f">>> from scipy import special\n>>> {example}",
               x=(f"g * conj({formula})",
                  _quietly(lambda xp, g, ans, x: g * xp.conj(slope(xp, ans, x)))))
    op.complex_twin = op        # (its rule is written for complex values)
    return op


KELVIN = [
    _kelvin_op(0, "be", "Bep(x)", lambda xp, ans, x: xp.scipy_kelvin_bep(x),
               "special.kelvin(ad.tensor([0.0]))[0]\ntensor([1.+0.j], dtype=complex128)"),
    _kelvin_op(1, "ke", "Kep(x)", lambda xp, ans, x: xp.scipy_kelvin_kep(x),
               "special.kelvin(ad.tensor([1.0]))[1].data.round(8)\n"
               "array([0.28670621-0.49499464j])"),
    _kelvin_op(2, "bep", "i Be(x) - Bep(x) / x, i/2 at x = 0",
               lambda xp, ans, x: 1j * xp.scipy_kelvin_be(x) - _over_x(xp, ans, x, 0.5j),
               "special.kelvin(ad.tensor([0.0]))[2]\ntensor([0.+0.j], dtype=complex128)"),
    _kelvin_op(3, "kep", "i Ke(x) - Kep(x) / x",
               lambda xp, ans, x: 1j * xp.scipy_kelvin_ke(x) - ans / x,
               "special.kelvin(ad.tensor([1.0]))[3].data.round(8)\n"
               "array([-0.69460389+0.35236991j])"),
]


def _kelvin(x):
    return tuple(op(x) for op in KELVIN)


OPS["kelvin"] = _kelvin
