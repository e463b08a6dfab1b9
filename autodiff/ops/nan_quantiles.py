"""``np.nanquantile``, ``np.nanpercentile`` and ``np.nanmedian`` on Tensors: the
quantiles of each lane's values that are not NaN.

NumPy computes each lane on its values with the NaNs removed.  Here the lanes are
sorted (NaN sorts last), so a lane's first ``count`` sorted values are exactly those,
in order; lanes with the same ``count`` are taken together through ``quantile`` /
``median`` on those first ``count`` columns, and the results are put back in lane
order.  So the values are NumPy's bit for bit, and the gradient goes to the inputs
that sort next to each quantile, as for ``quantile``; NaN entries get none.  A lane
that is all NaN gives NaN (with NumPy's warning) and no gradient.

How many values each lane keeps depends on the values, and a compiled plan's indices
are fixed: ``ad.compile`` refuses these functions while tracing.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..conventions import (keepdim_by_position, torch_pair_along_dim,
                           warn_if_unpacked_as_torch_pair)
from ..tensor import Tensor
from .averages import _lanes_last, median
from .elementwise import astype
from .indexing import take
from .nan_reductions import nanmean
from .numpy_dispatch import implements
from .operands import array_of
from .ordering import sort
from .quantiles import (_fractions, percentile, quantile, refuse_arguments,
                        torch_form_of_quantile)
from .shape import concatenate, reshape


def _refuse_in_trace(name):
    from ..compile.refusals import refuse_while_tracing
    refuse_while_tracing(
        name, "how many values of each lane are not NaN depends on the values",
        f"Call {name} outside the compiled function, or fill the NaNs first "
        "(ad.where(ad.isnan(x), fill, x)) and use the function without nan")


def _by_count(name, a, axis, keepdims, reduce_lanes):
    """``reduce_lanes(values)`` (a reduction over the last axis that puts its own axes
    first) of each lane's values that are not NaN, as NumPy's nan-functions give it."""
    _refuse_in_trace(name)
    lanes, kept_shape = _lanes_last(a, axis, name)
    lead, n = lanes.shape[:-1], lanes.shape[-1]
    flat = reshape(lanes, (-1, n))
    ordered = sort(flat, axis=-1)
    counts = n - np.isnan(flat.data).sum(axis=-1)
    groups, rows_in_order = [], []
    for count in np.unique(counts):
        rows = np.flatnonzero(counts == count)
        if count == 0:      # (a lane of one NaN gives NaN, with a zero gradient)
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=2)
        groups.append(reduce_lanes(ordered[rows, :max(int(count), 1)]))
        rows_in_order.append(rows)
    joined = groups[0] if len(groups) == 1 else concatenate(groups, axis=-1)
    if counts[0] == 0 and joined.dtype != flat.dtype:
        # NumPy gathers the lanes' results into an array of the first lane's dtype, and
        # an all-NaN lane's result keeps the input's dtype (where a q array promotes)
        joined = astype(joined, flat.dtype)
    order = np.concatenate(rows_in_order)
    if not np.array_equal(order, np.arange(order.size)):
        joined = take(joined, np.argsort(order, kind="stable"), axis=-1)
    first = joined.shape[:-1]                  # the reduction's own axes (quantiles)
    result = reshape(joined, first + lead)
    return reshape(result, first + kept_shape) if keepdims else result


def _floating(a, name) -> bool:
    kind = array_of(a).dtype.kind
    if kind == "c":
        raise TypeError(f"{name}: a must be an array of real numbers (got "
                        f"{array_of(a).dtype})")
    return kind == "f"


def _size(a) -> int:
    return array_of(a).size


def _empty(a, axis, keepdims):
    """NumPy's result for an input with no elements: ``nanmean``'s (NaN, with its
    warning), whatever the quantiles."""
    return nanmean(a, axis=axis, keepdims=keepdims)


def _check_q(name, q):
    """``q`` checked first, as NumPy does, with errors that name ``name``."""
    if isinstance(q, Tensor) and q.requires_grad:
        raise TypeError(f"{name}: q is a Tensor that requires grad; autodiff "
                        f"differentiates {name} in the values only: pass q.detach() "
                        f"(np.{name[3:]} differentiates in q)")
    try:
        _fractions(name[3:], q)
    except (TypeError, ValueError) as error:
        raise type(error)(str(error).replace(name[3:], name)) from None


@implements(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input: bool = False, method="linear",
                keepdims: bool = False, *, weights=None, interpolation=None, dim=None,
                keepdim=None) -> Tensor:
    """``quantile`` of the values that are not NaN, as ``np.nanquantile`` (every
    ``method``; ``weights=`` with 'inverted_cdf'); NaN entries get zero gradient.  With
    PyTorch's ``dim=``, ``keepdim=`` or ``interpolation=``, ``torch.nanquantile``.

    >>> x = ad.tensor([4.0, np.nan, 1.0, 3.0, 2.0], requires_grad=True)
    >>> y = ad.nanquantile(x, 0.25)
    >>> y.backward(); y, x.grad
    (tensor(1.75, requires_grad=True), array([0.  , 0.  , 0.25, 0.  , 0.75]))
    """
    in_torch_form = torch_form_of_quantile("nanquantile", a, q, axis, method, keepdims,
                                           dim, keepdim, interpolation)
    if in_torch_form is not None:
        return in_torch_form
    refuse_arguments("nanquantile", out, None, interpolation)
    return _nan_quantile("nanquantile", quantile, a, q, axis, method, keepdims, weights)


@implements(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input: bool = False,
                  method="linear", keepdims: bool = False, *, weights=None,
                  interpolation=None) -> Tensor:
    """``percentile`` of the values that are not NaN, as ``np.nanpercentile``.

    >>> ad.nanpercentile(ad.tensor([[1.0, np.nan, 3.0], [10.0, 20.0, 30.0]]), 50, axis=1)
    tensor([ 2., 20.])
    """
    refuse_arguments("nanpercentile", out, None, interpolation)
    return _nan_quantile("nanpercentile", percentile, a, q, axis, method, keepdims, weights)


def _nan_quantile(name, of_values, a, q, axis, method, keepdims, weights=None):
    """``name`` (nanquantile, nanpercentile) through ``of_values`` (quantile,
    percentile), which NumPy calls itself for an input that cannot hold NaN."""
    _check_q(name, q)
    if not _floating(a, name):
        return of_values(a, q, axis=axis, method=method, keepdims=keepdims, weights=weights)
    if weights is not None:     # (one entry picked per quantile: NaNs as weight 0)
        from .weighted_quantiles import weighted_quantile
        return weighted_quantile(name, a, q, _fractions(name[3:], q), axis, method,
                                 keepdims, weights)
    if _size(a) == 0:
        return _empty(a, axis, keepdims)
    return _by_count(name, a, axis, keepdims,
                     lambda lanes: of_values(lanes, q, axis=-1, method=method))


@implements(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input: bool = False,
              keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """``median`` of the values that are not NaN, as ``np.nanmedian``.

    With PyTorch's ``dim=``, PyTorch's ``(values, indices)``, as ``t.nanmedian(dim=...)``.

    >>> x = ad.tensor([3.0, np.nan, 1.0, 4.0, 2.0], requires_grad=True)
    >>> y = ad.nanmedian(x)
    >>> y.backward(); y, x.grad
    (tensor(2.5, requires_grad=True), array([0.5, 0. , 0. , 0. , 0.5]))
    """
    if dim is not None:
        return torch_pair_along_dim("nanmedian", a, axis, keepdims, dim, keepdim)
    out, keepdims = keepdim_by_position("nanmedian", out, keepdims, "out")
    refuse_arguments("nanmedian", out)
    if not _floating(a, "nanmedian"):
        result = median(a, axis=axis, keepdims=keepdims)
    elif _size(a) == 0:
        result = _empty(a, axis, keepdims)
    else:
        result = _by_count("nanmedian", a, axis, keepdims,
                           lambda lanes: median(lanes, axis=-1))
    if axis is not None and result.shape[:1] == (2,):
        warn_if_unpacked_as_torch_pair("nanmedian", "x.nanmedian(dim=1) (PyTorch's lower "
                                                    "median of an even count, with its "
                                                    "indices)")
    return result
