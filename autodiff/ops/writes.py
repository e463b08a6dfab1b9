"""NumPy functions that write into their first argument: ``np.put_along_axis``,
``np.fill_diagonal``, ``np.put``, ``np.putmask``, ``np.place`` and ``np.copyto`` on
Tensors.

Each is ``t[key] = values`` for the key NumPy would write at, so it follows the rules of
every in-place update of a Tensor (``autodiff/inplace.py``): recorded in grad mode
(``t`` takes the new value and its node; the written values get the gradient of the
entries they landed in, the entries left alone keep theirs, the overwritten ones get
none), a plain write into ``t.data`` otherwise, refused on a leaf that requires grad.
NumPy's own function runs first on a scratch array, so its checks and errors are its
own.  Both return None, as NumPy's do.

Indices that repeat an entry write it as NumPy does: the last value stays, and it alone
gets the gradient of that entry.  Refused with an error saying what to write instead:
``put_along_axis`` with ``axis=None`` (NumPy 2 writes into a flattened copy there and
leaves ``arr`` unchanged); and values that require grad written into an ndarray, which
cannot hold a gradient.
"""

from __future__ import annotations

import functools
import os
import sys

import numpy as np

from .. import inplace
from ..aliased_writes import refuse_overlapping_values
from ..compile.hooks import made
from ..compile.refusals import refuse_traced_values
from ..graph import _grad_mode
from ..tensor import Tensor
from .indexing import take
from .operands import array_of, tensor_of
from .registry import implements
from .shape import broadcast_to, flatten


def _constant(array):
    array.flags.writeable = False
    return array


# The index arrays that depend only on shapes are made once per shape (and kept
# read-only): ad.compile then sees constants of the library, not arrays made during
# the call from the values.
@functools.lru_cache(maxsize=256)
def _lane_positions(n, dim, ndim):
    """``arange(n)`` along axis ``dim`` of ``ndim`` (size 1 on the others)."""
    shape = [1] * ndim
    shape[dim] = n
    return _constant(np.arange(n).reshape(shape))


def _along_axis_key(shape, indices, axis):
    """The index ``np.put_along_axis`` writes at (NumPy's ``_make_along_axis_idx``)."""
    return tuple(indices if dim == axis else _lane_positions(n, dim, len(shape))
                 for dim, n in enumerate(shape))


_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
#: NumPy functions that write into an ndarray of their own with ``np.copyto``: a new
#: one they fill, or the copy of the array whose NaN and infinities they replace.
_FILLING = ("full", "full_like", "nan_to_num")


def _filling_function():
    """``full``, ``full_like`` or ``nan_to_num`` when NumPy's own function of that name
    is writing into its array (the user called it, not ``np.copyto``), else None."""
    frame = sys._getframe(1)
    for _ in range(8):      # (through copyto and the dispatch)
        if frame is None:
            return None
        code = frame.f_code
        if code.co_name in _FILLING and os.path.abspath(code.co_filename).startswith(_NUMPY_DIR):
            return code.co_name
        frame = frame.f_back
    return None


def _into_array(name, target, value, write):
    """Write into the ndarray ``target`` with NumPy, unless ``value`` needs a gradient."""
    if isinstance(value, Tensor) and value.requires_grad and _grad_mode.enabled:
        filling = _filling_function() if name == "copyto" else None
        if filling == "nan_to_num":
            raise TypeError(
                f"numpy.nan_to_num replaces entries of an ndarray (shape "
                f"{np.shape(target)}, dtype {np.result_type(target)}), which cannot carry "
                f"the gradient of a replacement value (a Tensor of shape {value.shape} that "
                "requires grad). Pass the array as a Tensor, whose replaced entries take the "
                "value on the tape: np.nan_to_num(ad.tensor(a), nan=value); or give "
                "value.detach() when no gradient is needed.")
        if filling is not None:
            raise TypeError(
                f"numpy.{filling} fills a new ndarray (shape {np.shape(target)}, dtype "
                f"{np.result_type(target)}), which cannot carry the gradient of the fill "
                f"value (a Tensor of shape {value.shape} that requires grad). Broadcast the "
                "value instead, which stays on the tape: value * np.ones(shape) or "
                "np.broadcast_to(value, shape); or fill with value.detach() when no "
                "gradient is needed.")
        raise TypeError(
            f"numpy.{name} writes into its first argument, here an ndarray (shape "
            f"{np.shape(target)}, dtype {np.result_type(target)}), which cannot carry the "
            f"gradient of the values (a Tensor of shape {value.shape} that requires grad). "
            f"Make the target a Tensor first: t = ad.tensor(arr); np.{name}(t, ...); or "
            "write value.detach() when no gradient is needed.")
    write()


