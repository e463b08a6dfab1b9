"""PyTorch's ``dim`` on a 0-d tensor, for the Tensor methods whose own code would
follow NumPy there.

PyTorch lets a 0-d tensor be taken along dim 0 or -1, as if it had shape ``(1,)``,
and keeps the result 0-d: ``t.cumsum(0)``, ``t.flip(0)``, ``t.argsort(dim=0)``,
``t.scatter(0, i, s)`` have shape ``()``; the reductions ``t.mean(0)``, ``t.std(0)``,
``t.sum((0,))``, ``t.quantile(0.5, dim=0)`` reduce the one value (``std`` of one value
is nan, as there).  NumPy gives ``a.cumsum(0)`` and ``a.argsort()`` shape ``(1,)`` and
refuses ``a.mean(0)`` (AxisError).

Where a name serves both conventions, how it is called decides: a dim passed
positionally or as ``dim=`` is PyTorch's; ``axis=``, or no dim at all (``t.cumsum()``),
is NumPy's, and so are the NumPy functions (``np.cumsum(t)``, ``np.argsort(t)``), so
NumPy code runs unchanged.  ``t.argsort()`` with no arguments is PyTorch's (0-d), as
PyTorch code writes it; NumPy's ``(1,)`` comes with ``axis=`` or ``kind=``.  The
package's ops of those names follow PyTorch when called with ``dim=``
(``ad.cumsum(t, dim=0)``, ``ad.mean(t, dim=0)``), NumPy otherwise
(``ad.cumsum(t, 0)``).

>>> t = ad.tensor(2.5)
>>> t.cumsum(0), t.cumsum(), t.mean(0)
(tensor(2.5), tensor([2.5]), tensor(2.5))
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .ops.call_spellings import resolve_aliases


class _Spec(NamedTuple):
    kind: str                   # "same" (0-d results), "reduce" (over all) or "inplace"
    dim_at: int | None = 0      # the dim's position among the arguments after self
    dim_name: str = "dim"       # its keyword
    star_dims: bool = False     # flip(*dims)
    index_args: tuple = ()      # (position, keyword) of the index and source tensors


_INDEXED = ((1, "index"), (2, "src"))

SPECS = {
    "cumsum": _Spec("same"), "cumprod": _Spec("same"), "argsort": _Spec("same"),
    "flip": _Spec("same", None, "dims", star_dims=True),
    "movedim": _Spec("same", 0, "source"), "moveaxis": _Spec("same", 0, "source"),
    "scatter": _Spec("same", index_args=_INDEXED),
    "scatter_reduce": _Spec("same", index_args=_INDEXED),
    "index_select": _Spec("same", index_args=((1, "index"),)),
    "cumsum_": _Spec("inplace"), "cumprod_": _Spec("inplace"),
    "scatter_": _Spec("inplace", index_args=_INDEXED),
    "scatter_reduce_": _Spec("inplace", index_args=_INDEXED),
    # Reductions along the one dim of the (1,)-shaped tensor: the value (or its
    # statistic: std of one value with correction=1 is nan), 0-d also with
    # keepdim=True, as in PyTorch.
    "sum": _Spec("same"), "mean": _Spec("same"), "prod": _Spec("same"),
    "std": _Spec("same"), "var": _Spec("same"), "nansum": _Spec("same"),
    "nanmean": _Spec("same"),
    # Over all dims instead: with a 1-d q the result has q's shape.
    "quantile": _Spec("reduce", 1), "nanquantile": _Spec("reduce", 1),
}


def _dims_given(spec, args, kwargs):
    """The dims the call names PyTorch's way, as a tuple, or None."""
    if "axis" in kwargs:
        return None
    if spec.dim_name in kwargs:
        dims = kwargs[spec.dim_name]
    elif spec.star_dims and args:
        dims = args[0] if len(args) == 1 else args
    elif spec.dim_at is not None and len(args) > spec.dim_at:
        dims = args[spec.dim_at]
    else:
        return None
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims):
        return None
    return dims


def _with_dim(spec, args, kwargs, value):
    """The arguments with the dim replaced by ``value``."""
    args, kwargs = list(args), dict(kwargs)
    if spec.dim_name in kwargs:
        kwargs[spec.dim_name] = value
    else:
        args[spec.dim_at] = value
    return args, kwargs


def _one_long(spec, args, kwargs):
    """The arguments with each 0-d index or source tensor made of shape (1,)."""
    from .tensor import Tensor

    args, kwargs = list(args), dict(kwargs)
    for position, keyword in spec.index_args:
        for holder, key in ((kwargs, keyword), (args, position)):
            if isinstance(holder, dict) and key not in holder:
                continue
            if isinstance(holder, list) and key >= len(holder):
                continue
            value = holder[key]
            if isinstance(value, (Tensor, np.ndarray)) and value.ndim == 0:
                holder[key] = value.reshape(1)
    return args, kwargs


