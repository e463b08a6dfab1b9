"""``np.histogramdd`` and ``np.histogram2d`` on Tensors, with the gradients
``np.histogram`` has (autodiff/ops/histograms.py), dimension by dimension:

* the **counts** have none (which bin a point falls in is a step function);
* each dimension's **edges**, spaced over the data (``bins`` an int, no ``range`` for
  that dimension), are recorded from that coordinate's smallest and largest entry;
  with a ``range`` they are constants, and given edges (a Tensor) are used as given;
* the **weighted sums** are recorded through the weights (``np.bincount``'s rule);
* the **density** (``hist / width_0 / ... / hist.sum()``, in NumPy's order) through
  both.

NumPy computes the counts, the edges and every check first; points are then assigned
to bins by NumPy's rule and the weighted sums added in the same float64
``bincount``, so values and dtypes are NumPy's exactly (``hist`` is float64, as
NumPy's always is).  ``range`` is taken as constants: a Tensor that requires grad
there is refused rather than left without a gradient.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..graph import is_grad_enabled
from ..tensor import Tensor
from .histograms import plain_bins, recorded_edges
from .numpy_dispatch import implements
from .operands import holds_tensor, tensor_of


def _data(value):
    return value.data if isinstance(value, Tensor) else value


def _plain_sample(sample):
    if isinstance(sample, (list, tuple)):
        return [_data(column) for column in sample]
    return _data(sample)


def _plain_bins_per_dim(bins):
    if isinstance(bins, (list, tuple)):
        return [plain_bins(b) for b in bins]
    return plain_bins(bins)


def _plain_range(name, range_):
    """``range`` with Tensors as their values; one that requires grad is refused."""
    if range_ is None:
        return None
    plain = []
    for bounds in range_:
        if bounds is None:
            plain.append(None)
            continue
        for bound in bounds:
            if isinstance(bound, Tensor) and bound.requires_grad and is_grad_enabled():
                raise TypeError(
                    f"{name}: range is taken as constants, and a Tensor that requires grad "
                    f"(shape {bound.shape}, dtype {bound.dtype}) was given in it, which would "
                    "silently get no gradient. Pass numbers or t.detach(), or give the "
                    "edges as bins (a Tensor such as ad.linspace(lo, hi, n + 1)) to "
                    "differentiate through them.")
        plain.append(tuple(_data(bound) for bound in bounds))
    return plain


def _refuse_complex(name, sample, weights):
    values = list(sample) if isinstance(sample, (list, tuple)) else [sample]
    for label, items in (("sample", values), ("weights", [weights])):
        for item in items:
            if item is not None and np.asarray(_data(item)).dtype.kind == "c":
                raise TypeError(f"{name}: complex values ({label} of dtype "
                                f"{np.asarray(_data(item)).dtype}) are not supported; pass "
                                "their real parts")


def _points(sample) -> Tensor:
    """The sample as NumPy reads it: an ``(N, D)`` array, or a sequence of ``D``
    coordinates (``atleast_2d(sample).T``)."""
    from .join import atleast_2d
    from .shape import array

    if isinstance(sample, (Tensor, np.ndarray)) and sample.ndim == 2:
        return tensor_of(sample)
    return atleast_2d(array(sample)).T


def _counts(sample, bins, range_):
    """NumPy's counts."""
    return np.histogramdd(sample, bins, range_)[0]


def _constant_edges(dtype, dims, bins, range_, dim):
    """NumPy's edges along ``dim`` where they do not depend on the values (given as an
    array, or spaced over a given range): found on an empty sample of ``dtype``."""
    return np.histogramdd(np.empty((0, dims), dtype), bins, range_)[1][dim]


def _flat_bins_of(sample, points, bins, range_):
    """Each point's bin in the histogram with an outlier bin at each end of every
    dimension, flattened, by NumPy's rule (the last edge belongs to the last bin), on
    NumPy's edges for ``sample``."""
    edges = np.histogramdd(sample, bins, range_)[1]
    n_bins = [len(e) + 1 for e in edges]
    counts = tuple(np.searchsorted(e, points[:, i], side="right") for i, e in enumerate(edges))
    for i, e in enumerate(edges):
        counts[i][points[:, i] == e[-1]] -= 1
    return np.ravel_multi_index(counts, n_bins)