def _checked(name, describe, run):
    try:
        run()
    except (ValueError, IndexError, TypeError) as error:
        raise type(error)(f"{name}: {error} ({describe})") from None


@implements(np.put_along_axis)
def put_along_axis(arr, indices, values, axis) -> None:
    """Write ``values`` into ``arr`` at ``indices`` along ``axis``, in place, as
    ``np.put_along_axis``; recorded in grad mode like ``t[key] = values``.

    >>> t = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 1.0
    >>> v = ad.tensor([[10.0], [20.0]], requires_grad=True)
    >>> np.put_along_axis(t, np.array([[1], [0]]), v, axis=1)
    >>> (t * t).sum().backward(); t.data, v.grad
    (array([[ 1., 10.],
           [20.,  4.]]), array([[20.],
           [40.]]))
    """
    index = array_of(indices)
    if not isinstance(arr, Tensor):
        _into_array("put_along_axis", arr, values,
                    lambda: np.put_along_axis(arr, index, array_of(values), axis))
        return None
    described = (f"arr of shape {arr.shape}, dtype {arr.dtype}; indices of shape "
                 f"{index.shape}, dtype {index.dtype}; values of shape "
                 f"{np.shape(array_of(values))}; axis={axis}")
    if axis is None:
        raise ValueError(
            f"put_along_axis: axis=None is not supported on a Tensor ({described}): NumPy 2 "
            "writes into a flattened copy of arr there and leaves arr itself unchanged. "
            "To write at flat positions, write t[np.unravel_index(indices, t.shape)] = "
            "values.")
    scratch = np.zeros(arr.shape, arr.dtype)
    _checked("put_along_axis", described,
             lambda: np.put_along_axis(scratch, index, array_of(values), axis))
    axis = int(np.lib.array_utils.normalize_axis_index(axis, arr.ndim))
    key = _along_axis_key(arr.shape, index, axis)
    inplace.set_item(arr, key, values, where="put_along_axis")
    return None


@functools.lru_cache(maxsize=256)
def _diagonal_key(shape, wrap):
    """The index of the entries ``np.fill_diagonal`` writes (its own formula: every
    ``step``-th flat position, up to ``end``), and how many there are."""
    end = None
    if len(shape) == 2:
        step = shape[1] + 1
        if not wrap:
            end = shape[1] * shape[1]
    else:
        step = 1 + int(np.cumprod(shape[:-1]).sum())
    positions = np.arange(int(np.prod(shape)))[:end:step]
    return tuple(_constant(i) for i in np.unravel_index(positions, shape)), positions.size


@functools.lru_cache(maxsize=256)
def _cycle(n, size):
    """``0, 1, ..., size - 1, 0, 1, ...``, ``n`` of them: ``val`` repeated along the
    diagonal (or cut short), as NumPy's flat assignment does."""
    return _constant(np.arange(n) % size)


def _cycled(values, n, target):
    """``values`` flattened and repeated (or cut) to ``n`` entries, recorded: how NumPy's
    ``put`` and ``place`` reuse a short ``values``.  Never a view of ``target``'s memory
    (``np.put(t, i, t[::-1])``): a view left alive would refuse the write into ``target``."""
    flat = flatten(tensor_of(values))
    if flat.shape[0] == n and not np.shares_memory(flat.data, target.data):
        return flat
    return take(flat, _cycle(n, flat.shape[0]))


