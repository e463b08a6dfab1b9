"""PyTorch's Tensor methods for order statistics and counting: ``median``,
``nanmedian``, ``kthvalue``, ``mode`` (each ``(values, indices)`` along a dim),
``quantile``, ``nanquantile``, ``nanmean``, ``nansum``, ``unique``,
``unique_consecutive`` and ``histc``.

PyTorch's ``median`` is the lower of the two middle values (NumPy's ``np.median``
averages them).  Along a dim the values are taken from the tensor at the indices
chosen (``take_along_axis``), so their gradient goes to those entries, as PyTorch's;
``median()`` of all entries shares it among the entries equal to the median, as
PyTorch's does.  Among equal values PyTorch leaves unspecified which index it returns;
here it is the first one in the lane (``mode``: the last one, as PyTorch's CPU code
gives).  ``unique``, ``unique_consecutive`` and ``histc`` have no gradient.
"""

from __future__ import annotations

import numpy as np

from .selections import _axis
from .spellings import ValuesIndices


def _ad():
    import importlib
    return importlib.import_module(__package__)


def _t(value):
    from .ops.operands import tensor_of
    return tensor_of(value)


def _picked(x, indices, axis, keepdim):
    """``ValuesIndices`` of the entries of ``x`` at ``indices`` (one per lane along
    ``axis``, with a size-1 ``axis``)."""
    from .ops.ordering import take_along_axis
    values = take_along_axis(x, indices, axis=axis)
    if not keepdim:
        values, indices = values.squeeze(axis), np.squeeze(indices, axis)
    return ValuesIndices(values, _t(indices if indices.dtype == np.int64
                                    else indices.astype(np.int64)))


def _shared(x, value):
    """``value`` (an entry of ``x``) with its gradient shared evenly among the entries
    equal to it, as PyTorch's ``median()`` without a dim gives it (NaN keeps it on the
    one entry; equal infinities give their mean, which is exact).  Which entries are
    equal is read from the values through ``hooks.made``, and every case is computed
    and chosen with ``where``, so that ``ad.compile`` follows each call's values."""
    from .compile.hooks import made
    from .ops.elementwise import stop_gradient, where
    if not x.requires_grad:
        return value
    data, v = x.data, value.data
    finite_ties = made("median ties", _ties, (data, v, "finite"))
    infinite_ties = made("median infinite ties", _ties, (data, v, "infinite"))
    count = made("median tie count", _tie_count, (data, v))
    share = where(finite_ties, x, 0.0).sum() / count
    finite = stop_gradient(value) + (share - stop_gradient(share))
    infinite = where(infinite_ties, x, 0.0).sum() / count
    is_nan = made("median is NaN", np.isnan, (v,))
    is_infinite = made("median is infinite", np.isinf, (v,))
    return where(is_nan, value, where(is_infinite, infinite, finite))


def _ties(data, v, kind):
    """The entries equal to ``v`` when it is finite (``kind`` "finite") or infinite."""
    finite = np.isfinite(v)
    return (data == v) & (finite if kind == "finite" else np.isinf(v))


def _tie_count(data, v):
    """How many entries equal ``v`` (at least 1), in ``data``'s dtype."""
    return np.asarray(max(np.count_nonzero(data == v), 1), dtype=data.dtype)


def _mode_indices(data, axis):
    """The index of the last occurrence of each lane's mode (the smallest of equally
    frequent values) along ``axis``, which is kept (size 1)."""
    lanes = np.moveaxis(data, axis, -1)
    flat = lanes.reshape(-1, lanes.shape[-1])
    chosen = np.empty(flat.shape[0], dtype=np.int64)
    for r, lane in enumerate(flat):
        values, counts = np.unique(lane, return_counts=True)
        value = values[np.argmax(counts)]           # (the first: the smallest)
        same = (lane == value) | (np.isnan(lane) & np.isnan(value)
                                  if lane.dtype.kind == "f" else False)
        chosen[r] = lane.size - 1 - np.argmax(same[::-1])
    return np.moveaxis(chosen.reshape(lanes.shape[:-1] + (1,)), -1, axis)


