"""``np.vectorize(f)(t, ...)`` with Tensors among the arguments, recorded on the tape.

NumPy's ``vectorize`` makes arrays of Python objects of its arguments and calls ``f``
on plain numbers, so the Tensors' gradients were lost.  ``install`` (run when
``autodiff`` is imported) wraps ``np.vectorize.__call__``: when a Tensor is among the
arguments (or in a list among them), the loop runs here instead, calling ``f`` on
0-d Tensors (on the Tensors' slices along the core dimensions with ``signature=``) and
stacking what it gives, so every call is on the tape; slow, as NumPy's loop is, but
right.  ``otypes``, ``excluded`` (an excluded Tensor reaches ``f`` whole) and
broadcasting are NumPy's; each output's dtype is ``otypes``' or that of the first
call's result, and every result is cast to it, as NumPy does.  As in NumPy's loop,
which passes Python numbers, a float32 (float16, complex64) Tensor's elements reach
``f`` in double precision, and without ``otypes`` the first element is called once
more in its own dtype to find the output types (that call's result is the first
element's with ``cache=True``); but a Python float is a weak scalar, so where ``f``
mixes it with float32 values of its own NumPy computes in float32, and a float64 0-d
Tensor does not.  Calls without Tensors are NumPy's own.  Unlike NumPy,
a float64 Tensor's first element is not called twice: ``f`` sees the same 0-d Tensor
either way.

>>> x = ad.tensor([0.0, 1.0, 2.0], requires_grad=True)
>>> def clipped_square(v):
...     return v * v if v < 1 else 2 * v - 1
>>> y = np.vectorize(clipped_square)(x)
>>> y.sum().backward(); x.grad
array([0., 2., 2.])
"""

from __future__ import annotations

import math

import numpy as np

from .grad_mode import is_grad_enabled
from .compile.hooks import note_made_from_numbers
from .ops.operands import from_nested, holds_tensor, python_numbers
from .tape_drop import TapeDropWarning, user_frame, warn_at
from .tensor import Tensor


def _varying(vectorized, args: tuple, kwargs: dict):
    """The function of the arguments that vary (those not excluded), and those
    arguments, as NumPy's ``vectorize`` forms them."""
    excluded = vectorized.excluded
    positions = [i for i in range(len(args)) if i not in excluded]
    names = [name for name in kwargs if name not in excluded]

    def call(*values):
        given = list(args)
        for i, value in zip(positions, values):
            given[i] = value
        named = dict(kwargs)
        named.update(zip(names, values[len(positions):]))
        return vectorized.pyfunc(*given, **named)

    return call, [args[i] for i in positions] + [kwargs[name] for name in names]


def operand_of(value):
    """A Tensor (lists that hold Tensors become one) or NumPy's array of ``value``."""
    if holds_tensor(value):
        return from_nested(value)
    return np.asanyarray(value)


def _rows(operand, loop_shape: tuple, core_shape: tuple, numbers: bool) -> list:
    """``operand`` broadcast to ``loop_shape + core_shape``, one entry per position of
    the loop: 0-d (or core-shaped) Tensors for a Tensor; for an array, Python numbers
    when ``numbers`` (what NumPy's loop without a signature passes), else its slices."""
    count = math.prod(loop_shape)
    if numbers and not isinstance(operand, Tensor):
        operand = np.asanyarray(operand, dtype=object)
    flat = np.broadcast_to(operand, loop_shape + core_shape).reshape((count,) + core_shape)
    return [flat[i] for i in range(count)] if isinstance(flat, Tensor) else list(flat)


def _output_dtype(vectorized, k: int, first) -> np.dtype:
    if vectorized.otypes is not None:
        return np.dtype(vectorized.otypes[k])
    return number_dtype(first.dtype if isinstance(first, Tensor) else np.asarray(first).dtype,
                        first, "np.vectorize")


def number_dtype(dtype: np.dtype, first, caller: str) -> np.dtype:
    """``dtype``, the results' dtype, when a Tensor can hold it; else a TypeError."""
    if dtype.kind not in "biufc":
        raise TypeError(
            f"{caller} on a Tensor: the function gave {first!r} (dtype {dtype}), which "
            "a Tensor cannot hold; return numbers, or call it on t.data / t.detach() if "
            "no gradient is needed")
    return dtype


def stack_cast(values: list, dtype: np.dtype, shape: tuple):
    """The results of the calls, each cast to ``dtype`` as NumPy's output array would
    cast it, stacked into a Tensor of ``shape``."""
    cast = [(v if v.dtype == dtype else v.astype(dtype)) if isinstance(v, Tensor)
            else np.asarray(v, dtype=dtype) for v in values]
    stacked = np.stack(cast)            # (a Tensor when one of them is)
    return (stacked if isinstance(stacked, Tensor) else Tensor(stacked)).reshape(shape)