def _put_positions(size, mode, ind):
    """The flat positions ``np.put`` writes at (``mode`` applied, in ``[0, size)``)."""
    positions = np.asarray(ind).reshape(-1).astype(np.intp)
    if mode == "wrap":
        return positions % size
    if mode == "clip":
        return np.clip(positions, 0, size - 1)
    return np.where(positions < 0, positions + size, positions)


def _mask_positions(mask):
    """The flat positions where ``mask`` is true (``np.putmask``, ``np.place``)."""
    return np.flatnonzero(mask)


def _putmask_choices(n_values, mask):
    """Which of ``n_values`` values ``np.putmask`` writes at each true position."""
    return np.flatnonzero(mask) % n_values


def _unravelled(positions_of, shape, axis, *args):
    return np.unravel_index(positions_of(*args), shape)[axis]


def _made_from_arguments(label, fn, *args):
    """``fn(*args)`` through ``hooks.made``, so that ``ad.compile`` computes it again at
    each replay from the caller's arguments (a Tensor's data is followed)."""
    return made(label, fn, tuple(array_of(x) if isinstance(x, Tensor) else x for x in args))


def _write_flat(name, a, positions_of, args, values):
    """``a.flat[positions] = values`` through ``inplace.set_item``, with ``positions =
    positions_of(*args)`` (as many as values)."""
    for x in args:
        refuse_traced_values(x, name, "the positions it writes are read from the values of "
                             "its index or mask", "Make the index or mask a constant (an "
                             "ndarray made outside the compiled function)")
    positions = positions_of(*(x.data if isinstance(x, Tensor) else x for x in args))
    if positions.size == 0:
        return None                                 # NumPy writes nothing
    if a.ndim == 0:                                 # every position is the one entry
        key, values = (), values[-1]
    else:
        key = tuple(_made_from_arguments(
            f"{name} index", functools.partial(_unravelled, positions_of, a.shape, axis), *args)
            for axis in range(a.ndim))
    inplace.set_item(a, key, values, where=name)
    return None


@implements(np.put)
def put(a, ind, v, mode="raise") -> None:
    """Write ``v`` at the flat positions ``ind`` of ``a``, in place, as ``np.put`` (a
    short ``v`` is repeated; ``mode`` 'raise', 'wrap' or 'clip'); recorded in grad mode
    like ``t[key] = v``.

    >>> t = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 1.0
    >>> v = ad.tensor(10.0, requires_grad=True)
    >>> np.put(t, [0, 3], v)
    >>> t.sum().backward(); t, v.grad
    (tensor([[10.,  2.],
            [ 3., 10.]], requires_grad=True), array(2.))
    """
    index = np.asarray(array_of(ind))
    if not isinstance(a, Tensor):
        _into_array("put", a, v, lambda: np.put(a, index, array_of(v), mode))
        return None
    raw = array_of(v)
    described = (f"a of shape {a.shape}, dtype {a.dtype}; ind of shape {index.shape}; "
                 f"v of shape {np.shape(raw)}; mode={mode!r}")
    _checked("put", described, lambda: np.put(np.zeros(a.shape, a.dtype), index, raw, mode))
    if np.size(raw) == 0:
        return None
    return _write_flat("put", a, functools.partial(_put_positions, a.size, mode), (ind,),
                       _cycled(v, index.size, a))


def _flat_positions(size, key):
    """The flat positions ``ndarray.flat[key]`` selects among ``size`` entries."""
    return np.arange(size)[key].reshape(-1)


