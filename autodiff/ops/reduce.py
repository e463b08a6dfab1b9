"""Reductions over axes: sum, mean, max, min, var.

Every rule first puts ``g`` back into the input's rank (size-1 axes where the
reduction removed them), then broadcasts it over the reduced axes.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

from ..conventions import (keepdim_by_position, torch_empty_axis, variance_in_torch_form,
                           warn_if_unpacked_as_torch_pair)
from ..spellings import extreme_along_dim, refuse_positional
from ..warning_lines import numpy_warnings_at_user_line
from .operands import numpy_axis
from .registry import REGISTRY, TORCH_AXIS_ALIASES, defop
from .ufunc_methods import reduce_adapter


def reject_numpy_arguments(name, **given):
    """NumPy arguments passed by position that no op supports (keywords are checked
    centrally, in interop)."""
    used = sorted(k for k, v in given.items() if v is not None)
    if used:
        raise TypeError(f"numpy.{name} on a Tensor: the argument(s) {used} are not supported "
                        "by autodiff; call it without them")


def masking_arguments(initial, where):
    """``initial`` and ``where`` as ``reject_numpy_arguments`` reads them: None when
    left at NumPy's defaults."""
    return {"initial": None if initial is np._NoValue else initial,
            "where": None if where is True or where is np._NoValue else where}


def _numpy_reduction(name, takes_dtype):
    """NumPy's signature mapped onto the op's: (a, axis, dtype, out, keepdims, initial,
    where) for sum (mean stops at keepdims), (a, axis, out, keepdims, initial, where)
    for max and min; ``initial`` and ``where`` go to masked_reductions.py."""
    def reduction(a, axis, keepdims, initial, where):
        axis = numpy_axis(axis)         # (the op itself refuses arrays there: ad.max(a, b))
        if any(value is not None for value in masking_arguments(initial, where).values()):
            from .masked_reductions import masked_reduction   # (it imports this module)
            return masked_reduction(name, a, axis, bool(keepdims), initial, where)
        if name == "mean" and 0 in getattr(a, "shape", ()):
            # NumPy's warnings about empty lanes, which the op (PyTorch's) leaves out
            numpy_warnings_at_user_line(np.mean, getattr(a, "data", a), axis=axis,
                                        keepdims=bool(keepdims))
        return REGISTRY[name](a, axis=axis, keepdims=bool(keepdims))

    if takes_dtype:
        def adapter(a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
                    where=None):
            reject_numpy_arguments(name, dtype=dtype, out=out)
            return reduction(a, axis, keepdims, initial, where)
    else:
        def adapter(a, axis=None, out=None, keepdims=False, initial=None, where=None):
            reject_numpy_arguments(name, out=out)
            return reduction(a, axis, keepdims, initial, where)
    adapter.__name__ = name
    adapter.numpy_kwargs = ("initial", "where")     # (interop refuses them otherwise)
    return adapter

_AXIS_HINT = "axis must be None, an int or a tuple of ints in [-ndim, ndim)"


def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a + ndim if a < 0 else a for a in axes)


def _kept_shape(shape, axis):
    """The output shape with keepdims=True: reduced axes become size 1."""
    axes = _normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape, axis):
    n = 1
    for a in _normalize_axes(axis, len(shape)):
        n *= shape[a]
    return n


def lanes_too_short(shape, axis, ddof) -> bool:
    """Whether the lanes reduced over hold ``ddof`` elements or fewer, where NumPy's
    own Python code warns (from its own line); False for an axis NumPy will refuse."""
    try:
        return _count(shape, axis) - ddof <= 0
    except (IndexError, TypeError):
        return False


def _sum_rule(xp, g, ans, x, axis=None, keepdims=False, dtype=None):
    # (dtype=: the forward computed in it; the engine casts g back to x's dtype)
    return xp.broadcast_to(xp.reshape(g, _kept_shape(x.shape, axis)), x.shape)


