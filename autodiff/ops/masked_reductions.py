"""NumPy's ``where=`` mask and ``initial=`` value of ``np.sum``, ``np.prod``, ``np.max``,
``np.min`` and ``np.mean`` on Tensors, built from the unmasked reductions.

A sum (and the sum of a mean) is one op, ``masked_sum``, whose forward is NumPy's own
masked sum, so its values are NumPy's to the bit (NumPy adds the chosen entries one by
one, and an ``initial`` first, not in the pairwise order of an unmasked sum); its
gradient is g where the mask holds, 0 elsewhere.  For prod, max and min the entries
the mask leaves out are replaced by the identity (1, or ``initial``) through
``where``, so they get zero gradient, and ``initial`` is then combined with the
result (multiplied, or the larger / smaller kept).  NumPy runs first on the data, for
its checks, its messages, its warnings (a mean over an empty selection) and its
result dtype.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from ..warning_lines import numpy_warnings_at_user_line
from .elementwise import astype, maximum, minimum, where as _selected
from .multiplicative import prod
from .reduce import _kept_shape, max as _max, min as _min, sum as _sum
from .registry import defop

_NO_VALUE = np._NoValue
_NUMPY = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "mean": np.mean}


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def masked_reduction(name, a, axis, keepdims, initial, where, call=None) -> Tensor:
    """``np.<name>(a, axis=axis, keepdims=keepdims, initial=initial, where=where)``
    recorded; ``initial`` at ``np._NoValue`` and ``where`` at True are NumPy's
    defaults (no initial value, every entry).  ``call`` names the call in errors
    (``np.<name>`` unless given, e.g. ``Tensor.sum``).

    >>> x = ad.tensor([1.0, 5.0, 3.0], requires_grad=True)
    >>> y = np.max(x, where=[True, False, True], initial=0.0)
    >>> y.backward(); y, x.grad
    (tensor(3., requires_grad=True), array([0., 0., 1.]))
    """
    x = a if isinstance(a, Tensor) else Tensor(np.asarray(a))
    given = {}
    if initial is not _NO_VALUE and initial is not None:
        given["initial"] = _data(initial)
    if where is not True and where is not _NO_VALUE and where is not None:
        given["where"] = _data(where)
    try:
        expected = numpy_warnings_at_user_line(_NUMPY[name], x.data, axis=axis,
                                               keepdims=keepdims, **given)
    except (TypeError, ValueError) as error:     # NumPy's message, naming the call
        arguments = " and ".join(f"{key}=" for key in given)
        raise type(error)(f"{call or 'np.' + name} of a Tensor of shape {x.shape} with "
                          f"{arguments}: "
                          f"{error}") from None
    mask = where_mask(given.get("where", True), x.shape)
    if name == "mean":
        result = _masked_mean(x, mask, axis, keepdims, np.result_type(expected))
    else:
        if "initial" in given and not isinstance(initial, Tensor):
            # (made, so that a compiled function replays it as a constant)
            initial = made("initial", _initial_as, (initial, np.result_type(expected)))
        result = _MASKED[name](x, mask, axis, keepdims,
                               initial if "initial" in given else None,
                               np.shape(expected))
    if result.dtype != np.result_type(expected):
        result = astype(result, np.result_type(expected))
    return result


def _initial_as(initial, dtype):
    return np.asarray(initial).astype(dtype)


def _broadcast_mask(where, shape):
    return np.broadcast_to(np.asarray(where).astype(bool), shape)


def where_mask(where, shape) -> np.ndarray:
    """NumPy's ``where=`` as a bool array of ``shape`` (made again at each replay of
    ``ad.compile``, from the captured mask)."""
    return made("where mask", _broadcast_mask, (where, shape))


def _masked_sum_forward(x, mask, axis=None, keepdims=False, initial=None):
    start = {} if initial is None else {"initial": initial}
    return np.sum(x, axis=axis, keepdims=keepdims, where=mask, **start)


def _masked_sum_rule(xp, g, ans, x, mask, axis=None, keepdims=False, initial=None):
    spread = xp.broadcast_to(xp.reshape(g, _kept_shape(x.shape, axis)), x.shape)
    return xp.where(mask, spread, 0)


masked_sum = defop(
    "masked_sum", _masked_sum_forward,
    doc="``np.sum(x, axis, keepdims=keepdims, where=mask, initial=initial)``: NumPy's\n"
        "values; g reaches the entries the mask chose.\n\n"
        ">>> np.sum(ad.tensor([1.0, 2.0, 4.0]), where=np.array([True, False, True]))\n"
        "tensor(5.)",
    x=("g where mask", _masked_sum_rule), mask=None, axis=None, keepdims=None,
    initial=None, reads=())


def _masked_sum(x, mask, axis, keepdims, initial, shape):
    if isinstance(initial, Tensor):             # (the sum of a Tensor initial: recorded)
        return masked_sum(x, mask, axis=axis, keepdims=keepdims) + initial
    return masked_sum(x, mask, axis=axis, keepdims=keepdims,
                      initial=None if initial is None else initial[()])


def _masked_prod(x, mask, axis, keepdims, initial, shape):
    product = prod(_selected(mask, x, 1), axis=axis, keepdims=keepdims)
    return product if initial is None else product * initial


def _masked_extreme(reduce, pair):
    def extreme(x, mask, axis, keepdims, initial, shape):
        # NumPy has checked that initial is given (max and min have no identity)
        if x.size == 0:     # (the zero sum keeps x on the tape: a zero gradient)
            return _selected(np.ones(shape, dtype=bool), initial,
                             _sum(x, axis=axis, keepdims=keepdims))
        return pair(reduce(_selected(mask, x, initial), axis=axis, keepdims=keepdims),
                    initial)
    return extreme


_MASKED = {"sum": _masked_sum, "prod": _masked_prod,
           "max": _masked_extreme(_max, maximum), "min": _masked_extreme(_min, minimum)}


def _counted(mask, axis, keepdims, dtype):
    return np.sum(mask, axis=axis, keepdims=keepdims).astype(dtype)


def _masked_mean(x, mask, axis, keepdims, result_dtype):
    # NumPy's dtypes: integers in float64, float16 summed in float32
    computing = np.float32 if result_dtype == np.float16 else result_dtype
    values = x if x.dtype == computing else astype(x, computing)
    total = masked_sum(values, mask, axis=axis, keepdims=keepdims)
    count = Tensor(made("count", _counted, (mask, axis, keepdims, computing)))
    empty = count == 0                 # NaN, as NumPy (which has warned)
    return _selected(empty, np.nan, total / _selected(empty, 1, count))

