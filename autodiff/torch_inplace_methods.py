"""PyTorch's indexed updates (``index_add``, ``index_fill``, ``index_copy``,
``index_put``, ``masked_scatter``, ``scatter_reduce``, each also in place with a
trailing ``_``), ``masked_fill_``, ``scatter_add_``, ``fill_diagonal_``, ``put_``,
``detach_``, ``t_``, and the random fills ``uniform_ normal_ bernoulli_
exponential_ random_``.

Each computes its result with recorded ops and, in place, writes it with
``inplace.fill`` (the rules of ``add_``: recorded in grad mode, written into the array
otherwise, refused on a leaf that requires grad in grad mode).  Where PyTorch leaves
the result undefined (``index_copy``, ``index_put`` and ``put_`` writing one position
twice) it is refused.  The random fills draw from ``rng=`` (a seed or a Generator),
or from the library's generator, which ``ad.manual_seed`` seeds; the old values get
no gradient, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .selections import _axis, _in_range, _index


def _t(value):
    from .ops.operands import tensor_of
    return tensor_of(value)


def _fill(t, compute, where: str):
    """``t`` given the value ``compute(t)`` in place (``inplace.fill``), read after a
    hooked view's node was bypassed (``inplace.bypass_hooked_views``)."""
    from .inplace import bypass_hooked_views, fill
    bypass_hooked_views(t)
    return fill(t, compute(t), where)


def _same_dtype(where: str, t, source):
    if source.dtype != t.dtype:
        raise TypeError(f"{where}: the source has dtype {source.dtype} but the tensor has "
                        f"{t.dtype}; they must match (source.astype(t.dtype))")


def _dim_key(where: str, t, dim, index):
    """``(axis, index array, key)``: the 1-D ``index`` along ``dim`` as an indexing key."""
    from .compile.hooks import made     # (computed again at each replay of ad.compile)
    index = _index(where, index)
    if index.ndim > 1:
        raise ValueError(f"{where}: the index must be 1-D, got shape {index.shape}")
    x_ndim = max(t.ndim, 1)
    axis = _axis(where, dim, x_ndim)
    n = t.shape[axis] if t.ndim else 1
    _in_range(where, index, n, axis)
    if index.ndim == 0:     # (a 1-D index stays the caller's array: ad.compile follows it)
        index = made(f"{where} index", np.reshape, (index, (1,)))
    return axis, index, (slice(None),) * axis + (index,)


def _check_source(where, t, axis, index, source):
    expected = t.shape[:axis] + (index.size,) + t.shape[axis + 1:] if t.ndim else (index.size,)
    if source.shape != expected and not (t.ndim == 0 and source.size == index.size):
        raise ValueError(f"{where}: the source has shape {source.shape}, but a tensor of "
                         f"shape {t.shape} with {index.size} indices along dim {axis} needs "
                         f"{expected}")


def _refuse_repeats(where: str, key: tuple, shape: tuple):
    """Refuse index arrays ``key`` (into ``shape``, negative ones counting from the end)
    that write some position twice; ``ad.compile`` checks each replay's again."""
    from .compile.hooks import made
    made(f"{where} repeat check", _check_distinct, (where, key, shape), stateful=True)


def _check_distinct(where, key, shape):
    for axis, (k, n) in enumerate(zip(key, shape)):
        outside = (k < -n) | (k >= n)       # (eager's indexing refuses it first; a replay here)
        if outside.any():
            raise IndexError(f"{where}: index {np.asarray(k)[outside].flat[0]} is out of "
                             f"bounds for axis {axis} with size {n} (tensor shape {shape})")
    wrapped = [np.where(k < 0, k + n, k) for k, n in zip(key, shape)]
    positions = np.ravel_multi_index(np.broadcast_arrays(*wrapped), shape[:len(key)])
    if np.unique(positions).size != positions.size:
        raise ValueError(f"{where}: the indices write some position more than once; PyTorch "
                         "leaves which value lands there undefined, so it is refused. Use "
                         "distinct indices, or accumulate=True / index_add to add them up")
    return True


