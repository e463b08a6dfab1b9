"""``np.frompyfunc(f, nin, nout)(t, ...)`` with Tensors among the arguments, recorded.

NumPy's ufunc made by ``frompyfunc`` calls ``f`` on each element, as Python objects,
and gives an array of objects.  Called on Tensors it reaches ``Tensor.__array_ufunc__``,
which runs the loop here: each Tensor is broadcast and cut into 0-d Tensors, the ufunc
itself is called on arrays of those objects (so ``f`` sees 0-d Tensors and what it
does to them is on the tape), and the results are stacked into a Tensor.  A Tensor
cannot hold Python objects, so the result's dtype is the one NumPy gives the results
together (``np.result_type``), float64 for Python floats; ``.astype(float)``, which
usually follows a ``frompyfunc`` call, then changes nothing.  The calls without a
Tensor are NumPy's own.

>>> x = ad.tensor([0.0, 1.0, 2.0], requires_grad=True)
>>> clipped_square = np.frompyfunc(lambda v: v * v if v < 1 else 2 * v - 1, 1, 1)
>>> clipped_square(x).sum().backward(); x.grad
array([0., 2., 2.])
"""

from __future__ import annotations

import math

import numpy as np

from .numpy_vectorize import (number_dtype, operand_of, split_outputs, stack_cast,
                              warn_if_numbers_only)
from .tensor import Tensor


def _objects(operand, shape: tuple) -> np.ndarray:
    """``operand`` broadcast to ``shape``, flat, as an array of objects: 0-d Tensors for
    a Tensor, Python numbers for an array (what NumPy's loop hands the function)."""
    flat = np.broadcast_to(operand, shape).reshape(-1)
    objects = np.empty(flat.shape[0], dtype=object)
    for i in range(flat.shape[0]):
        objects[i] = flat[i] if isinstance(flat, Tensor) else flat[i].item()
    return objects


def _results_dtype(values: list, caller: str) -> np.dtype:
    """The dtype NumPy gives the results together (a Python float with float32 Tensors
    stays float32, as in arithmetic); a TypeError naming the first result that is not a
    number (``None``, a string ...), which a Tensor cannot hold."""
    kinds = {}
    for value in values:        # (one of each dtype or Python type: result_type's arguments)
        kinds.setdefault(value.dtype if isinstance(value, Tensor) else type(value), value)
    for value in kinds.values():
        if not isinstance(value, Tensor):
            # (result_type reads a string as a dtype's name and None as float64)
            number_dtype(np.asarray(value).dtype, value, caller)
    dtype = np.result_type(*(key if isinstance(key, np.dtype) else value
                             for key, value in kinds.items()))
    return number_dtype(dtype, values[0], caller)


def call_on_tensors(ufunc: np.ufunc, inputs: tuple, kwargs: dict):
    """``ufunc(*inputs)`` for a ufunc made by ``np.frompyfunc``, with Tensors among
    ``inputs``: its function called on 0-d Tensors, the results stacked into Tensors."""
    caller = f"the np.frompyfunc ufunc {ufunc.__name__!r}"
    if kwargs:
        raise TypeError(
            f"{caller} on a Tensor: the keyword arguments {sorted(kwargs)} are not "
            "supported (the calls are recorded on the tape and stacked into a new Tensor); "
            "call it without them, or on t.detach() if no gradient is needed")
    operands = [operand_of(value) for value in inputs]
    shape = np.broadcast_shapes(*(operand.shape for operand in operands))
    if math.prod(shape) == 0:
        raise ValueError(
            f"{caller} on a Tensor of size 0 (shape {shape}): with no call of the "
            "function its results' dtype is unknown; np.vectorize(f, otypes=[dtype])(t) "
            "gives an empty Tensor of that dtype")
    results = ufunc(*(_objects(operand, shape) for operand in operands))
    calls = list(results) if ufunc.nout == 1 else list(zip(*results))
    per_output = split_outputs(calls, ufunc.nout, [()] * ufunc.nout, caller)
    warn_if_numbers_only(per_output, operands, caller)
    outputs = [stack_cast(values, _results_dtype(values, caller), shape)
               for values in per_output]
    return outputs[0] if ufunc.nout == 1 else tuple(outputs)