def _mean_rule(xp, g, ans, x, axis=None, keepdims=False, dtype=None):
    n = _count(x.shape, axis)
    if not n:               # (empty lanes: an empty gradient, without NumPy's 1 / 0 warning)
        return xp.broadcast_to(xp.reshape(g, _kept_shape(x.shape, axis)), x.shape)
    return xp.broadcast_to(xp.reshape(g, _kept_shape(x.shape, axis)) / n, x.shape)


def _extreme_rule(xp, g, ans, x, axis=None, keepdims=False):
    # Every position equal to the extreme value gets an equal share of g; in a lane
    # whose extreme is NaN, the NaNs (as PyTorch).
    kept = _kept_shape(x.shape, axis)
    extreme = xp.reshape(ans, kept)
    hits = x == extreme
    if x.dtype.kind in "fc":
        hits = xp.logical_or(hits, xp.logical_and(xp.isnan(x), xp.isnan(extreme)))
    count = xp.sum(hits, axis=axis, keepdims=True)
    share = xp.reshape(g, kept) / xp.astype(count, g.dtype)
    return xp.where(hits, share, 0)


def spread_forward(numpy_function):
    """The forward of ``var`` or ``std``: ``numpy_function`` (``np.var`` or ``np.std``)
    with the arguments past the axis that may come by position, and NumPy's warnings for
    lanes of ``ddof`` elements or fewer issued at the user's line."""
    name = numpy_function.__name__

    def forward(x, axis=None, *positional, keepdims=False, ddof=0):
        # ad.var(x, 1, True), PyTorch's unbiased, went to the method (torch_by_position).
        # What comes here by position past the axis is the caller's, except a Tensor given
        # by keyword (np.var(t, ddof=ad.tensor(1))), which the call moved into its place.
        if positional:
            if not isinstance(positional[-1], np.ndarray):
                refuse_positional(name, positional, method=False)
            keepdims, ddof = (*positional, ddof)[:2]
        if (ddof or 0 in x.shape) and lanes_too_short(x.shape, axis, ddof):
            return numpy_warnings_at_user_line(numpy_function, x, axis=axis,
                                               keepdims=keepdims, ddof=ddof)
        return numpy_function(x, axis=axis, keepdims=keepdims, ddof=ddof)

    forward.__name__ = forward.__qualname__ = f"_{name}_forward"
    return forward


def spread_numpy(name, op, a, axis, dtype, out, ddof, keepdims, where, mean):
    """``np.var`` or ``np.std`` (``name``) of a Tensor, ``op`` (``ad.var`` or ``ad.std``):
    NumPy's computation for ``dtype=`` or ``out=``, the masked variance for ``where=`` or
    ``mean=``, else ``op`` itself."""
    if dtype is not None or out is not None:
        from .variance_dtype import variance_with     # (it imports this module)
        return variance_with(name, a, axis, dtype, out, ddof, bool(keepdims), where, mean,
                             lambda t: spread_numpy(name, op, t, axis, None, None, ddof,
                                                    keepdims, where, mean))
    if masking_arguments(np._NoValue, where)["where"] is not None or mean is not np._NoValue:
        from .masked_variance import masked_variance     # (it imports this module)
        return masked_variance(name, a, axis, bool(keepdims), ddof, where, mean)
    return op(a, axis=axis, keepdims=bool(keepdims), ddof=ddof)


_var_forward = spread_forward(np.var)


def centered(xp, x, axis):
    """``x - mean(x)`` along ``axis``, with the rounding of the mean corrected (the
    mean of the first differences taken off them): on values with a large common
    offset (1e8 + a spread of 1e-3) the rounded mean alone is off by half an ulp of
    the offset, which the differences carry in full (1e11 ulp)."""
    first = x - xp.mean(x, axis=axis, keepdims=True)
    return first - xp.mean(first, axis=axis, keepdims=True)


def _var_rule(xp, g, ans, x, axis=None, keepdims=False, ddof=0):
    n = _count(x.shape, axis)
    centered_x = centered(xp, x, axis)
    # ddof >= n: the forward is NaN or inf (NumPy warns); every gradient is NaN, as in PyTorch.
    scale = 2 / (n - ddof) if n > ddof else np.nan
    return centered_x * (xp.reshape(g, _kept_shape(x.shape, axis)) * scale)


