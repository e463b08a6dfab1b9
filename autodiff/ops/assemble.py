"""NumPy's functions that build arrays from pieces, on Tensors, each built from
existing ops (the gradients are theirs).

- ``diagflat``, ``meshgrid``, ``broadcast_arrays``, ``block``, ``vdot``: reshapes,
  broadcasts, joins and a dot product of the inputs.
- ``insert``, ``delete``, ``resize``: a gather.  Where each output element comes from
  is found by running NumPy's own function on arrays of labels (the flat position of
  each input element), so every rule of NumPy's (negative indices, slices, masks,
  the broadcasting of ``values``, repeating to fill) and every error is NumPy's.
- ``logspace``, ``geomspace``: ``linspace`` raised to a power, differentiable in
  ``start`` and ``stop`` (and ``base``).
"""

from __future__ import annotations

import operator

import numpy as np

from ..compile.hooks import made
from ..compile.refusals import refuse_traced_values
from ..missing_dtypes import numpy_dtype
from ..tensor import Tensor
from .diagonals import diag
from .elementwise import astype, copy as _copy, power, where
from .exponentials import log10
from .indexing import take
from .linalg import dot
from .numpy_dispatch import implements
from .operands import array_of, tensor_of
from .ranges import linspace
from .rearrange import moveaxis
from .shape import broadcast_to, concatenate, flatten, reshape


def _described(x) -> str:
    data = array_of(x)
    return f"shape {data.shape}, dtype {data.dtype}"


# --- reshapes, broadcasts and joins ---------------------------------------------------

@implements(np.diagflat)
def diagflat(v, k=0) -> Tensor:
    """A square matrix with ``v`` flattened on its ``k``-th diagonal, as ``np.diagflat``.

    >>> v = ad.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = np.diagflat(v, 1)
    >>> (y * np.arange(9.0).reshape(3, 3)).sum().backward(); y.shape, v.grad
    ((3, 3), array([[1., 5.]]))
    """
    try:
        k = operator.index(k)
    except TypeError:
        raise TypeError(f"diagflat: k must be an integer (the diagonal's offset), got "
                        f"{k!r}") from None
    return diag(flatten(tensor_of(v)), k)


