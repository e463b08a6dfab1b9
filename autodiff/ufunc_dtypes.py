"""A ufunc's ``dtype=``, ``signature=`` and ``casting=`` on Tensors: NumPy picks the
loop (``ufunc.resolve_dtypes``, with NumPy's own casting checks and errors), the
inputs are cast to the loop's input dtypes on the tape, and the op computes in them,
so ``np.add(t, c, dtype=np.float32)`` is NumPy's float32 sum with its gradient.
``order=`` lays the result out as NumPy's (a recorded copy where it is not already).

Only floating-point loops are taken (a comparison's bool result included): an integer
loop of a float Tensor would give no gradient, so it is refused as before, naming the
arguments."""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

#: The ufunc arguments that choose the loop.
LOOP_ARGUMENTS = ("dtype", "signature", "casting")


def _operand_dtype(x):
    """The dtype ``resolve_dtypes`` takes for an operand: Python numbers as their type
    (NumPy's weak scalars), arrays and Tensors as their dtype."""
    if type(x) in (bool, int, float, complex):
        return type(x)
    return x.dtype if isinstance(x, (Tensor, np.ndarray, np.generic)) else np.asarray(x).dtype


def _as_dtype(entry):
    return entry if entry is None or isinstance(entry, np.dtype) else np.dtype(entry)


def loop_dtypes(ufunc: np.ufunc, inputs, kwargs: dict) -> tuple | None:
    """The loop dtypes ``(inputs..., outputs...)`` NumPy uses for ``ufunc(*inputs,
    **kwargs)``, with NumPy's error when the casting rule forbids it; None when the
    loop is not a floating-point, integer or bool one (complex, object: left to be
    refused).

    >>> loop_dtypes(np.add, (np.ones(2), 1.0), {"dtype": np.float32})
    (dtype('float32'), dtype('float32'), dtype('float32'))
    """
    if "dtype" in kwargs and "signature" in kwargs and kwargs["dtype"] is not None \
            and kwargs["signature"] is not None:
        raise TypeError("cannot specify both 'signature' and 'dtype'")      # (NumPy's)
    signature = kwargs.get("signature")
    if kwargs.get("dtype") is not None:
        signature = (None,) * ufunc.nin + (np.dtype(kwargs["dtype"]),) * ufunc.nout
    elif signature is not None and not isinstance(signature, str):
        signature = tuple(_as_dtype(entry) for entry in signature)
    operands = tuple(_operand_dtype(x) for x in inputs) + (None,) * ufunc.nout
    choices = {"casting": kwargs.get("casting") or "same_kind"}
    if signature is not None:
        choices["signature"] = signature
    loop = ufunc.resolve_dtypes(operands, **choices)
    if any(d.kind not in "fiub" for d in loop):
        return None
    return loop


def cast_to_loop(inputs, loop) -> tuple:
    """Each Tensor or array input cast to its loop dtype (on the tape for a Tensor);
    Python numbers stay numbers, which the op takes in the loop's dtype, except in an
    integer or bool loop, where NumPy casts them too (a 0-d array of the loop's dtype)."""
    from .ops.elementwise import astype
    cast = []
    for x, dtype in zip(inputs, loop):
        if isinstance(x, Tensor):
            x = x if x.dtype == dtype else astype(x, dtype)
        elif isinstance(x, (np.ndarray, np.generic)) or type(x) in (list, tuple):
            x = np.asarray(x).astype(dtype, copy=False)
        elif dtype.kind in "iub" and type(x) in (float, int, bool):
            x = np.asarray(x).astype(dtype)     # (1.5 in an integer loop is 1, as NumPy's)
        cast.append(x)
    return tuple(cast)


def in_loop_dtype(result, loop, nin: int):
    """``result`` (one Tensor) in the loop's output dtype, as NumPy's result is."""
    from .ops.elementwise import astype
    if isinstance(result, Tensor) and len(loop) == nin + 1 and result.dtype != loop[nin]:
        return astype(result, loop[nin])
    return result


def in_order(result, order: str, inputs):
    """``result`` laid out as a ufunc's ``order=`` asks ('C', 'F', or 'A': 'F' when every
    array input is F- and not C-contiguous), by a recorded copy when it is not already;
    'K' (NumPy's default, the inputs' layout) leaves it as it is."""
    if order not in ("C", "F", "A", "K"):
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    if order == "A":
        layouts = [x.data if isinstance(x, Tensor) else x for x in inputs
                   if isinstance(x, (Tensor, np.ndarray))]
        order = "F" if layouts and all(a.flags.f_contiguous and not a.flags.c_contiguous
                                       for a in layouts) else "C"
    if not isinstance(result, Tensor) or order == "K":
        return result
    flags = result.data.flags
    if (order == "C" and flags.c_contiguous) or (order == "F" and flags.f_contiguous):
        return result
    return result.copy(order=order)


def in_clip_loop(a, lo, hi, dtype, casting):
    """``a`` and the bounds cast to the loop ``np.clip(..., dtype=dtype)`` runs."""
    operands = (a, a if lo is None else lo, a if hi is None else hi)  # (None: no say)
    loop = loop_dtypes(np._core.umath.clip, operands, {"dtype": dtype, "casting": casting})
    if loop is None:
        raise TypeError(f"numpy.clip on a Tensor: dtype={dtype!r} is supported for real, "
                        "integer and bool dtypes")
    return tuple(None if v is None else cast_to_loop((v,), (d,))[0]
                 for v, d in zip((a, lo, hi), loop))