def _reduction(name, forward, formula, rule, doc, numpy, takes_dtype=True, ufunc=None,
               **fields):
    entries = {f: _numpy_reduction(name, takes_dtype) for f in numpy}
    if ufunc is not None:               # NumPy's reduction is ufunc.reduce (axis 0 default)
        entries[ufunc.reduce] = reduce_adapter(f"{ufunc.__name__}.reduce", name)
    return defop(name, forward, doc=doc, hint=_AXIS_HINT, numpy=entries,
                 x=(formula, rule),
                 axis=None, keepdims=None, aliases=TORCH_AXIS_ALIASES, **fields)


def _keepdim_in_dtype_place(name):
    """``ad.sum(x, 1, True)``: PyTorch's keepdim, by position where NumPy's dtype is
    (never a bool); the op's ``torch_by_position``."""
    def call(x, axis, flag, *rest, **kwargs):
        if rest:
            raise TypeError(f"{name}: after PyTorch's keepdim ({flag!r}) by position, "
                            f"got {rest!r}; pass them by keyword")
        _, keepdims = keepdim_by_position(name, flag, kwargs.pop("keepdims", False), "dtype")
        axis = torch_empty_axis(name, axis, isinstance(flag, (bool, np.bool_)))
        return REGISTRY[name](x, axis=axis, keepdims=keepdims, **kwargs)
    return call


sum = _reduction(
    "sum", np.sum, "broadcast g over the summed axes", _sum_rule,
    "Sum over ``axis`` (all axes when None).\n\n"
    ">>> ad.sum(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)\ntensor([4., 6.])",
    numpy=(np.sum,), ufunc=np.add, reads=(), torch_by_position=_keepdim_in_dtype_place("sum"),
    reduction="adds up")
def _mean_forward(x, *args, **kwargs):
    if 0 in x.shape:
        return _quiet_mean_of_empty_lanes(x, *args, **kwargs)
    return np.mean(x, *args, **kwargs)


