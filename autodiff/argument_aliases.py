"""NumPy's argument names and PyTorch's for the same thing (``axis=``/``dim=``,
``keepdims=``/``keepdim=``, ``ddof=``/``correction=``/``unbiased=``, ``axes=``/``dims=``):
the one value a call means, or a TypeError when both spellings are given.
"""

from __future__ import annotations

import numpy as np

from .conventions import empty_dims, torch_empty_axis


def axis_alias(where: str, axis, keepdims, dim=None, keepdim=None):
    """Resolve PyTorch's ``dim=``/``keepdim=`` against NumPy's ``axis=``/``keepdims=``.

    >>> axis_alias("sum", None, False, dim=1, keepdim=True)
    (1, True)
    """
    if dim is not None:
        if isinstance(dim, (tuple, list)) and not len(dim) and axis is None:
            dim = empty_dims(where)      # PyTorch's dim=(): every dim, for most
    elif keepdim is not None:             # t.sum((), True): PyTorch's dim=() too
        axis = torch_empty_axis(where, axis, True)
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; they are "
                            "the same argument (NumPy's and PyTorch's name), pass one")
        axis = dim
    if keepdim is not None:
        if keepdims not in (False, None) and bool(keepdims) != bool(keepdim):
            raise TypeError(f"{where}: got both keepdims={keepdims!r} and keepdim="
                            f"{keepdim!r}; they are the same argument, pass one")
        keepdims = keepdim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis, bool(keepdims)


def renamed_argument(where: str, numpy_name: str, value, default, torch_name: str,
                     torch_value):
    """NumPy's argument from PyTorch's name for it when that is given
    (``ad.rot90(x, dims=(1, 2))``, ``ad.trapezoid(y, dim=0)``); both given raises.

    >>> renamed_argument("rot90", "axes", (0, 1), (0, 1), "dims", (1, 2))
    (1, 2)
    """
    if torch_value is None:
        return value
    if value is not default and value != default:
        raise TypeError(f"{where}: got both {numpy_name}={value!r} and {torch_name}="
                        f"{torch_value!r}; they are the same argument (NumPy's and "
                        "PyTorch's name), pass one")
    return torch_value


def ddof_alias(where: str, ddof, correction=None, unbiased=None):
    """NumPy's ``ddof`` from PyTorch's ``correction=`` or ``unbiased=`` (at most one of
    the three; none gives NumPy's default, 0).

    >>> ddof_alias("var", None, unbiased=True)
    1
    """
    given = {name: value for name, value in
             (("ddof", ddof), ("correction", correction), ("unbiased", unbiased))
             if value is not None}
    if len(given) > 1:
        raise TypeError(f"{where}: got {' and '.join(f'{k}={v!r}' for k, v in given.items())}; "
                        "they say the same thing (NumPy's and PyTorch's names), pass one")
    if unbiased is not None:
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"{where}: unbiased must be True or False, got {unbiased!r}")
        return int(unbiased)
    return next(iter(given.values()), 0)
