"""NumPy's creation functions with ``like=`` a Tensor make Tensors (NEP 35).

``np.zeros(3, like=t)``, ``np.eye(4, like=t)``, ``np.arange(5, like=t)`` ... reach
``Tensor.__array_function__`` with no Tensor among their arguments (NumPy drops
``like=``); they give NumPy's array as a Tensor that does not require grad, an
array to write Tensors into (``q = np.eye(4, like=t); q[:, 1:] -= ...``).
``np.array(nested, like=t)`` and ``np.asarray`` keep the Tensors that ``nested``
holds on the tape (``ad.array``), where ``np.array`` alone would drop them, and so does
``np.fromiter(iterable, dtype, like=t)`` with the 0-d Tensors it iterates over.

>>> t = ad.tensor([1.0, 2.0], requires_grad=True)
>>> np.zeros(2, like=t)
tensor([0., 0.])
>>> np.array([t[1], 3.0], like=t)
tensor([2., 3.], requires_grad=True)
>>> np.fromiter((v * v for v in t), float, like=t)
tensor([1., 4.], requires_grad=True)
"""

from __future__ import annotations

import itertools

import numpy as np

from .compile.hooks import made

#: Creation functions whose arguments are constants: the Tensor holds NumPy's result.
_CONSTANT = {np.zeros, np.ones, np.empty, np.full, np.eye, np.identity, np.tri, np.arange,
             np.frombuffer, np.fromstring, np.fromfile, np.loadtxt,
             np.genfromtxt}

#: The conversions, with the names of their positional arguments after the first.
_CONVERSIONS = {np.array: ("dtype",), np.asarray: ("dtype", "order"),
                np.asanyarray: ("dtype", "order"), np.ascontiguousarray: ("dtype",),
                np.asfortranarray: ("dtype",), np.require: ("dtype", "requirements")}

#: Their keyword arguments a nested list of Tensors takes, with the values taken.
_TAKEN = {"copy": (True, None), "order": ("K", "A", "C", None), "subok": (False, True),
          "device": ("cpu", None), "requirements": (None,)}


def makes_like(func) -> bool:
    """Whether ``func`` is a NumPy creation function that ``like=`` a Tensor reaches."""
    return (func in _CONSTANT or func in _CONVERSIONS
            or func is np.fromfunction or func is np.fromiter)


def create_like(func, args: tuple, kwargs: dict):
    """``func(*args, **kwargs, like=t)`` with ``t`` a Tensor: a Tensor (see the module)."""
    from .ops.registry import holds_tensor
    from .tensor import Tensor

    name = f"numpy.{func.__name__}"
    if func in _CONVERSIONS:
        return _converted(name, func, args, kwargs)
    if func is np.fromfunction:
        return _from_function(*args, **kwargs)
    if func is np.fromiter:
        return _from_iterable(*args, **kwargs)
    if holds_tensor(list(args) + list(kwargs.values())):
        raise TypeError(
            f"{name}(..., like=t) with Tensors among its arguments: NumPy would make its "
            "array from their values, off the tape. Build it from the Tensors with NumPy "
            "functions called on them (np.full_like(t, fill), np.broadcast_to(value, shape), "
            "np.stack), or pass t.detach() when no gradient is needed")
    return Tensor(made(func.__name__, func, args, kwargs))


def _from_function(function, shape, *, dtype=float, **kwargs):
    """``np.fromfunction(function, shape, like=t)``: ``function`` called on the index
    arrays, as NumPy calls it; a Tensor whether it computes with Tensors or not."""
    from .tensor import Tensor

    indices = [made("fromfunction indices", _index_along, (shape, dtype, axis))
               for axis in range(len(shape))]         # (each one made: a plan's constant)
    result = function(*indices, **kwargs)
    return result if isinstance(result, Tensor) else Tensor(result)


def _from_iterable(iterable, dtype, count=-1):
    """``np.fromiter(iterable, dtype, count, like=t)``: NumPy's array of the entries as a
    Tensor, or, when 0-d Tensors are among them, the entries stacked on the tape and
    cast to ``dtype`` (NumPy's own would read each one as a plain number)."""
    from .ops.registry import holds_tensor
    from .ops.shape import array
    from .tensor import Tensor

    entries = list(iterable if count < 0 else itertools.islice(iterable, count))
    if not holds_tensor(entries):
        return Tensor(made("fromiter", np.fromiter, (entries, dtype, count), {}))
    if len(entries) < count:
        raise ValueError(f"iterator too short: Expected {count} but iterator had only "
                         f"{len(entries)} items.")
    dtype = np.dtype(dtype)
    if dtype.subdtype is not None or dtype.names is not None or dtype.hasobject:
        raise TypeError(f"numpy.fromiter(..., dtype={dtype}, like=t) of Tensors: only a "
                        "plain numeric dtype keeps them on the tape; np.stack the entries "
                        "and reshape them instead")
    for position, entry in enumerate(entries):
        if isinstance(entry, Tensor) and entry.ndim:
            raise ValueError(f"numpy.fromiter(..., like=t): entry {position} is a Tensor of "
                             f"shape {entry.shape}, and np.fromiter reads one number per "
                             "entry (NumPy: setting an array element with a sequence); "
                             "np.stack(entries) or np.concatenate(entries) joins arrays")
        if dtype.kind in "iu" and isinstance(entry, Tensor) and not np.isfinite(entry.data):
            nan = bool(np.isnan(entry.data))       # (NumPy's errors, not a cast's garbage)
            raise (ValueError if nan else OverflowError)(
                f"cannot convert float {'NaN' if nan else 'infinity'} to integer "
                f"(numpy.fromiter(..., dtype={dtype}, like=t), entry {position})")
    return array(entries, dtype=dtype)


def _index_along(shape, dtype, axis):
    return np.indices(shape, dtype)[axis]


def _converted(name, func, args, kwargs):
    """``np.array(nested, like=t)`` and the like: ``ad.array(nested)``, cast to ``dtype``
    and given ``ndmin`` dimensions; a copy where NumPy copies a Tensor."""
    from .ops.registry import holds_tensor
    from .ops.shape import array
    from .tensor import Tensor

    nested = args[0] if args else kwargs.get("object", kwargs.get("a"))
    if not holds_tensor(nested):
        return Tensor(made(func.__name__, func, args, kwargs))
    options = dict(zip(_CONVERSIONS[func], args[1:]))
    options.update((k, v) for k, v in kwargs.items() if k not in ("object", "a"))
    refused = sorted(k for k, v in options.items() if k not in ("dtype", "ndmin")
                     and not any(v is taken or v == taken for taken in _TAKEN.get(k, ())))
    if func is np.asfortranarray or (func is not np.array and "ndmin" in options):
        refused.append(func.__name__)
    if refused:
        raise TypeError(f"{name}(..., like=t) of a list that holds Tensors: {refused} "
                        "is not supported; call np.array(nested, like=t) or np.stack")
    result = array(nested, dtype=options.get("dtype"))
    if func is np.array and result is nested and options.get("copy", True):
        result = result.copy()
    missing = options.get("ndmin", 0) - result.ndim
    return result.reshape((1,) * missing + result.shape) if missing > 0 else result