def split_outputs(results: list, count: int, dims: list, caller: str = "np.vectorize") -> list:
    """``results`` (one per call) as one list of values per output, each checked to have
    as many dimensions as its core dimensions ``dims[k]``."""
    if count != 1:
        for result in results:
            got = len(result) if isinstance(result, tuple) else 1
            if got != count:
                raise ValueError(f"{caller} on a Tensor: wrong number of outputs from "
                                 f"the function: expected {count}, got {got}")
    per_output = [results] if count == 1 else [[r[k] for r in results] for k in range(count)]
    per_output = [[from_nested(v) if holds_tensor(v) else v
                   for v in values] for values in per_output]
    for values, core in zip(per_output, dims):
        for value in values:
            if np.ndim(value) != len(core):
                raise ValueError(
                    f"{caller} on a Tensor: the function gave a value of shape "
                    f"{np.shape(value)} where each call must give "
                    + ("one number (NumPy raises 'setting an array element with a "
                       "sequence'); for array results give a signature, "
                       "np.vectorize(f, signature='()->(n)')" if not core else
                       f"{len(core)} dimensions, the core dimensions {core} of the "
                       "signature"))
    return per_output


def warn_if_numbers_only(per_output: list, operands: list, caller: str = "np.vectorize") -> None:
    """Warn at the user's line when a Tensor that requires grad went in and only plain
    numbers came out of every call: the function most likely left the tape with
    ``float(v)`` or ``v.item()`` (written for numbers), which are silent elsewhere."""
    if not is_grad_enabled() or not any(isinstance(operand, Tensor) and operand.requires_grad
                                         for operand in operands):
        return
    if any(isinstance(value, Tensor) for values in per_output for value in values):
        return
    if not any(np.asarray(values[0]).dtype.kind in "fc" for values in per_output):
        return                          # (integer or boolean results: no gradient anyway)
    warn_at(user_frame(), f"{caller} called its function on 0-d Tensors that require "
            "grad, and every call gave a plain number, not a Tensor: the result is a "
            "constant, with no gradient. If the function turns its argument into a number "
            "(float(v), v.item(), int(v)), write it with NumPy's functions on the argument "
            "instead (np.exp(v), v * v, comparisons), which keep the calls on the tape; if "
            "it is constant on purpose (a step function), call it on t.detach() to say "
            "so", TapeDropWarning)


_PYTHON_NUMBER_DTYPES = {np.dtype(np.float16): np.dtype(np.float64),
                         np.dtype(np.float32): np.dtype(np.float64),
                         np.dtype(np.complex64): np.dtype(np.complex128)}


def _as_python_numbers(operand):
    """A float16/float32/complex64 Tensor as float64/complex128 (on the tape): NumPy's
    loop passes the elements as Python floats and complexes, so ``f`` computes in double
    precision and only its results are cast to the output dtype."""
    if not isinstance(operand, Tensor) or operand.dtype not in _PYTHON_NUMBER_DTYPES:
        return operand
    return operand.astype(_PYTHON_NUMBER_DTYPES[operand.dtype])


def _elementwise(vectorized, call, operands: list):
    """NumPy's loop without a signature: ``call`` on each element of the broadcast
    operands."""
    shape = np.broadcast_shapes(*(operand.shape for operand in operands))
    if math.prod(shape) == 0:
        return _empty(vectorized, operands, [shape] * _count_of_otypes(vectorized))
    widened = [_as_python_numbers(operand) for operand in operands]
    columns = [_rows(operand, shape, (), numbers=True) for operand in widened]
    first = None
    if vectorized.otypes is None and any(a is not b for a, b in zip(widened, operands)):
        # NumPy's types come from a call on each operand's first element in its own
        # dtype (np.float32, not the Python float its loop passes)
        first = _typing_call(vectorized, call, [operand.reshape(-1)[0] for operand in operands])
    results = [first if i == 0 and vectorized.cache and first is not None else call(*row)
               for i, row in enumerate(zip(*columns))]
    count = len(vectorized.otypes) if vectorized.otypes is not None else (
        len(results[0]) if isinstance(results[0], tuple) else 1)
    per_output = split_outputs(results, count, [()] * count)
    warn_if_numbers_only(per_output, operands)
    typed = per_output if first is None else split_outputs([first], count, [()] * count)
    outputs = [stack_cast(values, _output_dtype(vectorized, k, typed[k][0]), shape)
               for k, values in enumerate(per_output)]
    return outputs[0] if count == 1 else tuple(outputs)