def _mask_at(flat_shape, shape, *key):
    """True at ``key`` in an array of ``flat_shape``, given ``shape``."""
    mask = np.zeros(flat_shape, dtype=bool)
    mask[key] = True
    return mask.reshape(shape)


def _flat(t):
    return t.reshape(1) if t.ndim == 0 else t


class TorchInplaceMethods:
    """Indexed updates, in-place methods and random fills under PyTorch's names
    (mixed into ``Tensor``)."""

    __slots__ = ()

    # ----- index_* ----------------------------------------------------------------------
    def index_add(self, dim: int, index, source, *, alpha=1):
        """A copy with ``alpha * source`` added at ``index`` along ``dim`` (repeated
        indices accumulate), as PyTorch's ``index_add``.

        >>> ad.zeros(3).index_add(0, np.array([0, 0, 2]), ad.tensor([1.0, 2.0, 3.0]))
        tensor([3., 0., 3.])
        """
        from .ops.indexing import index_add
        axis, index, key = _dim_key("index_add", self, dim, index)
        source = _t(source)
        _same_dtype("index_add", self, source)
        _check_source("index_add", self, axis, index, source)
        x = _flat(self)
        scaled = source.reshape(x[key].shape) if alpha == 1 else \
            source.reshape(x[key].shape) * alpha
        return (x + index_add(scaled, x.shape, key)).reshape(self.shape)

    def index_add_(self, dim: int, index, source, *, alpha=1):
        """``index_add`` in place; returns self.

        >>> t = ad.zeros(2); t.index_add_(0, np.array([1]), ad.tensor([5.0]))
        tensor([0., 5.])
        """
        return _fill(self, lambda t: t.index_add(dim, index, source, alpha=alpha), "index_add_")

    def index_fill(self, dim: int, index, value):
        """A copy with ``value`` (a number or a 0-d tensor) at ``index`` along ``dim``.

        >>> ad.zeros((2, 2)).index_fill(1, np.array([0]), 7.0)
        tensor([[7., 0.],
                [7., 0.]])
        """
        _, _, key = _dim_key("index_fill", self, dim, index)
        if np.ndim(getattr(value, "data", value)) != 0:
            raise ValueError(f"index_fill: value must be a number or a 0-d tensor, got shape "
                             f"{np.shape(getattr(value, 'data', value))}")
        from .compile.hooks import made
        mask = made("index_fill mask", _mask_at, (_flat(self).shape, self.shape) + key)
        return self.masked_fill(mask, value)

    def index_fill_(self, dim: int, index, value):
        """``index_fill`` in place; returns self.

        >>> t = ad.zeros(2); t.index_fill_(0, np.array([0]), 1.0)
        tensor([1., 0.])
        """
        return _fill(self, lambda t: t.index_fill(dim, index, value), "index_fill_")

    def index_copy(self, dim: int, index, source):
        """A copy with the slices of ``source`` written at ``index`` along ``dim``
        (an index repeated is refused: PyTorch leaves the result undefined).

        >>> ad.zeros(3).index_copy(0, np.array([2, 0]), ad.tensor([1.0, 2.0]))
        tensor([2., 0., 1.])
        """
        from .ops.indexing import setitem
        axis, index, key = _dim_key("index_copy", self, dim, index)
        source = _t(source)
        _same_dtype("index_copy", self, source)
        _check_source("index_copy", self, axis, index, source)
        _refuse_repeats("index_copy", (index.reshape(-1) if index.ndim == 0 else index,),
                        (self.shape[axis] if self.ndim else 1,))
        x = _flat(self)
        return setitem(x, source.reshape(x[key].shape), key).reshape(self.shape)

    def index_copy_(self, dim: int, index, source):
        """``index_copy`` in place; returns self.

        >>> t = ad.zeros(2); t.index_copy_(0, np.array([1]), ad.tensor([3.0]))
        tensor([0., 3.])
        """
        return _fill(self, lambda t: t.index_copy(dim, index, source), "index_copy_")

    def index_put(self, indices, values, accumulate=False):
        """A copy with ``values`` at ``self[indices]`` (``indices`` a tuple of integer or
        bool index tensors); ``accumulate=True`` adds them (repeats accumulate), else a
        position written twice is refused.

        >>> ad.zeros(3).index_put((np.array([0, 0]),), ad.tensor(1.0), accumulate=True)
        tensor([2., 0., 0.])
        """
        from .ops.indexing import index_add, setitem
        if not isinstance(indices, (tuple, list)):
            raise TypeError(f"index_put: indices must be a tuple of index tensors, got "
                            f"{type(indices).__name__}")
        key = []
        for part in indices:
            if isinstance(part, list):
                part = _t(part)         # (numbers: a constant to ad.compile, as t[[0, 1]]'s)
            array = np.asarray(getattr(part, "data", part))
            if array.dtype == bool:
                key.extend(np.nonzero(array))
            elif array.dtype.kind in "iu":
                key.append(array)
            else:
                raise TypeError(f"index_put: indices must hold integers or bools, got "
                                f"{array.dtype}")
        key = tuple(key)
        if len(key) > self.ndim:
            raise IndexError(f"index_put: {len(key)} index arrays for a tensor of shape "
                             f"{self.shape}")
        try:
            target_shape = self.data[key].shape
        except IndexError as error:
            raise IndexError(f"index_put: {error} (tensor shape {self.shape})") from None
        values = _t(values)
        _same_dtype("index_put", self, values)
        try:
            np.broadcast_shapes(values.shape, target_shape)
        except ValueError:
            raise ValueError(f"index_put: values of shape {values.shape} do not broadcast "
                             f"to the indexed shape {target_shape}") from None
        if values.shape != target_shape:
            values = values.broadcast_to(target_shape)
        if accumulate:
            return self + index_add(values, self.shape, key)
        _refuse_repeats("index_put", key, self.shape)
        return setitem(self, values, key)

    def index_put_(self, indices, values, accumulate=False):
        """``index_put`` in place; returns self.

        >>> t = ad.zeros(2); t.index_put_((np.array([1]),), ad.tensor(4.0))
        tensor([0., 4.])
        """
        return _fill(self, lambda t: t.index_put(indices, values, accumulate), "index_put_")

    # ----- masks, scatters, diagonals ------------------------------------------------------
    def masked_fill_(self, mask, value):
        """``masked_fill`` in place; returns self.

        >>> t = ad.zeros(2); t.masked_fill_(np.array([True, False]), 1.0)
        tensor([1., 0.])
        """
        return _fill(self, lambda t: t.masked_fill(mask, value), "masked_fill_")

    def masked_scatter(self, mask, source):
        """A copy with the first entries of ``source`` (in order) written where the bool
        ``mask`` (broadcast to this shape) is true, as PyTorch's ``masked_scatter``.

        >>> ad.zeros(3).masked_scatter(np.array([True, False, True]), ad.tensor([1.0, 2.0]))
        tensor([1., 0., 2.])
        """
        from .ops.indexing import setitem
        mask = np.asarray(getattr(mask, "data", mask))
        if mask.dtype != bool:
            raise TypeError(f"masked_scatter: the mask must be bool, got {mask.dtype}")
        try:
            mask = np.broadcast_to(mask, self.shape)
        except ValueError:
            raise ValueError(f"masked_scatter: the mask (shape {mask.shape}) does not "
                             f"broadcast to the tensor's shape {self.shape}") from None
        source = _t(source)
        _same_dtype("masked_scatter", self, source)
        count = int(mask.sum())
        if source.size < count:
            raise ValueError(f"masked_scatter: the mask selects {count} entries but the "
                             f"source (shape {source.shape}) has only {source.size}")
        if self.ndim == 0:
            return self.reshape(1).masked_scatter(mask.reshape(1), source).reshape(())
        return setitem(self, source.reshape(-1)[:count], np.array(mask))

    def masked_scatter_(self, mask, source):
        """``masked_scatter`` in place; returns self.

        >>> t = ad.zeros(2); t.masked_scatter_(np.array([False, True]), ad.tensor([9.0]))
        tensor([0., 9.])
        """
        return _fill(self, lambda t: t.masked_scatter(mask, source), "masked_scatter_")

    def scatter_add_(self, dim: int, index, src):
        """``scatter_add`` in place; returns self.

        >>> t = ad.zeros(2); t.scatter_add_(0, np.array([1, 1]), ad.tensor([1.0, 2.0]))
        tensor([0., 3.])
        """
        return _fill(self, lambda t: t.scatter_add(dim, index, src), "scatter_add_")

    def scatter_reduce(self, dim: int, index, src, reduce: str, *, include_self=True):
        """A copy with ``src[i][j]`` combined into ``[index[i][j]][j]`` (for ``dim=0``)
        by ``reduce`` (``'sum' 'prod' 'mean' 'amax' 'amin'``), with the tensor's own
        value too unless ``include_self=False``; untouched entries stay.  As PyTorch,
        ties in ``amax``/``amin`` share the gradient evenly.  See
        ``autodiff/scatter_reduce.py``.

        >>> ad.zeros(2).scatter_reduce(0, np.array([1, 1]), ad.tensor([2.0, 5.0]), "amax")
        tensor([0., 5.])
        """
        from .scatter_reduce import scatter_reduce
        return scatter_reduce(self, dim, index, src, reduce, include_self)

    def scatter_reduce_(self, dim: int, index, src, reduce: str, *, include_self=True):
        """``scatter_reduce`` in place; returns self.

        >>> t = ad.ones(2); t.scatter_reduce_(0, np.array([0]), ad.tensor([3.0]), "prod")
        tensor([3., 1.])
        """
        return _fill(self, lambda t: t.scatter_reduce(dim, index, src, reduce,
                                               include_self=include_self),
                     "scatter_reduce_")

    def fill_diagonal_(self, fill_value, wrap=False):
        """Set the main diagonal (all dims equal beyond 2-D; a tall matrix's wraps after
        every ``ncols + 1`` rows when ``wrap``) to ``fill_value`` in place; returns self.

        >>> ad.zeros((2, 2)).fill_diagonal_(1.0)
        tensor([[1., 0.],
                [0., 1.]])
        """
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
            raise ValueError(f"fill_diagonal_: needs a matrix, or a tensor whose dims all "
                             f"have the same size, got shape {self.shape}")
        mask = np.zeros(self.shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        return _fill(self, lambda t: t.masked_fill(mask, fill_value), "fill_diagonal_")

    def put_(self, index, source, accumulate=False):
        """Write ``source`` at the flat positions ``index`` (as if the tensor were 1-D;
        negative ones count from the end) in place; ``accumulate=True`` adds instead
        (repeats accumulate), else a position written twice is refused.  Returns self.

        >>> ad.zeros((2, 2)).put_(np.array([3, 0]), ad.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 1.]])
        """
        return _fill(self, lambda t: _put(t, index, source, accumulate), "put_")

    # ----- history and layout -----------------------------------------------------------------
    def detach_(self):
        """Cut this tensor from its history in place: it becomes a leaf that does not
        require grad (PyTorch's ``detach_``); returns self.

        >>> x = ad.tensor([1.0], requires_grad=True); y = x * 2
        >>> y.detach_().requires_grad, y.is_leaf
        (False, True)
        """
        from .view_table import _viewed
        if _viewed(self) is not None:
            raise RuntimeError("detach_: this tensor is a view of another (made by "
                               "indexing); use v = v.detach() for a detached tensor")
        self._node = None
        self._requires_grad = False
        return self

    def t_(self):
        """``t()`` in place: a tensor with at most 2 dims takes its transpose (its shape
        changes); returns self.  In grad mode a leaf that requires grad is refused,
        as PyTorch refuses it.

        >>> t = ad.tensor([[1.0, 2.0]]); t.t_().shape
        (2, 1)
        """
        return _reshaped_in_place(self, "t_", self.t())

    def unsqueeze_(self, dim: int):
        """``unsqueeze(dim)`` in place (the shape changes; returns self), as PyTorch's.

        >>> t = ad.tensor([1.0, 2.0]); t.unsqueeze_(0).shape
        (1, 2)
        """
        return _reshaped_in_place(self, "unsqueeze_", self.unsqueeze(dim))

    def squeeze_(self, dim=None):
        """``squeeze(dim)`` in place (the shape changes; returns self), as PyTorch's.

        >>> t = ad.tensor([[1.0, 2.0]]); t.squeeze_().shape
        (2,)
        """
        return _reshaped_in_place(self, "squeeze_", self.squeeze(dim))

    def transpose_(self, dim0: int, dim1: int):
        """PyTorch's ``transpose_``: dims ``dim0`` and ``dim1`` swapped in place (returns
        self); the same as ``swapaxes``.

        >>> t = ad.tensor([[1.0, 2.0]]); t.transpose_(0, 1).shape
        (2, 1)
        """
        return _reshaped_in_place(self, "transpose_", self.swapaxes(dim0, dim1))

    swapdims_ = swapaxes_ = transpose_


def _reshaped_in_place(t, name: str, result):
    """``t`` made to hold ``result`` (a new shape of its values) in place: recorded in
    grad mode (a leaf requiring grad refused, as PyTorch refuses it), else its array
    replaced.  A view made by indexing, or a tensor with such views, is refused: they
    would not follow the new shape."""
    from . import inplace
    from .view_table import in_an_indexing_view
    if in_an_indexing_view(t, besides=result):
        raise RuntimeError(f"{name}: tensor of shape {t.shape} is a view of another, or has "
                           "views (t[0], t.T, t.reshape(-1)), which would not follow the "
                           "new shape; "
                           f"use t = t.{name[:-1]}(...) instead")
    if inplace._recording(t, None):
        inplace._refuse_leaf(t, name)
        inplace._take(t, result)
    else:
        t.data = result.data
    return t


def _put(t, index, source, accumulate):
    """``put_``'s result, computed apart so that the flat view is gone before the write."""
    from .compile.hooks import made
    from .ops.indexing import index_add, setitem
    index = _index("put_", index)
    if index.ndim != 1:         # (a 1-d list's array itself: ad.compile's constant)
        index = index.reshape(-1)
    source = _t(source)
    _same_dtype("put_", t, source)
    if source.size != index.size:
        raise ValueError(f"put_: the source has {source.size} entries (shape "
                         f"{source.shape}) but the index {index.size}; they must match")
    n = t.size
    made("put_ index check", _check_put_index, (index, t.shape, accumulate), stateful=True)
    # (negative indices go on as they are, NumPy's, so that a list of numbers stays
    # the constant ad.compile sees in it)
    flat, values = t.reshape(-1), source.reshape(-1)
    if accumulate:
        result = flat + index_add(values, (n,), index)
    else:
        result = setitem(flat, values, index)
    return result.reshape(t.shape)


def _check_put_index(index, shape, accumulate):
    """``put_``'s refusals of indices out of range and, without ``accumulate``, of a
    position written twice (``ad.compile`` checks each replay's indices again)."""
    n = int(np.prod(shape))
    if index.size and (index.min() < -n or index.max() >= n):
        raise IndexError(f"put_: an index is out of range for a tensor of {n} entries "
                         f"(shape {shape}); use indices in [{-n}, {n})")
    if not accumulate:
        _check_distinct("put_", (index,), (n,))
    return True