def _histogramdd(name, sample, bins, range_, density, weights):
    if isinstance(weights, (list, tuple)) and holds_tensor(weights):
        from .shape import array
        weights = array(weights)                # recorded, not dropped by np.asarray
    _refuse_complex(name, sample, weights)
    plain_range = _plain_range(name, range_)
    # NumPy's checks, counts (weighted sums: recomputed below on the tape) and edges
    _, expected = np.histogramdd(_plain_sample(sample), _plain_bins_per_dim(bins),
                                 plain_range, None, _data(weights))
    points = _points(sample)
    dims = len(expected)
    try:
        len(bins)
    except TypeError:
        bins = [bins] * dims
    ranges = plain_range if plain_range is not None else [None] * dims
    numpy_bins = _plain_bins_per_dim(bins)
    edges = [recorded_edges(points[:, i], points.data[:, i], bins[i], ranges[i], expected[i],
                            (_constant_edges, (expected[i].dtype, dims, numpy_bins,
                                               plain_range, i)))
             for i in range(dims)]
    # (from the values: ad.compile computes them again at each replay)
    if weights is not None:     # (constant weights too: the sums, not the counts)
        weights = tensor_of(weights)
        from .signal import bincount
        n_bins = [len(e) + 1 for e in expected]
        flat = made(f"{name} bins", _flat_bins_of,
                    (_plain_sample(sample), points.data, numpy_bins, plain_range))
        hist = bincount(flat, weights=weights, minlength=int(np.prod(n_bins)))
        hist = hist.reshape(n_bins)[(slice(1, -1),) * dims]
        if hist.dtype != np.float64:            # (no weights at all: integer zeros)
            hist = hist.astype(np.float64)
    else:
        hist = Tensor(made(f"{name} counts", _counts,
                           (_plain_sample(sample), numpy_bins, plain_range)))
    if density:
        from .cumulative import diff
        total = hist.sum()
        for i in range(dims):
            shape = [1] * dims
            shape[i] = len(expected[i]) - 1
            hist = hist / diff(edges[i]).reshape(shape)
        hist = hist / total
    return hist, edges


@implements(np.histogramdd)
def histogramdd(sample, bins=10, range=None, density=None, weights=None):
    """``np.histogramdd``: ``(hist, edges)``, ``edges`` a list of Tensors, with the
    gradients of the weights, the edges and the density (see the module).

    >>> points = ad.tensor([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    >>> hist, (x_edges, y_edges) = np.histogramdd(points, bins=2)
    >>> y_edges.sum().backward(); hist, y_edges, points.grad
    (tensor([[1., 0.],
            [0., 2.]]), tensor([0., 2., 4.], requires_grad=True), array([[0. , 1.5],
           [0. , 0. ],
           [0. , 1.5]]))
    """
    return _histogramdd("histogramdd", sample, bins, range, density, weights)


@implements(np.histogram2d)
def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    """``np.histogram2d``: ``(hist, x_edges, y_edges)``, with the gradients of
    ``np.histogramdd``.

    >>> x = ad.tensor([0.0, 1.0, 3.0])
    >>> w = ad.tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> hist, _, _ = np.histogram2d(x, [0.0, 1.0, 1.0], bins=2, weights=w)
    >>> hist[1].sum().backward(); hist, w.grad
    (tensor([[1., 2.],
            [0., 4.]], requires_grad=True), array([0., 0., 1.]))
    """
    if len(x) != len(y):
        raise ValueError("x and y must have the same length.")      # (NumPy's message)
    try:
        n = len(bins)
    except TypeError:
        n = 1
    if n not in (1, 2):         # one array of edges for both
        bins = [bins, bins]
    hist, edges = _histogramdd("histogram2d", [x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]
