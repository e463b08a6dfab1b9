"""SciPy's Airy functions on Tensors: ``ai, aip, bi, bip = scipy.special.airy(t)`` and
``airye(t)`` record, each output an op of its own.

The forwards are SciPy's (its values exactly); the slopes come from Airy's equation
``w'' = z w``, through ``xp`` (so they have slopes of their own): ``Ai' = aip`` and
``aip' = z Ai``, the same for ``Bi``.  All four are holomorphic, so for complex z the
gradient is ``g * conj(w')`` (PyTorch's convention).

``airye`` scales them: ``eAi = Ai e^zeta``, ``eAi' = Ai' e^zeta`` with
``zeta = 2/3 z sqrt(z)``, whose slope is ``sqrt(z)``, so ``eAi' = eAip + sqrt(z) eAi``
and ``eAip' = z eAi + sqrt(z) eAip`` (real z < 0: NaN, as SciPy's values there).
``eBi = Bi e^(-|Re zeta|)``: for real z >= 0 ``eBi' = eBip - sqrt(z) eBi``,
``eBip' = z eBi - sqrt(z) eBip``; for real z < 0 the scale is 1.  ``|Re zeta|`` is not
holomorphic: for complex z, ``eBi`` and ``eBip`` record but their slopes raise, naming
the output.
"""

from __future__ import annotations

from .registry import defop


def _output(name, index):
    def forward(z):
        from scipy import special
        return getattr(special, name)(z)[index]
    forward.__name__ = f"{name}_{index}"
    return forward


def _is_complex(value) -> bool:
    return value.dtype.kind == "c"


def _holomorphic(slope, real_only=None):
    """``g * conj(slope)``; ``g * slope`` for real values (the same, one op fewer).  With
    ``real_only`` (the output's name), complex values record but their slope raises."""
    def rule(xp, g, ans, z):
        if real_only and _is_complex(ans):
            raise NotImplementedError(
                f"airye: the derivative of output {real_only} for complex z is not "
                "implemented (its scale exp(-|Re(2/3 z^(3/2))|) is not holomorphic); "
                "outputs eai and eaip have complex gradients, or use airy(z)[2:] times "
                "the scale written with ad.real / ad.abs")
        value = slope(xp, ans, z)
        return g * (xp.conj(value) if _is_complex(value) else value)
    return rule


def _root(xp, z):
    """``sqrt(z)``, principal; for real z, ``sqrt(max(z, 0))`` (the real scales' slope)."""
    if _is_complex(z):
        return xp.sqrt(z)
    positive = z > 0        # (0, not sqrt(0)'s infinite slope, on z <= 0)
    return xp.where(positive, xp.sqrt(xp.where(positive, z, 1.0)), 0.0)


_NAMES = {"airy": ("ai", "aip", "bi", "bip"), "airye": ("eai", "eaip", "ebi", "ebip")}
_SLOPES = {
    "ai": ("aip", lambda xp, ans, z: xp.scipy_airy_aip(z)),
    "aip": ("z ai", lambda xp, ans, z: z * xp.scipy_airy_ai(z)),
    "bi": ("bip", lambda xp, ans, z: xp.scipy_airy_bip(z)),
    "bip": ("z bi", lambda xp, ans, z: z * xp.scipy_airy_bi(z)),
    "eai": ("eaip + sqrt(z) eai",
            lambda xp, ans, z: xp.scipy_airye_eaip(z) + _root(xp, z) * ans),
    "eaip": ("z eai + sqrt(z) eaip",
             lambda xp, ans, z: z * xp.scipy_airye_eai(z) + _root(xp, z) * ans),
    "ebi": ("ebip - sqrt(max(z, 0)) ebi",
            lambda xp, ans, z: xp.scipy_airye_ebip(z) - _root(xp, z) * ans),
    "ebip": ("z ebi - sqrt(max(z, 0)) ebip",
             lambda xp, ans, z: z * xp.scipy_airye_ebi(z) - _root(xp, z) * ans),
}


def _op(name, index):
    part = _NAMES[name][index]
    formula, slope = _SLOPES[part]
    real_only = part if part in ("ebi", "ebip") else None
    complex_note = "real z only" if real_only else "conjugated for complex z"
    return defop(f"scipy_{name}_{part}", _output(name, index), elementwise=True,
                 doc=f"Output {index} ({part}) of ``scipy.special.{name}`` on a Tensor "
                     f"(SciPy's values, the library's gradient); ``{name}(t)`` on a "
                     f"Tensor returns all four.\n\n>>> from scipy import special\n"
                     f">>> special.{name}(ad.tensor([0.0]))[{index}].data.round(8)\n"
                     f"array([{_value_at_zero(name, index)}])",
                 z=(f"g * {formula}, {complex_note}", _holomorphic(slope, real_only)))


def _value_at_zero(name, index):
    return {"airy": ("0.35502805", "-0.2588194", "0.61492663", "0.44828836"),
            "airye": ("0.35502805", "-0.2588194", "0.61492663", "0.44828836")}[name][index]


AIRY = [_op("airy", i) for i in range(4)]
AIRYE = [_op("airye", i) for i in range(4)]
for _complex_op in AIRY + AIRYE:
    _complex_op.complex_twin = _complex_op     # (complex z: conjugated, or refused by name)


def _four(ops):
    def all_four(z):
        return tuple(op(z) for op in ops)
    return all_four


OPS = {"airy": _four(AIRY), "airye": _four(AIRYE)}
