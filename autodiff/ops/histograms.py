"""``np.histogram`` and ``np.histogram_bin_edges`` on Tensors, with the gradients
they have.

Which bin an entry falls in is a step function of its value: the counts have no
gradient (a zero one almost everywhere, as the library's ``argmax`` and
``searchsorted`` give integers).  What does depend smoothly on the values is
recorded:

* the **bin edges**: with ``bins`` an int or one of NumPy's estimator names and no
  ``range``, NumPy spaces them evenly from the smallest to the largest entry
  (``linspace(a.min(), a.max(), n + 1)``, the number of bins being a step function
  too), so their gradient goes to those two entries; with ``range`` they are spaced
  over it, and get its gradient where it holds Tensors (NumPy reads the range as the
  arrays they hold); given edges (``bins`` an array or Tensor) are used as given;
* the **weighted sums**: with ``weights``, each bin holds the sum of its entries'
  weights, whose gradient is the bin's, gathered (``np.bincount``'s rule); they are
  added as NumPy adds them, so they are NumPy's to the bit: with evenly spaced bins
  by ``np.bincount``, with given edges as differences of the running sum of the
  weights in the order that sorts the entries, block by block of NumPy's 65536;
* the **density**: ``hist / widths / hist.sum()``, through both of the above.

Entries are assigned to bins from NumPy's own edges with NumPy's rule (half-open
bins, the last one closed; entries outside the range left out), so the counts are
NumPy's exactly; the weights' dtype is the sums'.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..compile.refusals import refuse_traced_values
from ..tensor import Tensor
from .elementwise import where
from .operands import array_of, holds_tensor, tensor_of
from .registry import implements


def _outer_edges(a: Tensor, data, range_):
    """The first and last edge as NumPy's ``_get_outer_edges`` makes them: ``range``
    (constants), else the smallest and largest entry (Tensors), widened by 0.5 each
    way when they are equal."""
    from . import reduce as rd

    if range_ is not None:
        return range_[0], range_[1]
    if data.size == 0:
        return 0.0, 1.0

    first, last = rd.min(a), rd.max(a)
    # recorded, not a Python branch: a compiled replay widens by its own data
    widen = where(first == last, 0.5, 0.0).astype(np.result_type(first.dtype, 0.5))
    return first - widen, last + widen


def recorded_edges(a: Tensor, data, bins, range_, expected, numpy_edges):
    """The bin edges as a Tensor, equal to NumPy's ``expected`` edges: recorded where
    they depend on ``a`` or are given as a Tensor; else ``numpy_edges`` (a function
    and its arguments, which NumPy's edges come from), computed again at each replay
    of ``ad.compile``."""
    from .ranges import linspace

    if isinstance(bins, Tensor) and bins.ndim == 1:
        return bins
    if np.ndim(bins) == 1 or (range_ is not None and not holds_tensor(range_)):
        return Tensor(made("histogram edges", *numpy_edges))
    if range_ is None:          # NumPy's check of the values, again at each replay
        made("histogram range check", _finite_range, (a.data,), stateful=True)
    first, last = _outer_edges(a, data, range_)
    return linspace(first, last, len(expected), dtype=expected.dtype)


def _finite_range(data):
    if data.size and not (np.isfinite(data.min()) and np.isfinite(data.max())):
        raise ValueError(f"histogram: autodetected range of [{data.min()}, {data.max()}] "
                         "is not finite (as in NumPy)")
    return True


def plain_bins(bins):
    """``bins`` as NumPy takes it (given edges as an array)."""
    return bins.data if isinstance(bins, Tensor) else bins


def plain_range(range_):
    """``range`` as NumPy takes it: a pair whose Tensors are given as their arrays.

    >>> plain_range((ad.tensor(0.0), 2.0))
    (array(0.), 2.0)
    """
    if range_ is None or not holds_tensor(range_):
        return range_
    if isinstance(range_, Tensor):
        range_ = tuple(range_)
    return tuple(end.data if isinstance(end, Tensor) else end for end in range_)


def _counts(data, bins, range_):
    """NumPy's counts (computed again at each replay of ``ad.compile``)."""
    return np.histogram(data, bins, range_)[0]


def _entries_bins(data, bins, range_, part, start=0):
    """For the block of entries from ``start``, ``part`` 0: each entry's bin (clipped
    into the bins); 1: whether it is in them (computed again at each replay of
    ``ad.compile``)."""
    edges = np.histogram_bin_edges(data, bins, range_)
    return _bin_indices(data[start:start + _BLOCK], edges)[part]


#: How many entries np.histogram sums at a time (its ``BLOCK``).
_BLOCK = 65536


def _sums_over_even_bins(data, w, numpy_bins, numpy_range, counts):
    """The weights summed per bin as NumPy's even-bins path sums them: by
    ``np.bincount`` in float64, block by block, each block's sums cast to the weights'
    dtype and added."""
    hist = Tensor(made("histogram zeros", np.zeros, (len(counts), counts.dtype)))
    for start in range(0, len(data), _BLOCK):
        indices, keep = (made("histogram bins", _entries_bins,
                              (data, numpy_bins, numpy_range, part, start))
                         for part in (0, 1))
        block = w[start:start + _BLOCK]
        # entries outside the bins add a 0 (not selected by a mask: shapes stay fixed)
        block_sums = np.bincount(indices, weights=where(keep, block, 0), minlength=len(counts))
        hist = hist + (block_sums if block_sums.dtype == counts.dtype
                       else block_sums.astype(counts.dtype))
    return hist


def _sums_over_edges(data, w, numpy_bins, numpy_range, counts):
    """The weights summed per bin as NumPy sums them for given edges: in each block
    the running sum of the weights in the order that sorts the entries, read at each
    edge's place among the sorted entries, accumulated, then differenced."""
    from .cumulative import cumsum, diff
    from .shape import concatenate

    running = Tensor(made("histogram zeros", np.zeros, (len(counts) + 1, counts.dtype)))
    for start in range(0, len(data), _BLOCK):
        order, places = (made("histogram sorted entries", _sorted_entries,
                              (data, numpy_bins, start, part)) for part in (0, 1))
        sorted_sums = cumsum(w[start:start + _BLOCK][order])
        zero = made("histogram zeros", np.zeros, (1, counts.dtype))
        with_zero = concatenate([zero, sorted_sums])
        running = running + with_zero[places]
    return diff(running)


def _sorted_entries(data, edges, start, part):
    """For the block of entries from ``start``: ``part`` 0, the order that sorts them
    (NumPy's argsort); 1, each edge's place among them, the last edge's inclusive
    (computed again at each replay of ``ad.compile``)."""
    block = data[start:start + _BLOCK]
    order = np.argsort(block)
    if part == 0:
        return order
    ordered = block[order]
    return np.concatenate((ordered.searchsorted(edges[:-1], "left"),
                           ordered.searchsorted(edges[-1:], "right")))


def _bin_indices(data, edges):
    """Each entry's bin by NumPy's rule, and which entries fall in the range."""
    n_bins = len(edges) - 1
    keep = (data >= edges[0]) & (data <= edges[-1])
    indices = np.searchsorted(edges, data, side="right") - 1
    indices[data == edges[-1]] = n_bins - 1             # the last bin is closed
    return np.clip(indices, 0, max(n_bins - 1, 0)), keep


@implements(np.histogram_bin_edges)
def histogram_bin_edges(a, bins=10, range=None, weights=None) -> Tensor:
    """``np.histogram_bin_edges``: NumPy's edges, recorded from the smallest and
    largest entry when they are spaced over the data (see the module).

    >>> a = ad.tensor([1.0, 2.0, 5.0], requires_grad=True)
    >>> edges = np.histogram_bin_edges(a, bins=2)
    >>> edges.sum().backward(); edges, a.grad
    (tensor([1., 3., 5.], requires_grad=True), array([1.5, 0. , 1.5]))
    """
    a = tensor_of(a)
    _refuse_estimated_bins("histogram_bin_edges", a, bins)
    flat = a.reshape(-1)
    data = flat.data
    expected = np.histogram_bin_edges(data, plain_bins(bins), plain_range(range),
                                      _weights_data(weights, data))     # NumPy's checks
    return recorded_edges(flat, data, bins, range, expected,
                          (np.histogram_bin_edges, (data, plain_bins(bins), plain_range(range))))


def _refuse_estimated_bins(name, a, bins):
    """Refuse, in a compiled trace, NumPy's estimators of the number of bins: it
    depends on the values (on their spread, and is 1 when they are all equal)."""
    if isinstance(bins, str):
        refuse_traced_values(
            a, name, f"bins={bins!r} estimates how many bins there are from the values "
            "(their spread; one bin when they are all equal)", "Pass the number of bins, "
            "or compute the edges outside the compiled function and pass them as bins")


def _weights_data(weights, data):
    if weights is None:
        return None
    values = array_of(weights)
    if np.shape(values) != np.shape(data) and np.size(values) == data.size:
        values = np.reshape(values, -1)
    return values


@implements(np.histogram)
def histogram(a, bins=10, range=None, density=None, weights=None) -> tuple[Tensor, Tensor]:
    """``np.histogram``: ``(hist, bin_edges)``, with the gradients of the weights, of
    the edges and of the density (see the module); the counts themselves have none.

    >>> a = ad.tensor([0.0, 1.0, 1.5, 4.0])
    >>> w = ad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    >>> hist, edges = np.histogram(a, bins=2, weights=w)
    >>> (hist * ad.tensor([1.0, 10.0])).sum().backward(); hist, w.grad
    (tensor([6., 4.], requires_grad=True), array([ 1.,  1.,  1., 10.]))
    """
    a = tensor_of(a)
    if a.dtype.kind == "c":
        raise TypeError(f"histogram: complex values (a of dtype {a.dtype}) are not "
                        "supported; pass their real parts")
    if weights is not None and array_of(weights).dtype.kind == "c":
        raise TypeError(f"histogram: complex weights (of dtype {array_of(weights).dtype}) "
                        "are not supported; weigh by the parts apart: "
                        "np.histogram(a, bins, weights=w.real)[0] + 1j * "
                        "np.histogram(a, bins, weights=w.imag)[0]")
    _refuse_estimated_bins("histogram", a, bins)
    flat = a.reshape(-1)
    data = flat.data
    weights_data = _weights_data(weights, data)
    # NumPy's checks, counts (or its weighted sums, recomputed below on the tape) and edges
    numpy_bins, numpy_range = plain_bins(bins), plain_range(range)
    counts, expected_edges = np.histogram(data, numpy_bins, numpy_range, None, weights_data)
    edges = recorded_edges(flat, data, bins, range, expected_edges,
                           (np.histogram_bin_edges, (data, numpy_bins, numpy_range)))
    # (from the values: ad.compile computes them again at each replay)
    if weights is None:
        hist = Tensor(made("histogram counts", _counts, (data, numpy_bins, numpy_range)))
    else:
        w = tensor_of(weights).reshape(-1)
        sums = _sums_over_edges if np.ndim(numpy_bins) == 1 else _sums_over_even_bins
        hist = sums(data, w, numpy_bins, numpy_range, counts)
    if density:                     # NumPy's n / widths / n.sum(), in float64
        from .cumulative import diff
        widths = diff(edges)
        widths = widths.astype(np.float64) if widths.dtype != np.float64 else widths
        hist = hist / widths / hist.sum()
    return hist, edges