def _histc_counts(data, bins, low, high):
    """``histc``'s counts of the entries of ``data`` (``[low, high]`` the data's range
    when they are equal, as both are by default), in ``data``'s dtype."""
    data = data.reshape(-1)
    if low == high and data.size:       # PyTorch: min == max (not only 0, 0) means the data
        low, high = float(data.min()), float(data.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"histc: the range [{low}, {high}] is not finite (the data has "
                         "inf or NaN); pass min= and max=")
    if low == high:
        low, high = low - 1, high + 1
    # PyTorch's bin of x: floor((x - min) * bins / (max - min)) in the data's dtype, the
    # last bin closed (np.histogram moves a value on a rounded linspace edge one bin down)
    low, high = data.dtype.type(low), data.dtype.type(high)
    inside = data[(data >= low) & (data <= high)]
    with np.errstate(over="ignore", invalid="ignore"):
        position = ((inside - low) * data.dtype.type(bins) / (high - low)).astype(np.int64)
    counts = np.bincount(np.minimum(position, bins - 1), minlength=bins)
    return counts.astype(data.dtype)


def _lane_setup(where: str, x, dim):
    """``(x, axis)`` for a reduction along ``dim`` (a 0-d tensor as one lane)."""
    if x.ndim == 0:
        _axis(where, dim, 0)
        return x.reshape(1), 0
    axis = _axis(where, dim, x.ndim)
    if x.shape[axis] == 0:
        raise ValueError(f"{where}: dim {dim} of the tensor (shape {x.shape}) is empty, and "
                         f"an empty lane has no {where}")
    return x, axis


def _position(order, k, axis):
    """The ``k``-th entries of ``order`` along ``axis``, keeping it (a slice: no new
    constant for ad.compile to refuse)."""
    return order[(slice(None),) * axis + (slice(k, k + 1),)]


