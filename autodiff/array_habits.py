"""PyTorch habits on a parameter's ``.data``: ``p.data.zero_()``, ``p.data.fill_(v)``,
``p.data.copy_(x)``, ``p.data.mul_(s)``, ``p.data.add_(x, alpha=a)`` ...

``p.data`` is the parameter's NumPy array (the API says so, and code relies on it), and
an ndarray has none of the Tensor methods PyTorch code calls on ``p.data``: NumPy's own
``AttributeError`` would not say what to write instead.  So ``Parameter.data`` looks at
the attribute its caller reads next on that line (found once per place in the code,
then remembered): a Tensor method that an ndarray lacks raises ``AttributeError`` there,
giving the NumPy spelling (``p.data[...] = 0``, ``p.data += a * x``) and the tensor one
(``with ad.no_grad(): p.zero_()``).  Every other use of ``p.data`` gets the array.

>>> w = ad.nn.Parameter([1.0, 2.0])
>>> w.data.zero_()
Traceback (most recent call last):
AttributeError: 'numpy.ndarray' object has no attribute 'zero_': ...
"""

from __future__ import annotations

import dis
import sys

import numpy as np

#: The NumPy spelling of PyTorch's in-place methods on ``p.data`` (unrecorded, as there).
_NUMPY_SPELLINGS = {
    "zero_": "p.data[...] = 0",
    "fill_": "p.data[...] = value",
    "copy_": "p.data[...] = source",
    "mul_": "p.data *= other",
    "div_": "p.data /= other",
    "add_": "p.data += alpha * other",
    "sub_": "p.data -= alpha * other",
    "clamp_": "np.clip(p.data, lo, hi, out=p.data)",
    "neg_": "np.negative(p.data, out=p.data)",
}

_LOADS = ("LOAD_ATTR", "LOAD_METHOD")
_MAX_REMEMBERED = 4096
#: id(code) + (offset << 48) of a ``.data`` read -> (that code, the Tensor-only attribute
#: read next, or None).  Keyed by id, as hashing a code object hashes its contents; the
#: code is kept to tell a reused id apart.
_read_next: dict = {}


def data_property(slot) -> property:
    """``Parameter.data``: ``slot`` (``Tensor``'s own ``data``), but ``p.data.zero_()``
    and the like raise ``data_habit_error``.  Made for speed: the library reads it often."""
    def get_data(param, _frame=sys._getframe, _known=_read_next.get, _array=slot.__get__):
        frame = _frame(1)
        code = frame.f_code
        known = _known(id(code) + (frame.f_lasti << 48))
        if known is None or known[0] is not code:
            known = _remember(code, frame.f_lasti)
        if known[1] is not None:
            raise data_habit_error(param, known[1])
        return _array(param)

    return property(get_data, slot.__set__, doc="The parameter's NumPy array (Tensor.data).")


def _remember(code, offset: int) -> tuple:
    if len(_read_next) >= _MAX_REMEMBERED:
        _read_next.clear()
    known = _read_next[id(code) + (offset << 48)] = (code, _attribute_after(code, offset, "data"))
    return known


def _attribute_after(code, offset: int, attribute: str) -> str | None:
    instructions = iter(dis.get_instructions(code))
    for instruction in instructions:
        if instruction.offset == offset:
            following = next(instructions, None)
            if (instruction.opname in _LOADS and instruction.argval == attribute
                    and following is not None and following.opname in _LOADS
                    and _tensor_only(following.argval)):
                return following.argval
            return None
    return None


def _tensor_only(name: str) -> bool:
    from .tensor import Tensor
    return hasattr(Tensor, name) and not hasattr(np.ndarray, name)


def data_habit_error(param, name: str) -> AttributeError:
    """The error for ``param.data.<name>``, a Tensor method read on the NumPy array."""
    label = f" '{param.name}'" if getattr(param, "_name", None) else ""
    spelling = _NUMPY_SPELLINGS.get(name)
    instead = (f"write {spelling} (NumPy, in place and not recorded, as PyTorch's "
               f"p.data.{name}(...)), or call it on the parameter itself: with "
               f"ad.no_grad(): p.{name}(...)" if spelling is not None else
               f"call it on the parameter itself: p.{name}(...)"
               + (" (under ad.no_grad())" if name.endswith("_") else ""))
    return AttributeError(
        f"'numpy.ndarray' object has no attribute '{name}': the .data of parameter{label} "
        f"(shape {param.shape}) is its NumPy array, which has no Tensor methods; {instead}")