def write_flat(a, key, value) -> None:
    """``a.flat[key] = value`` for a Tensor ``a``, as NumPy's (``value`` repeated or cut
    to the positions selected), through ``inplace.set_item`` as ``np.put``.

    >>> t = ad.zeros((2, 2)); write_flat(t, slice(1, 3), [5.0]); t
    tensor([[0., 5.],
            [5., 0.]])
    """
    raw_key = key.data if isinstance(key, Tensor) else key
    described = (f"a tensor of shape {a.shape}, dtype {a.dtype}; values of shape "
                 f"{np.shape(array_of(value))}")
    try:
        n = _flat_positions(a.size, raw_key).size
    except IndexError as error:
        raise IndexError(f"flat: {error} ({described})") from None
    if n == 0:
        return None
    if np.size(array_of(value)) == 0:
        raise ValueError(f"flat: no values to write at {n} positions ({described})")
    return _write_flat("flat", a, functools.partial(_flat_positions, a.size), (key,),
                       _cycled(value, n, a))


def _as_given(values):
    """``values`` for NumPy's own check: a Tensor's array, anything else as it is (NumPy
    casts a Python number or list more freely than an array: ``np.putmask(ints, m, 2.5)``)."""
    return values.data if isinstance(values, Tensor) else values


def _mask_of(name, a, mask, described):
    """``mask`` as an array of ``a``'s size (as NumPy requires)."""
    raw = np.asarray(array_of(mask))
    if raw.size != a.size:
        raise ValueError(f"{name}: mask and data must be the same size ({described})")
    return raw


@implements(np.putmask)
def putmask(a, mask, values) -> None:
    """Write ``values`` where ``mask`` is true, in place, as ``np.putmask``: the entry at
    flat position ``i`` takes ``values.flat[i % values.size]``; recorded in grad mode
    like ``t[mask] = ...``.

    >>> t = ad.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1.0
    >>> v = ad.tensor([7.0, 8.0, 9.0], requires_grad=True)
    >>> np.putmask(t, np.array([True, False, True]), v)
    >>> t.sum().backward(); t, v.grad
    (tensor([7., 2., 9.], requires_grad=True), array([1., 0., 1.]))
    """
    if not isinstance(a, Tensor):
        _into_array("putmask", a, values,
                    lambda: np.putmask(a, array_of(mask), array_of(values)))
        return None
    raw = array_of(values)
    described = (f"a of shape {a.shape}, dtype {a.dtype}; mask of shape "
                 f"{np.shape(array_of(mask))}; values of shape {np.shape(raw)}")
    _checked("putmask", described,
             lambda: np.putmask(np.zeros(a.shape, a.dtype), array_of(mask), _as_given(values)))
    if not _mask_of("putmask", a, mask, described).any():
        return None
    values = tensor_of(values)
    chosen = _made_from_arguments(
        "putmask values", functools.partial(_putmask_choices, values.size), mask)
    # (the flattened values, a view of them, must not outlive the take: see _cycled)
    return _write_flat("putmask", a, _mask_positions, (mask,), take(flatten(values), chosen))


@implements(np.place)
def place(arr, mask, vals) -> None:
    """Write ``vals`` in order where ``mask`` is true, in place, as ``np.place`` (a short
    ``vals`` is repeated); recorded in grad mode like ``t[mask] = ...``.

    >>> t = ad.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1.0
    >>> v = ad.tensor([5.0], requires_grad=True)
    >>> np.place(t, np.array([True, False, True]), v)
    >>> t.sum().backward(); t, v.grad
    (tensor([5., 2., 5.], requires_grad=True), array([2.]))
    """
    if not isinstance(arr, Tensor):
        _into_array("place", arr, vals, lambda: np.place(arr, array_of(mask), array_of(vals)))
        return None
    raw = array_of(vals)
    described = (f"arr of shape {arr.shape}, dtype {arr.dtype}; mask of shape "
                 f"{np.shape(array_of(mask))}; vals of shape {np.shape(raw)}")
    _checked("place", described,
             lambda: np.place(np.zeros(arr.shape, arr.dtype), array_of(mask), _as_given(vals)))
    n = int(np.count_nonzero(_mask_of("place", arr, mask, described)))
    if n == 0:
        return None
    refuse_overlapping_values("numpy.place", arr, vals,
                              lambda a, v: np.place(a, array_of(mask), v),
                              "np.place(t, mask, vals.copy())")
    return _write_flat("place", arr, _mask_positions, (mask,), _cycled(vals, n, arr))


