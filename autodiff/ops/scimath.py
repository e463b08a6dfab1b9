"""``np.emath`` (``np.lib.scimath``) on Tensors: ``sqrt``, ``log``, ``log2``, ``log10``,
``logn``, ``power``, ``arccos``, ``arcsin``, ``arctanh``.

These give a complex result where an entry is outside the real domain (below 0 for
the roots and logarithms, beyond 1 in absolute value for ``arccos``, ``arcsin``,
``arctanh``), and otherwise the real function's.  As NumPy's, an argument with such an
entry is cast to complex first (complex64 from float32 and the small integers,
complex128 from the others), here by ``astype``, recorded, and the library's op then
runs on it: its complex twin (``complex_ops.py``, PyTorch's convention for complex
gradients), so a loss of the complex result differentiates back to the real input.
Where NumPy's result is real, the real op runs, with NumPy's values and dtype.
"""

from __future__ import annotations

import numpy as np

from ..compile.refusals import refuse_traced_values
from ..tensor import Tensor
from .elementwise import log, power, sqrt
from .exponentials import log2, log10
from .numpy_dispatch import implements
from .operands import python_numbers
from .trig import arccos, arcsin, arctanh

_BELOW_ZERO = ("below 0", lambda v: v < 0)
_BEYOND_ONE = ("beyond 1 in absolute value", lambda v: np.abs(v) > 1)

#: The dtypes NumPy's ``_tocomplex`` makes complex64 (every other one complex128).
_TO_COMPLEX64 = frozenset(np.dtype(t) for t in (np.float32, np.int8, np.int16, np.uint8,
                                                np.uint16, np.complex64))

#: The real function a compiled function can call instead.
_REAL = {"logn": "np.log(x) / np.log(n)"}


def _offending(value, domain) -> int:
    """How many real entries NumPy's ``_fix_real_*`` would turn complex."""
    data = _data(value)
    return int(np.count_nonzero(np.isreal(data) & domain[1](data)))


def _fixed(name: str, value, domain):
    """``value`` as NumPy's ``_fix_real_*`` passes it on: cast to complex (recorded, for
    a Tensor) when a real entry is outside ``domain``, else itself.  (``ad.compile``
    replays a complex value, whose result is complex whatever its values, and a
    constant, such as a Python number.)"""
    if np.asarray(_data(value)).dtype.kind != "c":
        refuse_traced_values(
            value, f"numpy.emath.{name}", "whether its result is real or complex depends "
            "on the values", f"Call the real function ({_REAL.get(name, 'np.' + name)}) "
            "in a compiled function (outside the real domain it gives NaN, as NumPy's "
            "does), or give it a complex argument (x.astype(np.complex128)), whose result "
            "is always complex.")
    if not _offending(value, domain):
        return value
    dtype = np.dtype(np.complex64 if value.dtype in _TO_COMPLEX64 else np.complex128)
    return value.astype(dtype)


def _data(value):
    return value.data if isinstance(value, Tensor) else value


def _operand(value):
    """An argument as NumPy's ``scimath`` takes it: an array (a Python number becomes
    a 0-d array, which NumPy's promotion does not treat as weak; made by Tensor, so
    that ``ad.compile`` keeps it as the constant it is)."""
    if isinstance(value, Tensor):
        return value
    return Tensor(value) if python_numbers(value) else np.asarray(value)


def _unary(name, op, domain):
    def function(x):
        return op(_fixed(name, _operand(x), domain))
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
>>> z = np.emath.sqrt(x - 8.0)             # complex where an entry is below 0
>>> z, ad.grad(lambda v: np.abs(np.emath.sqrt(v)).sum())(np.array([-4.0]))
(tensor([0.+2.j, 1.+0.j], dtype=complex128, requires_grad=True), array([-0.25]))
"""


@implements(np.emath.logn)
def logn(n, x) -> Tensor:
    """``np.emath.logn``: ``log(x) / log(n)``, recorded in both, complex where either
    has an entry below 0.

    >>> x = ad.tensor([8.0, 4.0], requires_grad=True)
    >>> np.emath.logn(2, x)
    tensor([3., 2.], requires_grad=True)
    """
    x = _fixed("logn", _operand(x), _BELOW_ZERO)
    n = _fixed("logn", _operand(n), _BELOW_ZERO)
    return log(x) / log(n)


@implements(np.emath.power)
def power_(x, p) -> Tensor:
    """``np.emath.power``: ``x ** p``, recorded in both, complex where an entry of ``x``
    is below 0; an integer ``p`` with a negative entry is taken as float64, as NumPy does.

    >>> x = ad.tensor([2.0, 3.0], requires_grad=True)
    >>> np.emath.power(x, [2, -1])
    tensor([4.        , 0.33333333], requires_grad=True)
    """
    x, p = _fixed("power", _operand(x), _BELOW_ZERO), _operand(p)
    if np.asarray(_data(p)).dtype.kind in "iu":
        refuse_traced_values(p, "numpy.emath.power", "an integer exponent with a negative "
                             "entry is taken as float64, so the dtype depends on the "
                             "values", "Give it a float exponent (p.astype(np.float64)).")
    if _offending(p, _BELOW_ZERO) and np.asarray(_data(p)).dtype.kind in "iu":
        p = p.astype(np.float64)        # NumPy's p * 1.0
    return power(x, p)