def _zero_d(result):
    from .tensor import Tensor

    if isinstance(result, Tensor):
        return result.reshape(())
    if isinstance(result, tuple):
        parts = [_zero_d(part) for part in result]
        return type(result)(*parts) if hasattr(result, "_fields") else tuple(parts)
    return result


def _routed(name, spec, method):
    @functools.wraps(method)
    def along_a_zero_d_dim(self, *args, **kwargs):
        if self.ndim != 0:
            return method(self, *args, **kwargs)
        dims = _dims_given(spec, args, kwargs)
        if name == "argsort" and not args and not {"axis", "kind", "order"} & set(kwargs):
            kwargs.setdefault("dim", -1)            # t.argsort(): PyTorch's 0-d index
            return method(self, **kwargs)
        if dims is None or any(d not in (0, -1) for d in dims) or (
                not dims and spec.kind != "reduce"):
            return method(self, *args, **kwargs)
        if spec.kind == "reduce":               # over the one value, as over all dims
            args, kwargs = _with_dim(spec, args, kwargs, None)
            return method(self, *args, **kwargs)
        args, kwargs = _one_long(spec, args, kwargs)
        if name in ("movedim", "moveaxis"):
            destination = kwargs.get("destination", args[1] if len(args) > 1 else None)
            if _dims_given(_Spec("same", None, "destination"), (),
                           {"destination": destination}) not in ((0,), (-1,)):
                raise IndexError(
                    f"{name}: destination {destination!r} is out of range for a 0-d "
                    "tensor, whose one dim (PyTorch's) is 0 or -1; a 0-d tensor has "
                    "nothing to move, so use the tensor itself")
            args, kwargs = [0, 0], {}
        if name == "index_select":
            index = kwargs.get("index", args[1] if len(args) > 1 else None)
            if np.size(getattr(index, "data", index)) != 1:
                raise IndexError(
                    f"index_select: a 0-d tensor takes an index of one element (0), "
                    f"as in PyTorch; got one of shape {np.shape(getattr(index, 'data', index))}"
                    "; for repeats of its value use t.expand(n) or t.repeat(n)")
        long = self.reshape(1)
        if spec.kind == "inplace":
            method(long, *args, **kwargs)       # a view: the update reaches self
            return self
        return _zero_d(method(long, *args, **kwargs))
    # Errors of the ops inside name the method the user called, read off the frame.
    along_a_zero_d_dim.__code__ = along_a_zero_d_dim.__code__.replace(co_name=name)
    return along_a_zero_d_dim


#: The ops (``ad.cumsum`` ...) whose ``dim=`` calls take the method's way on a 0-d input.
OPS = ("cumsum", "cumprod", "sum", "mean", "prod", "std", "var")


def _op_routed(name, op):
    """``op.torch_dim`` (what the op runs for a call with ``dim=``): the method for a
    0-d tensor along dim 0 / -1, the op's own way otherwise."""
    previous = op.torch_dim

    def along_a_zero_d_dim(*args, **kwargs):
        from .tensor import Tensor

        if (args and isinstance(args[0], Tensor) and args[0].ndim == 0
                and "axis" not in kwargs):
            dims = _dims_given(SPECS[name], (), kwargs)
            if dims is not None and all(d in (0, -1) for d in dims):
                return getattr(args[0], name)(*args[1:], **kwargs)
        if previous is not None:
            return previous(*args, **kwargs)
        return op._call_any(args, resolve_aliases(op, kwargs))
    return along_a_zero_d_dim


def install(tensor_class, ops) -> None:
    """Route the methods of ``SPECS`` on ``tensor_class``, and the ``dim=`` calls of
    the ``OPS`` in ``ops`` (the package's namespace), through the 0-d rule."""
    for name, spec in SPECS.items():
        method = getattr(tensor_class, name)
        setattr(tensor_class, name, _routed(name, spec, method))
    for name in OPS:
        ops[name].torch_dim = _op_routed(name, ops[name])


def len_of_zero_d_error() -> TypeError:
    """The error of ``len()`` of a 0-d tensor; when NumPy's dispatch asked for it (a
    function taking a sequence, ``np.poly(t)``, iterates its argument first), naming
    that function: NumPy refuses a 0-d array there too."""
    from .tape_drop import _called_object, _public_name, user_frame
    frame = user_frame()
    called = _called_object(frame) if frame is not None else None
    if str(getattr(called, "__module__", "")).startswith("numpy"):
        name = _public_name(called, called.__name__)
        return TypeError(
            f"np.{name}: a 0-d tensor where NumPy takes a sequence (NumPy's dispatch "
            f"iterates the argument, and refuses a 0-d array too); pass t.reshape(1) "
            f"for the one value")
    return TypeError("len() of a 0-d tensor: it holds one value and has no axes to "
                     "iterate over; use .item() for the value, or reshape(1)")