def _typing_call(vectorized, call, firsts: list):
    """The call NumPy's types come from, on the first elements: on their values, as
    NumPy's (NumPy scalars, no op recorded: a compiled function would refuse the number
    arguments' scalars as made during the call), unless its result is kept as the first
    element's (``cache=True``) or the function needs Tensors."""
    if not vectorized.cache:
        try:
            return call(*(v.data[()] if isinstance(v, Tensor) else v for v in firsts))
        except Exception:               # (it calls Tensor methods: typed on the Tensors)
            pass
    return call(*firsts)


def _with_signature(vectorized, call, operands: list, from_numbers: list):
    """NumPy's loop with a signature: ``call`` on each position of the loop dimensions
    (the broadcast dimensions in front of the core ones); ``from_numbers[k]``: operand
    ``k`` was made from Python numbers."""
    inputs_core, outputs_core = vectorized._in_and_out_core_dims
    if len(operands) != len(inputs_core):
        raise TypeError(f"wrong number of positional arguments: expected "
                        f"{len(inputs_core)}, got {len(operands)}")
    sizes = {}
    _read_core_sizes(sizes, [operand.shape for operand in operands], inputs_core)
    shape = np.broadcast_shapes(*(operand.shape[:operand.ndim - len(core)]
                                  for operand, core in zip(operands, inputs_core)))
    if math.prod(shape) == 0:
        _count_of_otypes(vectorized)
        if any(dim not in sizes for dims in outputs_core for dim in dims):
            raise ValueError("cannot call `vectorize` with a signature including new "
                             "output dimensions on size 0 inputs")
        return _empty(vectorized, operands, [shape + tuple(sizes[d] for d in dims)
                                             for dims in outputs_core])
    columns = [_rows(operand, shape, tuple(sizes[d] for d in core), numbers=False)
               for operand, core in zip(operands, inputs_core)]
    for rows, number in zip(columns, from_numbers):
        if number:
            note_made_from_numbers(rows)
    results = [call(*row) for row in zip(*columns)]
    per_output = split_outputs(results, len(outputs_core), outputs_core)
    warn_if_numbers_only(per_output, operands)
    outputs = []
    for k, (values, core) in enumerate(zip(per_output, outputs_core)):
        _read_core_sizes(sizes, [np.shape(value) for value in values], [core] * len(values))
        outputs.append(stack_cast(values, _output_dtype(vectorized, k, values[0]),
                              shape + tuple(sizes[d] for d in core)))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _read_core_sizes(sizes: dict, shapes: list, cores: list) -> None:
    """Note in ``sizes`` the size of each core dimension, the trailing dimensions of
    ``shapes``; raises as NumPy where a shape has too few or the sizes disagree."""
    for shape, core in zip(shapes, cores):
        if len(shape) < len(core):
            raise ValueError(f"{len(shape)}-dimensional argument does not have enough "
                             f"dimensions for all core dimensions {core!r}")
        for dim, size in zip(core, shape[len(shape) - len(core):]):
            if sizes.setdefault(dim, size) != size:
                raise ValueError(f"inconsistent size for core dimension {dim!r}: "
                                 f"{size!r} vs {sizes[dim]!r}")


def _count_of_otypes(vectorized) -> int:
    if vectorized.otypes is None:
        raise ValueError("cannot call `vectorize` on size 0 inputs unless `otypes` is set")
    return len(vectorized.otypes)


def _empty(vectorized, operands: list, shapes: list):
    """Empty results of ``otypes``' dtypes, on the tape of the first Tensor operand."""
    source = next((operand for operand in operands if isinstance(operand, Tensor)), None)
    results = tuple(
        Tensor(np.empty(shape, np.dtype(otype))) if source is None
        else source.reshape(-1)[:0].astype(np.dtype(otype)).reshape(shape)
        for otype, shape in zip(vectorized.otypes, shapes))
    return results[0] if len(results) == 1 else results


def install() -> None:
    """Make ``np.vectorize`` record calls on Tensors (once)."""
    numpy_call = np.vectorize.__call__
    if getattr(numpy_call, "records_tensors", False):
        return

    def __call__(self, *args, **kwargs):
        if self.pyfunc is np._NoValue or not holds_tensor((args, tuple(kwargs.values()))):
            return numpy_call(self, *args, **kwargs)
        return call_on_tensors(self, args, kwargs)

    __call__.records_tensors = True
    __call__.__doc__ = numpy_call.__doc__
    np.vectorize.__call__ = __call__


def call_on_tensors(vectorized, args: tuple, kwargs: dict):
    """``vectorized(*args, **kwargs)`` with the calls of its function recorded."""
    call, varying = _varying(vectorized, args, kwargs)
    if not varying:
        return call()
    operands = [operand_of(value) for value in varying]
    if vectorized.signature is not None:
        return _with_signature(vectorized, call, operands,
                               [python_numbers(value) for value in varying])
    return _elementwise(vectorized, call, operands)