@implements(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy") -> tuple:
    """Coordinate arrays from coordinate vectors (each flattened), as ``np.meshgrid``:
    ``indexing='xy'`` swaps the first two axes of the grid, ``sparse=True`` keeps
    size-1 axes instead of repeating.  Each output's gradient goes back to its vector.

    >>> x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> X, Y = np.meshgrid(x, np.array([0.0, 1.0]))
    >>> X.sum().backward(); X.shape, x.grad
    ((2, 3), array([2., 2., 2.]))
    """
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: valid values for `indexing` are 'xy' and 'ij', got "
                         f"{indexing!r}")
    ndim = len(xi)
    ones = (1,) * ndim
    grids = [reshape(tensor_of(x), ones[:i] + (-1,) + ones[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and ndim > 1:
        grids[0] = reshape(grids[0], (1, -1) + ones[2:])
        grids[1] = reshape(grids[1], (-1, 1) + ones[2:])
    if not sparse:
        grids = broadcast_arrays(*grids)
    if copy:
        grids = [_copy(grid, order="C") for grid in grids]     # (NumPy's grid.copy())
    return tuple(grids)


@implements(np.broadcast_arrays)
def broadcast_arrays(*args) -> tuple:
    """The arguments broadcast against each other, as ``np.broadcast_arrays``: a tuple
    of Tensors (an ndarray argument comes back as a Tensor too).

    >>> a = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> p, q = np.broadcast_arrays(a, np.zeros((3, 1)))
    >>> p.sum().backward(); p.shape, q.shape, a.grad
    ((3, 2), (3, 2), array([3., 3.]))
    """
    tensors = [tensor_of(a) for a in args]
    shape = common_shape(tensors, "broadcast_arrays")
    return tuple(broadcast_to(t, shape) for t in tensors)


def common_shape(tensors, name: str) -> tuple:
    """The shape ``tensors`` broadcast to; an error naming ``name`` and the shapes when
    they do not."""
    shapes = [t.shape for t in tensors]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{name}: shapes {shapes} do not broadcast together") from None


def _block_leaves(arrays):
    if isinstance(arrays, list):
        return [leaf for item in arrays for leaf in _block_leaves(item)]
    return [arrays]


def _block_data(arrays):
    if isinstance(arrays, list):
        return [_block_data(item) for item in arrays]
    return array_of(arrays) if isinstance(arrays, Tensor) else arrays


def _block_depth(arrays) -> int:
    return 1 + _block_depth(arrays[0]) if isinstance(arrays, list) else 0


def _assembled(arrays, list_depth, result_ndim, depth=0):
    if depth < list_depth:
        parts = [_assembled(item, list_depth, result_ndim, depth + 1) for item in arrays]
        return concatenate(parts, axis=-(list_depth - depth))
    leaf = tensor_of(arrays)
    return reshape(leaf, (1,) * (result_ndim - leaf.ndim) + leaf.shape)


@implements(np.block)
def block(arrays) -> Tensor:
    """An array assembled from nested lists of blocks, as ``np.block``: the innermost
    lists are joined along the last axis, the next ones along the one before, and
    blocks are given leading size-1 axes to reach the result's rank.

    >>> a = ad.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = np.block([[a, np.zeros((1, 1))], [np.ones((1, 3))]])
    >>> y.sum().backward(); y.shape, a.grad
    ((2, 3), array([[1., 1.]]))
    """
    # NumPy's own checks (list depths, empty lists, tuples, shapes) and messages
    expected = np.block(_block_data(arrays))
    depth = _block_depth(arrays)
    result_ndim = max([depth] + [np.ndim(array_of(leaf)) for leaf in _block_leaves(arrays)])
    result = _assembled(arrays, depth, result_ndim)
    return astype(result, expected.dtype) if result.dtype != expected.dtype else result


@implements(np.vdot)
def vdot(a, b, /) -> Tensor:
    """The dot product of ``conj(a)`` and ``b``, both flattened, as ``np.vdot``.

    >>> a = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = np.vdot(a, np.ones((4,)))
    >>> y.backward(); y, a.grad
    (tensor(10., requires_grad=True), array([[1., 1.],
           [1., 1.]]))
    """
    a, b = flatten(tensor_of(a)), flatten(tensor_of(b))
    if a.dtype.kind == "c":
        from .complex_ops import conj_op
        a = conj_op(a)
    if a.shape != b.shape:
        raise ValueError(f"vdot: the inputs have {a.shape[0]} and {b.shape[0]} elements; "
                         "vdot needs the same number of elements in both")
    return dot(a, b)


# --- gathers laid out by NumPy ------------------------------------------------------

def _labels(shape, start=0):
    """Each position's flat index, plus ``start``, as an intp array of ``shape``."""
    return np.arange(start, start + int(np.prod(shape)), dtype=np.intp).reshape(shape)


def _layout(name, numpy_function, *args, shape):
    """``numpy_function`` on the labels; its errors say which function, on what shape."""
    try:
        return numpy_function(*args)
    except (ValueError, IndexError, TypeError) as error:
        raise type(error)(f"{name} (of an array of shape {shape}): {error}") from None


def _layout_of_labels(name, numpy_function, shape, *args):
    """Where each output element of ``numpy_function(array of shape, *args)`` comes
    from: the function run on the labels (shape-only, so ``ad.compile`` makes it again
    at each replay)."""
    return _layout(name, numpy_function, _labels(shape), *args, shape=shape)


def _insert_layout(shape, obj, values_shape, axis):
    # values' labels come after arr's: position arr.size + j is values' flat entry j
    values = _labels(values_shape, start=int(np.prod(shape)))
    return _layout("insert", np.insert, _labels(shape), obj, values, axis, shape=shape)


def _constant_positions(name, obj, what):
    """``obj`` as NumPy reads it; a compiled trace refuses a traced tensor (the
    result's length depends on its values)."""
    if not isinstance(obj, Tensor):
        return obj
    refuse_traced_values(obj, name, f"{what} (and so the length of its result) depends "
                         "on the values of obj", "Pass obj as Python ints, a slice or a "
                         "constant array made outside the compiled function.")
    return array_of(obj)


@implements(np.delete)
def delete(arr, obj, axis=None) -> Tensor:
    """``arr`` without the entries ``obj`` selects along ``axis`` (of ``arr`` flattened
    when None), as ``np.delete``: ``obj`` an index, a slice, indices or a boolean mask.

    >>> x = ad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    >>> y = np.delete(x, [0, -1])
    >>> y.sum().backward(); y, x.grad
    (tensor([2., 3.], requires_grad=True), array([0., 1., 1., 0.]))
    """
    source = tensor_of(arr)
    obj = _constant_positions("delete", obj, "which entries it removes")
    kept = made("delete layout", _layout_of_labels, ("delete", np.delete, source.shape, obj,
                                                     axis))
    return take(flatten(source), kept)


@implements(np.insert)
def insert(arr, obj, values, axis=None) -> Tensor:
    """``values`` inserted into ``arr`` before the indices ``obj`` along ``axis`` (of
    ``arr`` flattened when None), as ``np.insert``; ``values`` is cast to ``arr``'s
    dtype and broadcast as NumPy does, and both get their gradients.

    >>> x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> v = ad.tensor(5.0, requires_grad=True)
    >>> y = np.insert(x, [1, 3], v)
    >>> y.sum().backward(); y, x.grad, v.grad
    (tensor([1., 5., 2., 3., 5.], requires_grad=True), array([1., 1., 1.]), array(2.))
    """
    source, extra = tensor_of(arr), tensor_of(values)
    obj = _constant_positions("insert", obj, "where it inserts values")
    layout = made("insert layout", _insert_layout, (source.shape, obj, extra.shape, axis))
    if extra.dtype != source.dtype:
        extra = astype(extra, source.dtype)
    return take(concatenate([flatten(source), flatten(extra)]), layout)


@implements(np.resize)
def resize(a, new_shape) -> Tensor:
    """``a`` flattened and repeated (or cut) to fill ``new_shape``, as ``np.resize``
    (zeros when ``a`` is empty); a repeated entry gets the sum of its copies' gradients.

    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> y = np.resize(x, (2, 3))
    >>> y.sum().backward(); y, x.grad
    (tensor([[1., 2., 1.],
            [2., 1., 2.]], requires_grad=True), array([3., 3.]))
    """
    source = tensor_of(a)
    layout = made("resize layout", _layout_of_labels, ("resize", np.resize, source.shape,
                                                       new_shape))
    if source.size == 0:
        return Tensor(made("zeros", np.zeros, (layout.shape, source.dtype)))
    return take(flatten(source), layout)


# --- logarithmic ranges ------------------------------------------------------------

def _refuse_complex(name, *arguments):
    for x in arguments:
        if np.iscomplexobj(array_of(x)):
            raise TypeError(f"{name}: complex start/stop/base ({_described(x)}) are not "
                            "supported; use real values")


def _at_least(x, ndim):
    x = tensor_of(x)
    return reshape(x, (1,) * (ndim - x.ndim) + x.shape)


def _refuse_complex_dtype(name, dtype):
    if dtype is not None and (target := numpy_dtype(name, dtype)).kind not in "fiub":
        raise TypeError(f"{name}: dtype={target} is not supported; use a real dtype")


@implements(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0) -> Tensor:
    """``base ** linspace(start, stop)``, as ``np.logspace``; ``start``, ``stop`` and
    ``base`` may be Tensors (of broadcastable shapes).  An integer ``dtype`` rounds
    the samples, as NumPy, and they then have no gradient.

    >>> a = ad.tensor(0.0, requires_grad=True)
    >>> y = np.logspace(a, 2.0, num=3)
    >>> y.sum().backward(); y, a.grad          # ln 10 * (1 * 1 + 10 * 0.5)
    (tensor([  1.,  10., 100.], requires_grad=True), array(13.81551056))
    """
    _refuse_complex("logspace", start, stop, base)
    _refuse_complex_dtype("logspace", dtype)
    if not isinstance(base, (float, int)) and np.ndim(array_of(base)):
        # as NumPy: only an array base is broadcast with the ends (a number stays weak:
        # float32 ends keep float32 samples)
        ndim = np.broadcast(array_of(start), array_of(stop), array_of(base)).ndim
        start, stop, base = (_at_least(x, ndim) for x in (start, stop, base))
        base = reshape(base, np.expand_dims(array_of(base), axis).shape)
    exponents = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    samples = power(base, exponents)
    return samples if dtype is None else astype(samples, dtype)


logspace.numpy_kwargs = ("dtype",)


@implements(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0) -> Tensor:
    """Samples evenly spaced on a log scale from ``start`` to ``stop`` (both included,
    exactly), as ``np.geomspace``; both may be negative (of one sign) and Tensors.

    >>> a = ad.tensor(1.0, requires_grad=True)
    >>> y = np.geomspace(a, 100.0, num=3)
    >>> y[1].backward(); y, a.grad
    (tensor([  1.,  10., 100.], requires_grad=True), array(5.))
    """
    _refuse_complex("geomspace", start, stop)
    _refuse_complex_dtype("geomspace", dtype)
    start, stop = tensor_of(start) * 1.0, tensor_of(stop) * 1.0
    # (checked again at each replay of ad.compile)
    made("geomspace check", _no_zero_ends, (start.data, stop.data), stateful=True)
    num = operator.index(num)
    computed = np.result_type(array_of(start), array_of(stop), float(num), np.zeros((), dtype))
    start, stop = astype(start, computed), astype(stop, computed)
    # (from the values: ad.compile computes it again at each replay)
    sign = made("geomspace sign", np.sign, (start.data,))
    start, stop = start / sign, stop / sign
    samples = logspace(log10(start), log10(stop), num=num, endpoint=endpoint)
    # The ends are start and stop exactly (10 ** log10(x) need not be x)
    if num > 0:
        samples = where(made("first sample", _sample_at, (num, samples.ndim, 0)),
                        start, samples)
        if num > 1 and endpoint:
            samples = where(made("last sample", _sample_at, (num, samples.ndim, num - 1)),
                            stop, samples)
    samples = samples * sign
    if axis != 0:
        samples = moveaxis(samples, 0, axis)
    return samples if dtype is None or np.dtype(dtype) == computed else astype(samples, dtype)


geomspace.numpy_kwargs = ("dtype",)


def _sample_at(num, ndim, index):
    """True at sample ``index`` of ``num`` along the first of ``ndim`` axes."""
    return (np.arange(num) == index).reshape((num,) + (1,) * (ndim - 1))


def _no_zero_ends(start, stop):
    if np.any(start == 0) or np.any(stop == 0):
        raise ValueError("geomspace: a geometric sequence cannot include zero (start or "
                         "stop is 0)")
    return True


# --- unique values: a gather of the first occurrences --------------------------------

def _first_occurrences(found, data, axis, equal_nan):
    """Where in ``data`` (flattened when ``axis`` is None) each of NumPy's unique values
    ``found`` first occurs."""
    ordered, first = np.unique(data, return_index=True, axis=axis, equal_nan=equal_nan)
    if np.array_equal(ordered, found, equal_nan=True):
        return first
    if axis is not None:                          # (NumPy sorts along an axis)
        raise NotImplementedError("unique: NumPy's unique values along an axis came in "
                                  "an unexpected order; call it on t.data")
    # NumPy's unsorted order (a hash table's): find each value among the sorted ones;
    # the k-th NaN is the k-th of the sorted NaNs (each its own value without equal_nan)
    slot = np.searchsorted(ordered, found)
    if found.dtype.kind in "fc":
        missing = np.isnan(found)
        slot[missing] = slot[missing][:1] + np.arange(np.count_nonzero(missing))
    return first[slot]


def _unique_values(numpy_function, x, axis=None, equal_nan=False, **options):
    """NumPy's result with its values gathered from ``x``; ``equal_nan`` is the one
    ``numpy_function`` uses (False for the NumPy 2 names)."""
    x = tensor_of(x)
    name = numpy_function.__name__
    refuse_traced_values(x, name, "how many distinct values there are (the length of its "
                         "result) depends on the values",
                         f"Call {name} outside the compiled function and pass its result "
                         "in as an argument")
    if numpy_function is np.unique:
        options.update(axis=axis, equal_nan=equal_nan)
    result = numpy_function(x.data, **options)
    found = result if isinstance(result, np.ndarray) else result[0]
    first = _first_occurrences(found, x.data, axis, equal_nan)
    values = take(flatten(x), first) if axis is None else take(x, first, axis=axis)
    if isinstance(result, np.ndarray):
        return values
    if hasattr(result, "_replace"):
        return result._replace(values=values)
    return (values,) + tuple(result[1:])


_NAN_RULE_NOT_GIVEN = object()


def _warn_merged_nans(x, axis) -> None:
    """``np.unique`` makes the NaNs one value (``equal_nan=True``), ``torch.unique``
    keeps each: ``ad.unique`` (the name PyTorch code writes) on a float input with
    several NaNs and no ``equal_nan=`` warns at the user's line."""
    data = getattr(x, "data", x)
    if axis is not None or np.asarray(data).dtype.kind not in "fc":
        return
    if np.count_nonzero(np.isnan(data)) < 2:
        return
    from ..conventions import ConventionWarning
    from ..tape_drop import user_frame, warn_at
    warn_at(user_frame(), (
        "unique: the input has several NaNs, which ad.unique (NumPy's np.unique, "
        "equal_nan=True) makes one value, counted together, where torch.unique and "
        "Tensor.unique keep each NaN as its own value. Pass equal_nan=False for "
        "PyTorch's result (or call t.unique()), equal_nan=True to keep this one "
        "without this warning."), ConventionWarning)


def _unique(ar, return_index, return_inverse, return_counts, axis, equal_nan, sorted,
            warn_merged_nans):
    """``np.unique``'s result, NaNs merged unless ``equal_nan=False``; when no rule is
    given and ``warn_merged_nans`` (``ad.unique``), several NaNs merged warn."""
    if equal_nan is _NAN_RULE_NOT_GIVEN:
        if warn_merged_nans:
            _warn_merged_nans(ar, axis)
        equal_nan = True
    return _unique_values(np.unique, ar, axis, equal_nan, return_index=return_index,
                          return_inverse=return_inverse, return_counts=return_counts,
                          sorted=sorted)


@implements(np.unique)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, sorted=True):
    """The unique values, as ``np.unique`` (with its index, inverse and count arrays
    when asked, plain integer arrays).  The values are a gather of the input: each
    one's gradient goes to its first occurrence (the index ``return_index`` gives).
    Several NaNs are one value (NumPy's ``equal_nan=True``), quietly, as NumPy code
    expects (``ad.unique`` warns about it).

    >>> x = ad.tensor([2.0, 1.0, 2.0], requires_grad=True)
    >>> values, counts = np.unique(x, return_counts=True)
    >>> values.sum().backward(); values, counts, x.grad
    (tensor([1., 2.], requires_grad=True), array([1, 2]), array([1., 1., 0.]))
    """
    return _unique(ar, return_index, return_inverse, return_counts, axis, equal_nan,
                   sorted, warn_merged_nans=False)


def unique_of_ad(ar, return_index=False, return_inverse=False, return_counts=False,
                 axis=None, *, equal_nan=_NAN_RULE_NOT_GIVEN, sorted=True, dim=None):
    """``ad.unique``: ``np.unique`` on a Tensor (a list or an array taken as one), with
    its gradients; ``dim=`` is PyTorch's name for ``axis=`` (the distinct slices along
    it).  Several NaNs are one value (NumPy's ``equal_nan=True``); without
    ``equal_nan=`` that warns at the caller's line, since ``torch.unique`` (and
    ``Tensor.unique``) keep each NaN.

    >>> ad.unique(ad.tensor([2.0, 1.0, 2.0]), return_counts=True)
    (tensor([1., 2.]), array([1, 2]))
    >>> ad.unique(ad.tensor([[1, 2], [1, 2], [0, 1]]), dim=0)
    tensor([[0, 1],
            [1, 2]])
    """
    from .operands import SEQUENCES, from_nested, holds_tensor
    if dim is not None:
        from ..argument_aliases import renamed_argument
        axis = renamed_argument("unique", "axis", axis, None, "dim", dim)
    if type(ar) in SEQUENCES and holds_tensor(ar):
        ar = from_nested(ar)
    return _unique(ar, return_index, return_inverse, return_counts, axis, equal_nan,
                   sorted, warn_merged_nans=True)


unique_of_ad.__name__ = unique_of_ad.__qualname__ = "unique"


@implements(np.unique_values)
def unique_values(x, /):
    """The unique values (in NumPy's order), as ``np.unique_values``; each one's
    gradient goes to its first occurrence (a NaN is its own value).

    >>> np.unique_values(ad.tensor([3.0, 3.0]))
    tensor([3.])
    """
    return _unique_values(np.unique_values, x)


@implements(np.unique_counts)
def unique_counts(x, /):
    """``(values, counts)``, as ``np.unique_counts``; the values' gradients go to the
    first occurrences.

    >>> np.unique_counts(ad.tensor([3.0, 1.0, 3.0])).counts
    array([1, 2])
    """
    return _unique_values(np.unique_counts, x)


@implements(np.unique_inverse)
def unique_inverse(x, /):
    """``(values, inverse_indices)``, as ``np.unique_inverse``; the values' gradients
    go to the first occurrences.

    >>> np.unique_inverse(ad.tensor([3.0, 1.0, 3.0])).inverse_indices
    array([1, 0, 1])
    """
    return _unique_values(np.unique_inverse, x)


@implements(np.unique_all)
def unique_all(x, /):
    """``(values, indices, inverse_indices, counts)``, as ``np.unique_all``; the
    values' gradients go to their ``indices`` (the first occurrences).

    >>> np.unique_all(ad.tensor([3.0, 1.0, 3.0])).indices
    array([1, 0])
    """
    return _unique_values(np.unique_all, x)
