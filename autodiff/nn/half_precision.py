"""float16 layers rounded once, as PyTorch's CPU kernels round them (linear, the
convolutions, batch, layer, group and instance norms, average pools), and the refusal
of float16 mixed with another dtype in linear layers and convolutions.

(PyTorch's transposed convolutions round at several steps: the GEMM's columns, each
overlapping add of col2im, the bias add.  ``conv_transpose1d/2d`` take those steps and
give its values bit for bit; ``conv_transpose3d``, whose overlaps add in another order
here, is rounded once instead.)

PyTorch computes a float16 ``linear`` or convolution with float32 accumulation and the
bias added before the one rounding to float16.  NumPy's float16 matrix product also
accumulates in float32, but adding the bias afterwards rounds twice: where the product
and the bias nearly cancel, the result is off by many units of its last place (and a
ReLU after it may flip).  ``rounded_once`` computes such a layer in float32 and rounds
at the end; the gradients flow back through the casts, so they too are computed in
float32 and rounded once.

A float16 layer given a float32 input (or a float32 layer a float16 one) would compute
in the wider dtype, as NumPy promotes, and return it: the model would silently not run
in the precision it was converted to.  PyTorch refuses ("mat1 and mat2 must have the
same dtype"); ``check_float16_operands`` refuses too and says which conversion to make.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..ops.elementwise import astype
from ..tensor import Tensor

_FLOAT16 = np.dtype(np.float16)
_CONVERSION = {"float16": "half", "float32": "float", "float64": "double"}


def rounded_once(compute: Callable, *operands):
    """``compute(*operands)``; when every operand given (``None`` is skipped) is a
    float16 Tensor, computed in float32 and rounded to float16 once.

    >>> x = ad.tensor([[1.0, 2.0]], dtype=np.float16)
    >>> w = ad.tensor([[2048.0], [0.5]], dtype=np.float16)
    >>> b = ad.tensor([-2047.0], dtype=np.float16)
    >>> (x @ w + b), rounded_once(lambda x, w, b: x @ w + b, x, w, b)   # 2049 - 2047
    (tensor([[1.]], dtype=float16), tensor([[2.]], dtype=float16))
    """
    given = False
    for o in operands:              # (a loop that stops at the first float32/64 operand:
        if o is None:               # this runs in every Linear and convolution)
            continue
        if not isinstance(o, Tensor) or o.dtype is not _FLOAT16:
            return compute(*operands)
        given = True
    if not given:
        return compute(*operands)
    widened = [None if o is None else astype(o, np.float32) for o in operands]
    return astype(compute(*widened), np.float16)


def _dtype_of(x):
    return x.dtype if isinstance(x, (Tensor, np.ndarray)) else np.asarray(x).dtype


def _is_half(x) -> bool:
    dtype = _dtype_of(x)
    return dtype.kind == "f" and dtype.itemsize == 2


def check_float16_operands(where: str, input, weight, bias=None) -> None:
    """Refuse, naming ``where``, a float16 input with float32/float64 parameters or the
    reverse, and a float64 input to float32 parameters (PyTorch raises; NumPy would
    compute and return the wider dtype, so the layer would not run in its own
    precision).  A float32 input to float64 parameters is left to NumPy's promotion:
    the result is in the layer's dtype (the library's default, float64).

    >>> check_float16_operands("Linear(2, 3)", np.ones((1, 2), np.float32),
    ...                        np.ones((2, 3), np.float16))
    Traceback (most recent call last):
    TypeError: Linear(2, 3): the input is float32 but the weight is float16; ...

    ``where`` may be a function giving the text, called only to raise.
    """
    if not (_is_half(input) or _is_half(weight) or (bias is not None and _is_half(bias))):
        # (the common case, in every Linear and convolution call)
        _check_not_widened(where, input, weight)
        return
    if callable(where):
        where = where()
    dtypes = {"input": _dtype_of(input), "weight": _dtype_of(weight)}
    if bias is not None:
        dtypes["bias"] = _dtype_of(bias)
    floats = {name: dtype for name, dtype in dtypes.items() if dtype.kind == "f"}
    if len(set(floats.values())) < 2 or _FLOAT16 not in floats.values():
        return
    given, params = floats.pop("input", None), floats
    if given is None or len(set(params.values())) > 1:
        listed = ", ".join(f"{name} {dtype}" for name, dtype in dtypes.items())
        raise TypeError(f"{where}: the input, weight and bias must have one dtype, as in "
                        f"PyTorch, got {listed}; convert them to one dtype")
    wanted = next(iter(params.values()))
    names = " and the bias are" if "bias" in params else " is"
    raise TypeError(
        f"{where}: the input is {given} but the weight{names} {wanted}; PyTorch refuses to "
        f"mix them (\"mat1 and mat2 must have the same dtype\"), where NumPy would compute "
        f"and return {np.promote_types(given, wanted)}. Convert the input with "
        f"x.{_CONVERSION[wanted.name]}(), or the parameters with "
        f".{_CONVERSION[given.name]}() (model.{_CONVERSION[given.name]}() for a layer)")


def _check_not_widened(where, input, weight) -> None:
    """Refuse a float input wider than a float weight (a float32 layer given float64),
    and an integer or bool input to a float or complex layer."""
    given, wanted = _dtype_of(input), _dtype_of(weight)
    if given.kind == "f" and wanted.kind == "f" and given.itemsize > wanted.itemsize:
        raise TypeError(widened_message(where() if callable(where) else where, given,
                                        wanted))
    if given.kind in "biu" and wanted.kind in "fc":
        raise TypeError(integer_input_message(where() if callable(where) else where,
                                              given, wanted))


def integer_input_message(where: str, given, wanted) -> str:
    """The refusal of an integer (or bool) input to a layer of float parameters."""
    conversion = _CONVERSION.get(wanted.name)
    convert = (f"x.{conversion}()" if conversion else f"x.astype(np.{wanted.name})")
    return (f"{where}: the input is {given} but the layer's parameters are {wanted}; "
            f"PyTorch refuses an integer input (\"mat1 and mat2 must have the same "
            f"dtype\"), where NumPy would promote it and compute in {wanted} (token ids "
            f"go to an nn.Embedding). Convert the input to the parameters' dtype: {convert} "
            f"(x.float() for float32 parameters, x.double() for float64)")


def widened_message(where: str, given, wanted) -> str:
    """The refusal of an input of dtype ``given`` to a layer whose parameters are of the
    narrower ``wanted``, naming both conversions."""
    return (f"{where}: the input is {given} but the layer's parameters are {wanted}; "
            f"PyTorch refuses to mix them (\"mat1 and mat2 must have the same dtype\"), "
            f"where NumPy would compute and return {given}, so the layer would not run in "
            f"{wanted}. Convert the input with x.{_CONVERSION[wanted.name]}(), or the "
            f"model with model.{_CONVERSION[given.name]}()")


def check_layer_input(where, input, parameter) -> None:
    """``_check_not_widened`` for a layer without a weight matrix (the recurrent layers,
    the norms): the input against one of its float parameters (None: nothing to check).

    >>> check_layer_input("LayerNorm((3,))", np.ones(3), np.ones(3, np.float32))
    Traceback (most recent call last):
    TypeError: LayerNorm((3,)): the input is float64 but the layer's parameters are float32; ...
    """
    if parameter is not None:
        _check_not_widened(where, input, parameter)
