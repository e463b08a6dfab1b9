"""``np.emath`` (``np.lib.scimath``) on Tensors: ``sqrt``, ``log``, ``log2``, ``log10``,
``logn``, ``power``, ``arccos``, ``arcsin``, ``arctanh``.

These give a complex result where an entry is outside the real domain (below 0 for
the roots and logarithms, beyond 1 in absolute value for ``arccos``, ``arcsin``,
``arctanh``), and otherwise the real function's.  Where NumPy's result is real, the
library's real op runs, recorded, with NumPy's values and dtype.  Where it is complex,
it is not recorded (a real input turned complex has no rule here): with an input that
requires grad the call raises, naming the entries; without one, NumPy's complex
result comes back as a Tensor off the tape, as ``t + 1j`` does.
"""

from __future__ import annotations

import numpy as np

from ..compile.refusals import refuse_while_tracing
from ..graph import is_grad_enabled
from ..tensor import Tensor
from .elementwise import log, power, sqrt
from .exponentials import log2, log10
from .numpy_dispatch import implements
from .trig import arccos, arcsin, arctanh

_BELOW_ZERO = ("below 0", lambda v: v < 0)
_BEYOND_ONE = ("beyond 1 in absolute value", lambda v: np.abs(v) > 1)


#: The real function a compiled function can call instead.
_REAL = {"logn": "np.log(x) / np.log(n)"}


def _offending(value, domain) -> int:
    """How many real entries NumPy's ``_fix_real_*`` would turn complex."""
    data = _data(value)
    return int(np.count_nonzero(np.isreal(data) & domain[1](data)))


def _checked(name: str, arguments: dict, domains: dict):
    """``None`` if NumPy's result is real, else what a complex result calls for: NumPy's
    value (nothing requires grad) or the error."""
    refuse_while_tracing(
        f"numpy.emath.{name}", "whether its result is real or complex depends on the "
        "values", f"Call the real function ({_REAL.get(name, 'np.' + name)}) in a compiled "
        "function; outside the real domain it gives NaN, as NumPy's does.")
    complex_input = [k for k, v in arguments.items() if np.asarray(_data(v)).dtype.kind == "c"]
    counts = {k: _offending(v, domains[k]) for k, v in arguments.items()
              if k in domains and not complex_input}
    if not any(counts.values()) and not complex_input:
        return None
    recorded = is_grad_enabled() and any(isinstance(v, Tensor) and v.requires_grad
                                         for v in arguments.values())
    if not recorded:
        result = getattr(np.emath, name)(*(_data(v) for v in arguments.values()))
        return Tensor(np.asarray(result))
    described = ", ".join(_describe(k, v) for k, v in arguments.items())
    if complex_input:
        where = f"{', '.join(complex_input)} {'is' if len(complex_input) == 1 else 'are'} complex"
    else:
        where = " and ".join(
            f"{n} entr{'y' if n == 1 else 'ies'} of {k} {'is' if n == 1 else 'are'} "
            f"{domains[k][0]}" for k, n in counts.items() if n)
    raise TypeError(
        f"numpy.emath.{name} ({described}): {where}, where NumPy's result is complex, and "
        "complex values cannot be recorded on the tape: gradients here are real. Keep the "
        f"inputs in the real domain (no entry {_domain_words(domains)}), or compute on "
        "t.detach() if no gradient is needed (NumPy's complex value then comes back, off "
        "the tape).")


def _describe(name, value):
    data = np.asarray(_data(value))
    return f"{name} of shape {data.shape}, dtype {data.dtype}"


def _domain_words(domains):
    return " or ".join(dict.fromkeys(words for words, _ in domains.values()))


def _data(value):
    return value.data if isinstance(value, Tensor) else value


def _operand(value):
    """An argument as NumPy's ``scimath`` takes it: an array (a Python number becomes
    a 0-d array, which NumPy's promotion does not treat as weak)."""
    return value if isinstance(value, Tensor) else np.asarray(value)


def _unary(name, op, domain):
    def function(x):
        x = _operand(x)
        complex_result = _checked(name, {"x": x}, {"x": domain})
        return op(x) if complex_result is None else complex_result
    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"``np.emath.{name}``: ``np.{name}``, recorded, where no entry is "
                        f"{domain[0]};\ncomplex otherwise (see the module).")
    return implements(getattr(np.emath, name))(function)


sqrt_ = _unary("sqrt", sqrt, _BELOW_ZERO)
log_ = _unary("log", log, _BELOW_ZERO)
log2_ = _unary("log2", log2, _BELOW_ZERO)
log10_ = _unary("log10", log10, _BELOW_ZERO)
arccos_ = _unary("arccos", arccos, _BEYOND_ONE)
arcsin_ = _unary("arcsin", arcsin, _BEYOND_ONE)
arctanh_ = _unary("arctanh", arctanh, _BEYOND_ONE)
sqrt_.__doc__ += """

>>> x = ad.tensor([4.0, 9.0], requires_grad=True)
>>> y = np.emath.sqrt(x)
>>> y.sum().backward(); y, x.grad
(tensor([2., 3.], requires_grad=True), array([0.25      , 0.16666667]))
>>> np.emath.sqrt(ad.tensor([-4.0]))          # nothing requires grad: NumPy's value
tensor([0.+2.j], dtype=complex128)
"""


@implements(np.emath.logn)
def logn(n, x) -> Tensor:
    """``np.emath.logn``: ``log(x) / log(n)``, recorded in both where neither has an
    entry below 0.

    >>> x = ad.tensor([8.0, 4.0], requires_grad=True)
    >>> np.emath.logn(2, x)
    tensor([3., 2.], requires_grad=True)
    """
    n, x = _operand(n), _operand(x)
    complex_result = _checked("logn", {"n": n, "x": x}, {"n": _BELOW_ZERO, "x": _BELOW_ZERO})
    return log(x) / log(n) if complex_result is None else complex_result


@implements(np.emath.power)
def power_(x, p) -> Tensor:
    """``np.emath.power``: ``x ** p``, recorded in both where no entry of ``x`` is below
    0; an integer ``p`` with a negative entry is taken as float64, as NumPy does.

    >>> x = ad.tensor([2.0, 3.0], requires_grad=True)
    >>> np.emath.power(x, [2, -1])
    tensor([4.        , 0.33333333], requires_grad=True)
    """
    x, p = _operand(x), _operand(p)
    complex_result = _checked("power", {"x": x, "p": p}, {"x": _BELOW_ZERO})
    if complex_result is not None:
        return complex_result
    if _offending(p, _BELOW_ZERO) and np.asarray(_data(p)).dtype.kind in "iu":
        p = p.astype(np.float64)        # NumPy's p * 1.0
    return power(x, p)