def _quiet_mean_of_empty_lanes(x, *args, **kwargs):
    """NaN for each empty lane without NumPy's "Mean of empty slice" (and its 0 / 0)
    warnings, as PyTorch's ``mean`` gives it: ``ad.mean`` and ``Tensor.mean``.
    ``np.mean`` of a Tensor warns as NumPy does (its adapter adds the warnings)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.mean(x, *args, **kwargs)


mean = _reduction(
    "mean", _mean_forward, "broadcast g / n over the averaged axes", _mean_rule,
    "Mean over ``axis``.\n\n>>> ad.mean(ad.tensor([1.0, 2.0, 6.0]))\ntensor(3.)",
    numpy=(np.mean,), reads=(), torch_by_position=_keepdim_in_dtype_place("mean"),
    reduction="averages")


def _two_tensors_error(name, other):
    """``ad.max(t, other)`` with a Tensor or array ``other``: PyTorch's ``torch.max`` of
    two tensors is the elementwise maximum (even of a 0-d integer one), NumPy's ``max``
    reads an integer one as the axis; neither is safe to guess."""
    pairwise = {"max": "maximum", "min": "minimum"}[name]
    error = TypeError(
        f"{name}(input, other): a Tensor or array (shape {other.shape}, dtype {other.dtype}) "
        f"as the second argument is PyTorch's elementwise {pairwise} in torch.{name}, and "
        f"the axis in NumPy's {name} (of a 0-d integer one); write ad.{pairwise}(input, "
        f"other) for the elementwise {pairwise}, or ad.{name}(input, axis=int(other)) "
        f"for the {name} over that axis")
    error._autodiff_explained = True     # (the op's hint is about axes)
    return error


def _extreme_forward(reduce):
    def forward(x, axis=None, keepdims=False):
        if isinstance(axis, np.ndarray):       # (a Tensor's values, or an array)
            raise _two_tensors_error(reduce.__name__, axis)
        try:
            result = reduce(x, axis=axis, keepdims=keepdims)
            if axis is not None and result.shape[:1] == (2,):   # (keepdims: max(x, 1, True))
                warn_if_unpacked_as_torch_pair(reduce.__name__)
            return result
        except ValueError as error:
            if np.size(x) != 0:
                raise
            name = reduce.__name__
            empty = ValueError(
                f"{name}: the input is empty along the reduced axes (shape {np.shape(x)}) "
                f"and an empty {name} has no value; skip empty batches (if t.size: ...) or "
                f"reduce over an axis that is not empty")
            empty._autodiff_explained = True     # (the op's hint is about axis values)
            raise empty from error
    return forward


max = _reduction(
    "max", _extreme_forward(np.max),
    "g shared equally by the positions equal to the max (the NaNs, if it is NaN)",
    _extreme_rule,
    "Largest value over ``axis``; ties split the gradient.\n\n"
    "With PyTorch's ``dim=`` (one int) it returns PyTorch's named tuple ``(values, "
    "indices)`` instead, the indices an int64 Tensor and the gradient going to the "
    "entry at each index; ``keepdim=`` applies to both.\n\n"
    ">>> ad.max(ad.tensor([1.0, 3.0, 2.0]))\ntensor(3.)\n"
    ">>> ad.max(ad.tensor([[1.0, 3.0], [4.0, 2.0]]), dim=1)\n"
    "ValuesIndices(values=tensor([3., 4.]), indices=tensor([1, 0]))",
    numpy=(np.max, np.amax), takes_dtype=False, ufunc=np.maximum,
    zeroes="gives gradient only to the entries that attain the max",
    torch_dim=partial(extreme_along_dim, "max"))
min = _reduction(
    "min", _extreme_forward(np.min),
    "g shared equally by the positions equal to the min (the NaNs, if it is NaN)",
    _extreme_rule,
    "Smallest value over ``axis``; ties split the gradient.\n\n"
    "With PyTorch's ``dim=`` (one int) it returns ``(values, indices)`` as ``max`` "
    "does.\n\n"
    ">>> ad.min(ad.tensor([1.0, 3.0, 2.0]))\ntensor(1.)\n"
    ">>> ad.min(ad.tensor([[1.0, 3.0], [4.0, 2.0]]), dim=1, keepdim=True).indices\n"
    "tensor([[0],\n        [1]])",
    numpy=(np.min, np.amin), takes_dtype=False, ufunc=np.minimum,
    zeroes="gives gradient only to the entries that attain the min",
    torch_dim=partial(extreme_along_dim, "min"))
max.torch_dim_by_keepdim = min.torch_dim_by_keepdim = True     # ad.max(t, 1, keepdim=True)


def ddof_of(name: str, ddof, correction):
    """NumPy's ``ddof`` from its array-API spelling ``correction=`` (the two are one
    argument: NumPy refuses both given, with ``ddof`` not 0)."""
    if correction is np._NoValue:
        return ddof
    if ddof != 0:
        raise ValueError(f"numpy.{name}: ddof and correction can't be provided "
                         "simultaneously (they are the same argument); give one")
    return correction


def _var_numpy(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
               where=np._NoValue, mean=np._NoValue, correction=np._NoValue):
    return spread_numpy("var", var, a, axis, dtype, out, ddof_of("var", ddof, correction),
                        keepdims, where, mean)


_var_numpy.numpy_kwargs = ("where", "mean", "dtype", "out")   # (interop refuses them otherwise)


var = defop(
    "var", _var_forward, hint=_AXIS_HINT, numpy={np.var: _var_numpy},
    doc="Variance over ``axis`` (``ddof`` as in NumPy).\n\n"
        ">>> ad.var(ad.tensor([1.0, 3.0]))\ntensor(1.)",
    x=("g * 2 * (x - mean(x)) / (n - ddof)", _var_rule), axis=None, keepdims=None, ddof=None,
    aliases={**TORCH_AXIS_ALIASES, "correction": "ddof"},
    torch_dim=variance_in_torch_form("var"), torch_by_position=variance_in_torch_form("var"))
var.torch_dim_by_keepdim = True     # ad.var(t, 1, keepdim=True): PyTorch's dim, and its warning