@implements(np.copyto)
def copyto(dst, src, casting="same_kind", where=True) -> None:
    """Copy ``src`` (broadcast) into ``dst`` where ``where`` is true, in place, as
    ``np.copyto`` (with its ``casting`` check); recorded in grad mode like
    ``t[...] = src``: ``src`` gets the gradient of the entries it landed in.

    >>> t = ad.tensor([1.0, 2.0], requires_grad=True) * 1.0
    >>> s = ad.tensor(3.0, requires_grad=True)
    >>> np.copyto(t, s, where=np.array([False, True]))
    >>> (t * t).sum().backward(); t, s.grad
    (tensor([1., 3.], requires_grad=True), array(6.))
    """
    mask = np.asarray(array_of(where), dtype=bool) if where is not True else None
    if not isinstance(dst, Tensor):
        _into_array("copyto", dst, src, lambda: np.copyto(
            dst, array_of(src), casting=casting, where=True if mask is None else mask))
        return None
    raw = array_of(src)
    described = (f"dst of shape {dst.shape}, dtype {dst.dtype}; src of shape "
                 f"{np.shape(raw)}, dtype {np.result_type(raw)}; casting={casting!r}")
    _checked("copyto", described, lambda: np.copyto(
        np.zeros(dst.shape, dst.dtype), raw, casting=casting,
        where=True if mask is None else mask))
    refuse_traced_values(where, "copyto", "which entries it writes is read from the values "
                         "of where=", "Make the mask a constant (an ndarray made outside the "
                         "compiled function)")
    if mask is None or mask.all():
        inplace.set_item(dst, Ellipsis, src, where="copyto")
        return None
    if not mask.any():
        return None
    positions_of = functools.partial(_where_positions, dst.shape)
    chosen = _made_from_arguments("copyto where", positions_of, where)
    values = take(flatten(broadcast_to(tensor_of(src), dst.shape)), chosen)
    return _write_flat("copyto", dst, positions_of, (where,), values)


def _where_positions(shape, where):
    """The flat positions where ``where``, broadcast to ``shape``, is true."""
    return np.flatnonzero(np.broadcast_to(np.asarray(where, dtype=bool), shape))


copyto.numpy_kwargs = ("casting", "where")      # handled above (see interop)


@implements(np.fill_diagonal)
def fill_diagonal(a, val, wrap=False) -> None:
    """Write ``val`` on the main diagonal of ``a``, in place, as ``np.fill_diagonal``
    (an array ``val`` is repeated along the diagonal as needed); recorded in grad mode
    like ``t[key] = val``.

    >>> t = ad.tensor(np.ones((2, 2)), requires_grad=True) * 1.0
    >>> d = ad.tensor(5.0, requires_grad=True)
    >>> np.fill_diagonal(t, d)
    >>> t.sum().backward(); t.data, d.grad
    (array([[5., 1.],
           [1., 5.]]), array(2.))
    """
    if not isinstance(a, Tensor):
        _into_array("fill_diagonal", a, val,
                    lambda: np.fill_diagonal(a, array_of(val), wrap))
        return None
    raw = array_of(val)
    scratch = np.zeros(a.shape, a.dtype)
    _checked("fill_diagonal", f"a of shape {a.shape}, dtype {a.dtype}; val of shape "
             f"{raw.shape}; wrap={wrap}", lambda: np.fill_diagonal(scratch, raw, wrap))
    key, n = _diagonal_key(a.shape, bool(wrap))
    if raw.size == 0 or n == 0:
        return None                                 # NumPy writes nothing
    if raw.ndim:                                    # flattened, repeated or cut to fit
        flat = flatten(tensor_of(val))
        val = flat if raw.size == n else take(flat, _cycle(n, raw.size))
    inplace.set_item(a, key, val, where="fill_diagonal")
    return None