def _median(where, x, dim, keepdim, skip_nan):
    # The sort and the picks go through NumPy's dispatch on the tensor, so that a step
    # compiled with ad.compile computes them again at each replay.
    one_d = x.ndim == 0
    x, axis = _lane_setup(where, x, dim)
    n = x.shape[axis]
    order = np.argsort(x, axis=axis, kind="stable")             # NaN last
    if x.dtype.kind != "f":
        indices = _position(order, (n - 1) // 2, axis)
    elif skip_nan:
        missing = (x != x).sum(axis=axis, keepdims=True)           # NaN
        position = _ad().maximum((n - 1 - missing) // 2, 0)
        indices = np.take_along_axis(order, position, axis=axis)
    else:
        indices = _position(order, (n - 1) // 2, axis)
        nan = x != x
        has_nan = nan.sum(axis=axis, keepdims=True) > 0
        indices = _ad().where(has_nan, np.argmax(nan, axis=axis, keepdims=True), indices)
    result = _picked(x, indices, axis, keepdim or one_d)
    if one_d:
        return ValuesIndices(result.values.reshape(()), result.indices.reshape(()))
    return result


class TorchStatsMethods:
    """Order statistics and counting under PyTorch's names (mixed into ``Tensor``)."""

    __slots__ = ()

    def median(self, dim=None, keepdim=False):
        """PyTorch's ``median``: the lower of the two middle values (NaN if the lane
        has one).  Without ``dim``, of all entries (a 0-d tensor; the gradient shared
        evenly among the entries equal to it); with ``dim``, ``(values, indices)`` (the
        gradient to the entry at the index), as PyTorch's gradients.

        >>> ad.tensor([4.0, 1.0, 3.0, 2.0]).median()
        tensor(2.)
        >>> ad.tensor([[4.0, 1.0, 3.0]]).median(dim=1)
        ValuesIndices(values=tensor([3.]), indices=tensor([2]))
        """
        if dim is None:
            return _shared(self, _median("median", self.reshape(-1), 0, False, False).values)
        return _median("median", self, dim, keepdim, False)

    def nanmedian(self, dim=None, keepdim=False):
        """``median`` of the entries that are not NaN (NaN for a lane of NaNs).

        >>> ad.tensor([4.0, np.nan, 1.0, 3.0]).nanmedian()
        tensor(3.)
        """
        if dim is None:
            return _shared(self, _median("nanmedian", self.reshape(-1), 0, False, True).values)
        return _median("nanmedian", self, dim, keepdim, True)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
        """The ``k``-th smallest entry (``k`` from 1) along ``dim`` and its index, as
        PyTorch's ``kthvalue`` (NaN counts as the largest).  Among equal entries the
        index is the one a stable sort puts ``k``-th; PyTorch's index among ties follows
        its selection algorithm, which its docs leave unspecified (the values agree).

        >>> ad.tensor([3.0, 1.0, 2.0]).kthvalue(2)
        ValuesIndices(values=tensor(2.), indices=tensor(2))
        """
        one_d = self.ndim == 0
        x, axis = _lane_setup("kthvalue", self, dim)
        n = x.shape[axis]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
            raise ValueError(f"kthvalue: k={k!r} is out of range for dim {dim} of size {n} "
                             f"(shape {self.shape}); use 1 <= k <= {n}")
        order = np.argsort(x, axis=axis, kind="stable")     # (dispatched: see _median)
        indices = _position(order, int(k) - 1, axis)
        result = _picked(x, indices, axis, keepdim or one_d)
        if one_d:
            return ValuesIndices(result.values.reshape(()), result.indices.reshape(()))
        return result

    def mode(self, dim: int = -1, keepdim: bool = False):
        """The most frequent value along ``dim`` (the smallest of equally frequent ones)
        and the index of its last occurrence, as PyTorch's ``mode``.

        >>> ad.tensor([1.0, 2.0, 2.0, 1.0, 3.0]).mode()
        ValuesIndices(values=tensor(1.), indices=tensor(3))
        """
        from .compile.hooks import made     # computed again at each replay of ad.compile
        one_d = self.ndim == 0
        x, axis = _lane_setup("mode", self, dim)
        indices = _t(made("mode indices", _mode_indices, (x.data, axis)))
        result = _picked(x, indices, axis, keepdim or one_d)
        if one_d:
            return ValuesIndices(result.values.reshape(()), result.indices.reshape(()))
        return result

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The ``q``-th quantiles (``q`` a number or a 1-D tensor in [0, 1]) over ``dim``
        (all entries when None), as PyTorch's ``quantile``; ``interpolation`` is one of
        ``'linear' 'lower' 'higher' 'midpoint' 'nearest'``.

        >>> ad.tensor([1.0, 2.0, 3.0, 4.0]).quantile(0.5)
        tensor(2.5)
        """
        return self._quantile("quantile", q, dim, keepdim, interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """``quantile`` of the entries that are not NaN.

        >>> ad.tensor([1.0, np.nan, 3.0]).nanquantile(0.5)
        tensor(2.)
        """
        return self._quantile("nanquantile", q, dim, keepdim, interpolation)

    def _quantile(self, where, q, dim, keepdim, interpolation):
        from .ops.nan_quantiles import nanquantile
        from .ops.quantiles import quantile
        from .tensor import Tensor
        if self.dtype.kind != "f":
            raise TypeError(f"{where}: needs a floating-point tensor, got {self.dtype}")
        if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
            raise ValueError(f"{where}: interpolation must be 'linear', 'lower', 'higher', "
                             f"'midpoint' or 'nearest', got {interpolation!r}")
        given, q = q, np.asarray(getattr(q, "data", q))
        if q.ndim > 1 or np.any((q < 0) | (q > 1)):
            raise ValueError(f"{where}: q must be a number or a 1-D tensor of values in "
                             f"[0, 1], got shape {q.shape}")
        if dim is not None:
            dim = _axis(where, dim, self.ndim)
        if self.size == 0:
            raise ValueError(f"{where}: the tensor (shape {self.shape}) is empty")
        function = quantile if where == "quantile" else nanquantile
        fractions = q.astype(self.dtype)
        if isinstance(given, Tensor) and given.requires_grad:   # (a gradient in q too)
            fractions = given.astype(self.dtype)
        return function(self, fractions, axis=dim, keepdims=keepdim, method=interpolation)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """The mean of the entries that are not NaN, over ``dim`` (``ad.nanmean``).

        >>> ad.tensor([1.0, np.nan, 3.0]).nanmean()
        tensor(2.)
        """
        from .ops.nan_reductions import nanmean
        x = self if dtype is None else self.astype(dtype)
        return nanmean(x, axis=_dims(dim),
                       keepdims=keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum with NaN counted as 0, over ``dim`` (``ad.nansum``).

        >>> ad.tensor([1.0, np.nan, 3.0]).nansum()
        tensor(4.)
        """
        from .ops.nan_reductions import nansum
        from .torch_elementwise_methods import signed_sum_operand
        x = signed_sum_operand(self) if dtype is None else self.astype(dtype)
        return nansum(x, axis=_dims(dim),
                      keepdims=keepdim)

    # ----- counting (no gradient) --------------------------------------------------------
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (or slices along ``dim``), sorted, as PyTorch's
        ``unique``; with ``return_inverse`` / ``return_counts`` a tuple adds where each
        entry went (the input's shape; along ``dim``, one per slice) and how often each
        occurs.  No gradient.  ``sorted=False`` gives them sorted too (PyTorch's CPU
        result).  Each NaN is a value of its own (NaN != NaN), as in PyTorch, where
        NumPy's ``np.unique`` (and ``ad.unique``) keeps one NaN.

        >>> ad.tensor([3, 1, 3]).unique(return_counts=True)
        (tensor([1, 3]), tensor([1, 2]))
        """
        _refuse_distinct(self, "unique")
        axis = None if dim is None else _axis("unique", dim, self.ndim)
        # (rows with NaN differ already; a 1-D dim=0 is the flat case, NaNs merged)
        values, inverse, counts = np.unique(self.data, return_inverse=True,
                                            return_counts=True, axis=axis, equal_nan=False)
        inverse = inverse.reshape(self.shape if axis is None else -1).astype(np.int64)
        return _with_extras(values, inverse, counts, return_inverse, return_counts)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """Each run of equal consecutive values (or slices along ``dim``) kept once, as
        PyTorch's ``unique_consecutive``; the extras as in ``unique``.  No gradient.

        >>> ad.tensor([1, 1, 2, 2, 1]).unique_consecutive()
        tensor([1, 2, 1])
        """
        _refuse_distinct(self, "unique_consecutive")
        data = self.data
        if dim is None:
            lanes = data.reshape(-1, 1)
        else:
            axis = _axis("unique_consecutive", dim, data.ndim)
            lanes = np.moveaxis(data, axis, 0).reshape(data.shape[axis], -1)
        if lanes.shape[0] == 0:
            starts = np.zeros(0, dtype=bool)
        else:
            starts = np.concatenate([[True], np.any(lanes[1:] != lanes[:-1], axis=1)])
        run = np.cumsum(starts) - 1
        counts = np.diff(np.append(np.flatnonzero(starts), lanes.shape[0]))
        if dim is None:
            values, inverse = data.reshape(-1)[starts], run.reshape(data.shape)
        else:
            values, inverse = np.compress(starts, data, axis=axis), run
        return _with_extras(values, inverse.astype(np.int64), counts, return_inverse,
                            return_counts)

    def histc(self, bins=100, min=0, max=0):
        """A histogram of ``bins`` equal bins over ``[min, max]`` (the data's range when
        they are equal, as both 0 by default; widened by 1 each side when that range is
        one value); entries outside are left out; PyTorch's bin for each entry.  A tensor
        of this dtype, no gradient, as PyTorch's ``histc``.

        >>> ad.tensor([1.0, 2.0, 1.0]).histc(bins=4)
        tensor([2., 0., 0., 1.])
        """
        if self.dtype.kind != "f":
            raise TypeError(f"histc: needs a floating-point tensor, got {self.dtype}")
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins <= 0:
            raise ValueError(f"histc: bins must be a positive int, got {bins!r}")
        low, high = float(min), float(max)
        if low > high:
            raise ValueError(f"histc: min={min} is larger than max={max}")
        from .compile.hooks import made     # computed again at each replay of ad.compile
        return _t(made("histc", _histc_counts, (self.data, int(bins), low, high)))


def _refuse_distinct(x, name):
    from .compile.refusals import refuse_traced_values
    refuse_traced_values(x, name, "how many distinct values there are (the length of its "
                         "result) depends on the values", f"Call {name} outside the "
                         "compiled function and pass its result in as an argument")


def _with_extras(values, inverse, counts, return_inverse, return_counts):
    out = [_t(values)]
    if return_inverse:
        out.append(_t(inverse))
    if return_counts:
        out.append(_t(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _dims(dim):
    """NumPy's axis for PyTorch's ``dim``: ``dim=()`` is every dim, as PyTorch's."""
    from .torch_math_methods import _all_dims
    return _all_dims(dim)
