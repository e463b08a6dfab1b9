"""Tensor methods that copy, select and sort: ``expand``, ``chunk``, ``gather``,
``index_select``, ``scatter_add``, ``sort``, ``argsort``, ``topk``, ``flip``, ``roll``,
``tile``, ``repeat``, ``repeat_interleave``, ``clone``, ``tolist``.

Each is built from recorded ops (``broadcast_to``, slicing, ``take``,
``take_along_axis``, ``index_add``, the sort permutation), so gradients come from
their rules.  Names that only PyTorch has keep PyTorch's meaning; names that are
methods of NumPy's ndarray and mean something else in PyTorch (``sort``: in place,
returning None, or ``(values, indices)``; ``repeat``: each element repeated, or the
whole tensor tiled) follow the call's arguments when only one library accepts them,
and raise, saying why, when both would.
"""

from __future__ import annotations

import sys

import numpy as np

from .multi_output_views import mark
from .spellings import ValuesIndices, _dims

_UNSET = object()


def _axis(where: str, dim, ndim: int) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{where}: dim must be an int, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{where}: dim={dim} is out of range for a tensor with {ndim} "
                         f"axes; use a dim in [{-max(ndim, 1)}, {max(ndim, 1)})")
    return int(dim) % max(ndim, 1)


def _index(where: str, index) -> np.ndarray:
    from .tensor import Tensor
    from .ops.operands import python_numbers
    if isinstance(index, list) and python_numbers(index):
        index = Tensor(index)      # (so ad.compile keeps it as the constant it is)
    array = np.asarray(index.data if isinstance(index, Tensor) else index)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{where}: the index must hold integers, got {array.dtype} (shape "
                        f"{array.shape}); convert it, e.g. index.astype(np.int64)")
    return array


def _in_range(where: str, index: np.ndarray, n: int, axis: int) -> None:
    """Refuse indices outside [0, n) (a negative one would wrap around); ``ad.compile``
    checks each replay's indices again."""
    from .compile.hooks import made
    made(f"{where} index check", _check_in_range, (where, index, n, axis), stateful=True)


def _check_in_range(where, index, n, axis):
    if index.size and (index.min() < 0 or index.max() >= n):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{where}: index {bad} is out of range for dim {axis} of size {n}; "
                         f"PyTorch's {where} takes indices in [0, {n}) (no negative ones)")
    return True


def _descending_order(data: np.ndarray, axis: int) -> np.ndarray:
    """Indices that sort ``data`` from largest to smallest along ``axis``, NaN first and
    ties in their original order (PyTorch's descending sort)."""
    n = data.shape[axis]
    backwards = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return n - 1 - np.flip(backwards, axis)


def _order(data, axis, descending, kind=None, k=None):
    order = (_descending_order(data, axis) if descending
             else np.argsort(data, axis=axis, kind=kind))
    return order if k is None else np.take(order, np.arange(k), axis=axis)


def _made_order(where, data, axis, descending, kind=None, k=None):
    """``_order`` of the values: ``ad.compile`` sorts each replay's values again."""
    from .compile.hooks import made
    return made(f"{where} order", _order, (data, axis, descending, kind, k))


