"""The behaviour fields of an op entry that only the teaching diagnostics read
(``explain``, ``detect_anomaly``, the ``.grad`` warnings): what the op does, said as
behaviour rather than by its name, so that an op defined with ``defop`` is explained as
well as a built-in one.  ``Op`` inherits the defaults; ``defop`` takes each as a keyword.

>>> scale = ad.defop("scale", np.multiply, multilinear=True,
...                  a=("g * b", lambda xp, g, ans, a, b: g * b),
...                  b=("g * a", lambda xp, g, ans, a, b: g * a))
>>> scale.multilinear, ad.multiply.multilinear, ad.add.multilinear
(True, True, False)
>>> ad.ops.registry.unregister("scale")
"""

from __future__ import annotations

import numpy as np


class DiagnosticFields:
    """Defaults of the diagnostics' fields (see the module)."""

    #: Linear in each differentiable input separately (multiply, matmul, einsum, conv):
    #: an all-zero input gives a zero output and zero gradients to the others, which
    #: ``explain`` names as the cause of a zero gradient (a weight initialised to zeros).
    multilinear = False
    #: The output is a probability that rounds to 0 or 1 far out (softmax, sigmoid):
    #: what to compute instead of its log, which ``detect_anomaly`` says at a log of 0.
    probability: str | None = None
    #: The output is the logarithm of the first input (log, log2, log10): -inf at 0.
    logarithm = False
    #: ``(1, 1)`` for add, ``(1, -1)`` for subtract: the output is the sum of the two
    #: inputs times these signs (``w - lr * w.grad`` recorded; ``log(1 - p)``).
    sum_signs: tuple | None = None
    #: The output can pass its dtype's largest value from finite inputs (exp, cosh,
    #: square): what to do then, for ``detect_anomaly``; or ``(advice, test)``, where
    #: ``test(*inputs, **kwargs)`` is true when an inf there is such an overflow (power:
    #: not at a base of 0, where it is a division by zero).
    overflows: str | tuple | None = None
    #: How the output saturates, flat at a limit (sigmoid, tanh, erf, softmax): a
    #: ``Saturation`` (``saturation.py``), for ``explain``'s note on a vanishing gradient.
    saturation = None
    #: Where the op has no finite derivative of higher orders, which its gradient rule
    #: guards ("0" for sqrt, "the origin (both inputs 0)" for hypot): ``detect_anomaly``
    #: names it when a higher derivative is NaN inside that rule.
    guarded_point: str | None = None
    #: How the op reduces its input (sum: "adds up", mean: "averages"): ``explain``'s
    #: note on a loss that reduced an (N, N) table of broadcast differences.
    reduction: str | None = None
    #: The op can measure the size of an error (square, abs, power, sqrt, a product):
    #: between a subtraction and a reduction, it makes the pair a loss (same note).
    error_measure = False
    #: The op can give a tensor a size-1 axis on purpose (reshape, indexing with None,
    #: expand_dims, transpose): a column made so is not a model's output (same note).
    adds_axis = False


#: The fields above, which ``defop`` takes by keyword (no input may use these names).
DIAGNOSTIC_FIELDS = tuple(name for name in vars(DiagnosticFields) if not name.startswith("_"))


def set_diagnostic_fields(op, given: dict) -> None:
    """Set every field above on ``op``, last and in one order, ``given``'s values or the
    defaults: every op then has one attribute layout, which CPython's attribute look-ups
    on the call paths rely on (only some ops setting some fields cost about 400
    instructions an op on a chain of recorded ops)."""
    for field in DIAGNOSTIC_FIELDS:
        setattr(op, field, given.get(field, getattr(DiagnosticFields, field)))


#: ``overflows`` of the exponentials: what keeps their argument small.
EXP_OVERFLOW = "e.g. logsumexp instead of log(sum(exp(x)))"
#: ``overflows`` of the other ops that can overflow (cosh, square, ldexp).
OVERFLOW = "or rescale the values"


def _base_is_nonzero_float(a, *rest, **kwargs) -> bool:
    return (isinstance(a, (np.ndarray, np.generic, float, complex))
            and np.asarray(a).dtype.kind in "fc" and not (np.asarray(a) == 0).any())


#: ``overflows`` of power and float_power: an inf at a base of 0 is a division by zero.
POWER_OVERFLOW = (OVERFLOW, _base_is_nonzero_float)
