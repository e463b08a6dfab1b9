"""``np.var``, ``np.std``, ``np.nanvar`` and ``np.nanstd`` on Tensors with NumPy's
``dtype=`` and ``out=``.

``dtype=`` is the dtype NumPy computes the mean and the sum of squares in, and the
result's (a float dtype; integers are computed in float64 without it).  Where casting
``x`` first gives NumPy's numbers (``np.var`` with a dtype at least as wide as ``x``'s,
no ``where=``/``mean=``), the Tensor is cast and the ``var``/``std`` op runs; every
other case is NumPy's recipe step by step (``masked_variance``).  The gradient flows
back through the casts into ``x``'s dtype.  (NumPy casts a long array for a sum in blocks
of 8192 entries: past that, a ``dtype=`` narrower than ``x``'s can differ from NumPy's in
the last bits, as ``np.sum``'s does.)

``out=`` a Tensor receives the result in place (recorded, as for other functions) and
is returned; its dtype is NumPy's: that of the sum of squares when no ``dtype=`` is
given, and of the division and square root after it.  ``out=`` an ndarray raises, as
for every other function on a Tensor: the result cannot be stored there with its tape.
"""

from __future__ import annotations

import numpy as np

from .. import out_arguments
from ..graph import _grad_mode
from ..inplace_dtypes import refuse_truncation
from ..tensor import Tensor
from .elementwise import astype
from .operands import tensor_of
from .reduce import masking_arguments

_NO_VALUE = np._NoValue


def computing_dtype(name: str, a, dtype):
    """``dtype=`` as a NumPy dtype (None if not given); anything but a float dtype
    raises, naming the call.

    >>> computing_dtype("var", ad.tensor([1.0]), "float32")
    dtype('float32')
    """
    if dtype is None:
        return None
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        source = a.dtype if isinstance(a, Tensor) else np.result_type(a)
        raise TypeError(
            f"numpy.{name} on a Tensor of dtype {source}: dtype={dtype} is not a "
            "floating-point dtype; NumPy would compute the mean and the variance in it, "
            "where no gradient flows. Give a float dtype (np.float32, np.float64), cast "
            "explicitly (ad.astype(t, ...)), or call it on t.data")
    return dtype


def variance_with(name, a, axis, dtype, out, ddof, keepdims, where, mean, plain):
    """``np.<name>(a, axis, dtype=, out=, ddof, keepdims, where=, mean=)`` for a given
    ``dtype`` or ``out``; ``plain(a, dtype)`` is the call without them (the op, or
    the masked recipe), used where casting ``a`` first is NumPy's computation.

    >>> x = ad.tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> np.var(x, dtype=np.float32)
    tensor(1.5555557, dtype=float32, requires_grad=True)
    """
    if out is not None and not isinstance(out, Tensor):
        if out_arguments.off_the_tape((a, where, mean), {"out": out}):
            return out_arguments.on_arrays(getattr(np, name), (a,), dict(
                axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, where=where,
                mean=mean))
        raise out_arguments.ndarray_out_refused(f"numpy.{name}", (a,))
    dtype = computing_dtype(name, a, dtype)
    x = tensor_of(a)
    if out is not None and x.requires_grad and _grad_mode.enabled:
        # (the result, computed in out's integers, would come back without a tape)
        refuse_truncation(out, x, f"numpy.{name} with out=")
    masked = masking_arguments(_NO_VALUE, where)["where"] is not None or (
        mean is not _NO_VALUE and mean is not None)
    own_dtype = dtype if dtype is not None else (
        x.dtype if x.dtype.kind == "f" else np.dtype(np.float64))
    out_dtype = None if out is None or out.dtype == own_dtype else out.dtype
    cast_first_is_numpys = (dtype is None or np.result_type(x.dtype, dtype) == dtype) and (
        not name.startswith("nan") or x.dtype.kind != "f" or dtype is None
        or dtype == x.dtype)
    if out_dtype is None and not masked and cast_first_is_numpys:
        result = plain(x if dtype is None else astype(x, dtype))
    else:
        from .masked_variance import masked_variance     # (it imports the reductions)
        result = masked_variance(name, x, axis, keepdims, ddof, where, mean,
                                 dtype=dtype, out_dtype=out_dtype)
    if out is None:
        return result
    return out_arguments.function_into(lambda: result, name, (), {"out": out})