class SelectionMethods:
    """Copying, selecting and sorting methods (mixed into ``Tensor``)."""

    __slots__ = ()

    def tolist(self):
        """The values as (nested) Python numbers, off the tape (``ndarray.tolist``).

        >>> ad.tensor([[1.0, 2.0]], requires_grad=True).tolist()
        [[1.0, 2.0]]
        """
        hook = sys.modules[__package__ + ".tensor"].value_hook   # set by ad.compile
        if hook is not None:
            hook(self, "tolist()")
        return self.data.tolist()

    def clone(self, *, memory_format=None):
        """A copy on the tape (PyTorch's ``clone``, NumPy's ``copy``), laid out as the
        tensor is (an expanded view's clone row-major, as PyTorch's), or as
        ``memory_format`` asks (``ad.contiguous_format``, ...).

        >>> ad.tensor([1.0, 2.0]).clone()
        tensor([1., 2.])
        """
        from .grad_fn import named_as
        from .ops.elementwise import copy
        result = named_as(copy(self), "clone")
        if memory_format is None and 0 in self.data.strides:     # (expanded, perhaps)
            from .memory_formats import expanded_clone_order, laid_out
            expanded_order = expanded_clone_order(self.data)
            if expanded_order is not None:      # (a new array: only its layout changes)
                result.data = laid_out(result.data, expanded_order)
        if memory_format is not None:
            from .memory_formats import axis_order, relaid_tensor
            order = axis_order("clone", memory_format, self.ndim)
            if order is not None:
                result = relaid_tensor(result, order)
        return result

    # ----- broadcasting and splitting ------------------------------------------
    def expand(self, *sizes):
        """PyTorch's ``expand``: size-1 axes repeated to ``sizes`` (-1 keeps an axis's
        size; new axes go in front), as ``broadcast_to``.  The gradient sums back.

        >>> ad.tensor([[1.0], [2.0]]).expand(-1, 3)
        tensor([[1., 1., 1.],
                [2., 2., 2.]])
        """
        from .ops.shape import broadcast_to
        sizes = _dims(sizes)
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in sizes):
            raise TypeError(f"expand: sizes must be ints, got {sizes!r} (for a tensor of "
                            f"shape {self.shape})")
        sizes = tuple(int(s) for s in sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: got {len(sizes)} sizes {sizes} for a tensor of shape "
                             f"{self.shape}; give one size per axis (-1 keeps it), new "
                             "axes in front")
        target = []
        for i, size in enumerate(sizes):
            old = self.shape[i - lead] if i >= lead else None
            if size == -1 and old is not None:
                size = old
            if size < 0:
                raise ValueError(f"expand: size {size} at position {i} of {sizes} is not "
                                 f"allowed (tensor of shape {self.shape}); -1 keeps an "
                                 "existing axis, a new leading axis needs its size")
            if old is not None and old not in (1, size):
                raise ValueError(
                    f"expand: axis {i - lead} has size {old} and cannot become {size} "
                    f"(shape {self.shape} to {sizes}); only size-1 axes expand. To copy "
                    "the data several times, use tile")
            target.append(size)
        return broadcast_to(self, tuple(target))

    def expand_as(self, other):
        """``expand`` to ``other``'s shape.

        >>> ad.tensor([1.0, 2.0]).expand_as(ad.tensor(np.zeros((2, 2)))).shape
        (2, 2)
        """
        return self.expand(*np.shape(getattr(other, "data", other)))

    def chunk(self, chunks: int, dim: int = 0):
        """PyTorch's ``chunk``: a tuple of at most ``chunks`` pieces along ``dim``, each
        of ``ceil(n / chunks)`` entries but the last (``np.array_split`` balances them
        instead: ``ad.array_split``).

        >>> [c.shape for c in ad.tensor(np.arange(5.0)).chunk(3)]
        [(2,), (2,), (1,)]
        """
        from .ops.shape import split
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) \
                or chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        if self.ndim == 0:
            raise ValueError("chunk: a 0-d tensor has no axis to split; reshape(1) first")
        axis = _axis("chunk", dim, self.ndim)
        n = self.shape[axis]
        size = -(-n // int(chunks))
        points = list(range(size, n, size)) if size else [0] * (int(chunks) - 1)
        return mark(split(self, points, axis=axis), "chunk")

    # ----- gathering and scattering (PyTorch's names and rules) ----------------
    def gather(self, dim: int, index, *, sparse_grad: bool = False):
        """PyTorch's ``gather``: ``out[i][j] = self[index[i][j]][j]`` for ``dim=0``.
        ``index`` has as many axes as the tensor and, off ``dim``, no larger sizes; the
        gradient scatter-adds back (``take_along_axis`` is NumPy's form).

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, np.array([[1], [0]]))
        tensor([[2.],
                [3.]])
        """
        from .ops.ordering import take_along_axis
        index = _index("gather", index)
        if sparse_grad:
            raise TypeError("gather: sparse_grad=True is not supported; gradients are dense")
        if index.ndim == 0 and self.ndim == 1:      # PyTorch counts a 0-d index as 1-d
            return self.gather(dim, index.reshape(1)).reshape(())
        if index.ndim != self.ndim:
            raise ValueError(f"gather: the index has {index.ndim} axes (shape {index.shape}) "
                             f"but the tensor has {self.ndim} (shape {self.shape}); they "
                             "must have the same number (index.unsqueeze(dim) may help)")
        axis = _axis("gather", dim, self.ndim)
        if self.ndim == 0:
            _in_range("gather", index, 1, 0)
            return self.reshape(1).gather(0, index.reshape(1)).reshape(())
        for d, (m, n) in enumerate(zip(index.shape, self.shape)):
            if d != axis and m > n:
                raise ValueError(f"gather: the index (shape {index.shape}) is larger than "
                                 f"the tensor (shape {self.shape}) along dim {d}, which is "
                                 f"not dim {axis}")
        _in_range("gather", index, self.shape[axis], axis)
        x = self
        if any(m < n for d, (m, n) in enumerate(zip(index.shape, self.shape)) if d != axis):
            x = x[tuple(slice(None) if d == axis else slice(0, m)
                        for d, m in enumerate(index.shape))]
        return take_along_axis(x, index, axis=axis)

    def index_select(self, dim: int, index):
        """PyTorch's ``index_select``: the entries at the 1-D ``index`` along ``dim``
        (``take``); repeated indices accumulate in the gradient.

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).index_select(0, np.array([1, 1]))
        tensor([[3., 4.],
                [3., 4.]])
        """
        from .ops.indexing import take
        index = _index("index_select", index)
        if index.ndim > 1:
            raise ValueError(f"index_select: the index must be 1-D (or 0-d), got shape "
                             f"{index.shape}; use gather or t[index] for more axes")
        if self.ndim == 0:
            raise ValueError("index_select: a 0-d tensor has no axis to select along; "
                             "reshape(1) first")
        axis = _axis("index_select", dim, self.ndim)
        _in_range("index_select", index, self.shape[axis], axis)
        from .compile.hooks import made     # (a 1-D view a replay of ad.compile makes again)
        return take(self, made("index_select index", np.reshape, (index, (-1,))), axis=axis)

    def scatter_add(self, dim: int, index, src):
        """PyTorch's ``scatter_add``: a copy of the tensor with ``src[i][j]`` added at
        ``[index[i][j]][j]`` for ``dim=0``; repeated indices accumulate.  Gradients: the
        tensor gets ``g``, ``src`` gets ``g`` gathered at ``index``.

        >>> ad.tensor(np.zeros(3)).scatter_add(0, np.array([0, 0, 2]), ad.tensor(np.ones(3)))
        tensor([2., 0., 1.])
        """
        from .ops.indexing import index_add
        from .tensor import Tensor
        index = _index("scatter_add", index)
        src = src if isinstance(src, Tensor) else Tensor(src)
        if src.dtype != self.dtype:
            raise TypeError(f"scatter_add: src has dtype {src.dtype} but the tensor has "
                            f"{self.dtype}; they must match (src.astype(t.dtype))")
        if self.ndim == 1:                  # PyTorch counts a 0-d index or src as 1-d
            index = index.reshape(1) if index.ndim == 0 else index
            src = src.reshape(1) if src.ndim == 0 else src
        if not index.ndim == src.ndim == self.ndim:
            raise ValueError(f"scatter_add: the tensor {self.shape}, index {index.shape} and "
                             f"src {src.shape} must have the same number of axes")
        axis = _axis("scatter_add", dim, self.ndim)
        for d, m in enumerate(index.shape):
            if m > src.shape[d] or (d != axis and m > self.shape[d]):
                raise ValueError(
                    f"scatter_add: the index (shape {index.shape}) is larger than src "
                    f"(shape {src.shape}) along dim {d}, or than the tensor (shape "
                    f"{self.shape}) along a dim other than {axis}")
        _in_range("scatter_add", index, self.shape[axis] if self.ndim else 1, axis)
        if src.shape != index.shape:
            src = src[tuple(slice(0, m) for m in index.shape)]
        # (the other axes' positions depend on the shape alone: made again at each replay
        # of ad.compile, which refuses NumPy arrays made in the call as made from values)
        from .torch_methods import _made, _positions_along
        key = tuple(index if d == axis else _made("scatter_add positions", _positions_along,
                                                  (d, index.shape))
                    for d in range(index.ndim))
        return self + index_add(src, self.shape, key)

    # ----- ordering ----------------------------------------------------------------
    def sort(self, *args, axis=_UNSET, kind=None, order=None, stable=None, dim=None,
             descending=None):
        """With PyTorch's ``dim=`` or ``descending=``: PyTorch's ``sort``, returning
        ``(values, indices)``.  With NumPy's ``axis=`` or ``kind=``: ndarray's ``sort``,
        which sorts in place and returns None.  ``t.sort()`` alone means one or the
        other, so it raises; ``ad.sort(t)`` / ``np.sort(t)`` return a sorted copy.

        >>> ad.tensor([3.0, 1.0, 2.0]).sort(dim=0)
        ValuesIndices(values=tensor([1., 2., 3.]), indices=tensor([1, 2, 0]))
        """
        torch_form = dim is not None or descending is not None
        numpy_form = axis is not _UNSET or kind is not None or order is not None
        if args or torch_form == numpy_form:
            raise TypeError(
                "Tensor.sort: NumPy's ndarray.sort sorts in place and returns None, "
                "PyTorch's returns (values, indices); "
                + ("got both NumPy's and PyTorch's arguments. " if torch_form
                   else "the call does not say which is meant. ")
                + "Write t.sort(dim=-1) (or descending=True) for PyTorch's, t.sort(axis=-1) "
                "for NumPy's in-place sort, or ad.sort(t, axis) / np.sort(t) for a "
                "sorted copy")
        if numpy_form:
            from .inplace import fill
            from .ops.ordering import sort
            if axis is None:
                raise TypeError("Tensor.sort: axis=None is np.sort's (a flat copy); "
                                "ndarray.sort in place takes an int axis")
            axis = -1 if axis is _UNSET else axis       # t.sort(kind=...): ndarray's default
            from .inplace import bypass_hooked_views
            bypass_hooked_views(self)
            fill(self, sort(self, axis=axis, kind=kind, order=order, stable=stable), "sort")
            return None
        return self._sorted("sort", -1 if dim is None else dim, bool(descending), None,
                            "stable" if stable else None)

    def _sorted(self, where, dim, descending, k, kind=None):
        from .ops.ordering import permute_along_axis, take_along_axis
        from .ops.shape import reshape
        if self.dtype.kind == "c":
            raise TypeError(
                f"{where}(dim=...) of a complex tensor (shape {self.shape}, dtype "
                f"{self.dtype}): PyTorch's {where} does not order complex numbers; "
                "np.sort(t, axis) or np.sort_complex(t) sort them as NumPy does, by real "
                "part then imaginary part (with a gradient), or order by a real key: "
                "t.abs().sort(dim=...)")
        if self.ndim == 0:
            values, indices = self._sorted_flat(where, dim, descending, k)
            return ValuesIndices(reshape(values, ()), reshape(indices, ()))
        axis = _axis(where, dim, self.ndim)
        if k is None:
            order = _made_order(where, self.data, axis, descending, kind)
            return ValuesIndices(permute_along_axis(self, order, axis),
                                 _int_tensor(order))
        n = self.shape[axis]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
            raise ValueError(f"topk: k={k!r} is out of range for dim {axis} of size {n} "
                             f"(shape {self.shape}); use 0 <= k <= {n}")
        order = _made_order(where, self.data, axis, descending, kind, int(k))
        return ValuesIndices(take_along_axis(self, order, axis=axis), _int_tensor(order))

    def _sorted_flat(self, where, dim, descending, k):
        _axis(where, dim, 0)
        if k is not None and (isinstance(k, bool) or k != 1):
            raise ValueError(f"topk: k={k!r} is out of range for a 0-d tensor, which has one "
                             "entry; use k=1")
        return self.reshape(1)._sorted(where, 0, descending, k)

    def argsort(self, axis=-1, kind=None, order=None, *, dim=None, descending=False,
                stable=None):
        """Indices that sort the tensor along ``axis`` (an integer tensor, no gradient),
        as in NumPy and PyTorch; ``descending=True`` puts the largest (and NaN) first,
        ties in their original order.

        >>> ad.tensor([3.0, 1.0, 2.0]).argsort(descending=True)
        tensor([0, 2, 1])
        """
        from .argument_aliases import axis_alias
        if order is not None:
            raise TypeError("argsort: order= (sorting structured arrays) is not supported")
        axis = axis_alias("argsort", None if dim is not None else axis, False, dim)[0]
        if axis is None:
            return self.flatten().argsort(0, kind, descending=descending, stable=stable)
        if self.ndim == 0:
            if dim is not None or descending:
                _axis("argsort", axis, 0)       # PyTorch's: a 0-d tensor of indices
                return _int_tensor(np.zeros((), dtype=np.intp))
            return _int_tensor(_made_order("argsort", self.data, axis, False))
        axis = _axis("argsort", axis, self.ndim)
        if stable and kind is None:
            kind = "stable"
        return _int_tensor(_made_order("argsort", self.data, axis, descending, kind))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """PyTorch's ``topk``: the ``k`` largest (``largest=False``: smallest) entries
        along ``dim`` and their indices, largest first; NaN counts as the largest.
        Among ties the first ones are taken, and ``sorted=False`` gives them sorted too:
        PyTorch's CPU result there follows its selection algorithm, which its docs leave
        unspecified, so its indices among ties and its unsorted order can differ (the
        values agree).  The values' gradient goes to the entries.

        >>> ad.tensor([1.0, 3.0, 2.0]).topk(2)
        ValuesIndices(values=tensor([3., 2.]), indices=tensor([1, 2]))
        """
        # (stable: NumPy's default sort leaves ties of the smallest in any order)
        return self._sorted("topk", dim, bool(largest), k, kind="stable")

    # ----- rearranging ---------------------------------------------------------
    def flip(self, *dims, axis=None, **keywords):
        """Reverse the order along ``dims`` (PyTorch's ``flip(dims)`` or ``flip(dims=)``;
        ``np.flip``'s ``axis=``); every axis when none is given, as ``np.flip``.  The
        result is a copy, as PyTorch's: a write into it leaves this tensor alone
        (``np.flip(t)`` is NumPy's view).

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).flip(dims=(1,))
        tensor([[2., 1.],
                [4., 3.]])
        """
        from .grad_fn import named_as
        from .ops.rearrange import flip
        unknown = set(keywords) - {"dims"}
        if unknown:
            raise TypeError(f"flip: unexpected keyword {sorted(unknown)[0]!r}; it takes "
                            "dims (PyTorch's) or axis= (NumPy's)")
        if "dims" in keywords:
            if dims:
                raise TypeError("flip: got dims both by position and as dims=; pass one")
            dims = (keywords["dims"],)
        if dims and axis is not None:
            raise TypeError("flip: got dims and axis=; they are the same argument, pass one")
        if dims:
            axis = _dims(dims)
            if isinstance(axis, tuple) and not axis:
                return named_as(self.clone(), "flip")   # (dims=(): nothing reversed)
        return named_as(flip(self, axis=axis).clone(), "flip")

    def roll(self, shifts, dims=None, *, axis=None):
        """Shift the entries cyclically by ``shifts`` along ``dims`` (over the flattened
        tensor when None), as ``torch.roll`` and ``np.roll``.

        >>> ad.tensor([1.0, 2.0, 3.0]).roll(1)
        tensor([3., 1., 2.])
        """
        from .ops.rearrange import roll
        if dims is not None and axis is not None:
            raise TypeError("roll: got dims and axis=; they are the same argument, pass one")
        if isinstance(dims, (tuple, list)) and not dims:
            dims = None         # PyTorch's empty dims roll the flattened tensor
        dims = axis if dims is None else dims
        return roll(self, shifts, tuple(dims) if isinstance(dims, list) else dims)

    def tile(self, *reps):
        """The tensor repeated ``reps`` times along each axis (``np.tile``, PyTorch's
        ``tile`` and ``repeat``).

        >>> ad.tensor([1.0, 2.0]).tile(2)
        tensor([1., 2., 1., 2.])
        """
        from .ops.replicate import tile
        return tile(self, _dims(reps))

    def repeat_interleave(self, repeats, dim=None):
        """Each entry repeated ``repeats`` times along ``dim`` (flattened when None):
        PyTorch's ``repeat_interleave``, NumPy's ``repeat``.

        >>> ad.tensor([1.0, 2.0]).repeat_interleave(2)
        tensor([1., 1., 2., 2.])
        """
        from .ops.replicate import repeat
        from .tensor import Tensor
        # (a Tensor as it is: repeat refuses one whose values a compiled replay may change)
        return repeat(self, repeats if isinstance(repeats, Tensor)
                      else getattr(repeats, "data", repeats), axis=dim)

    def repeat(self, *args, axis=_UNSET):
        """NumPy's ``repeat(repeats, axis)`` (each entry repeated) or PyTorch's
        ``repeat(*sizes)`` (the whole tensor tiled), whichever accepts the arguments;
        when both would, it raises: write ``repeat_interleave`` / ``axis=`` for NumPy's
        meaning and ``tile`` for PyTorch's.

        >>> ad.tensor([[1.0, 2.0]]).repeat(2, axis=1)
        tensor([[1., 1., 2., 2.]])
        """
        if axis is not _UNSET:
            if len(args) != 1:
                raise TypeError(f"repeat: with axis= it is NumPy's repeat(repeats, axis), "
                                f"which takes one repeats argument, got {args}")
            return self.repeat_interleave(args[0], axis)
        sizes = _dims(args)
        torch_ok = (len(sizes) >= max(self.ndim, 1)
                    and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                            and s >= 0 for s in sizes))
        numpy_ok = 1 <= len(args) <= 2 and (len(args) == 1 or (
            isinstance(args[1], (int, np.integer)) and -self.ndim <= args[1] < self.ndim))
        if torch_ok and not numpy_ok:
            return self.tile(sizes)
        if numpy_ok and not torch_ok:
            return self.repeat_interleave(*args)
        if not torch_ok:
            raise TypeError(f"repeat: {args} are neither NumPy's (repeats, axis) nor "
                            f"PyTorch's sizes for a tensor of shape {self.shape}")
        raise TypeError(
            f"repeat{args} on a tensor of shape {self.shape} means different things: NumPy "
            "repeats each entry (ndarray.repeat), PyTorch tiles the whole tensor. Write "
            "t.repeat_interleave(n, dim) or t.repeat(n, axis=...) for NumPy's, "
            "t.tile(sizes) for PyTorch's")


def _int_tensor(array):
    from .tensor import Tensor
    return Tensor(array)
