"""PyTorch's Tensor methods for shapes (``movedim``, ``reshape_as``, ``unflatten``,
``tensor_split``, ``select``, ``take_along_dim``, ``unfold``, ``sum_to_size``,
``diff``, ``rot90``, ``fliplr``, ``flipud``) and
its small conversions and queries (``type``, ``half``, ``byte``, ``char``,
``is_floating_point``, ``stride``, ``element_size``, ``cpu``, ``new_empty``,
``multinomial``).

The shape methods are built from recorded ops, so gradients come from their rules.
``select`` is also a NumPy function (``np.select(condlist, choicelist)``) but not an
ndarray method, so the method keeps PyTorch's meaning.
"""

from __future__ import annotations

import numpy as np

from .grad_fn import named_as
from .selections import _axis

#: PyTorch's ``Tensor.type()`` names of the dtypes it has.
_TYPE_NAMES = {
    np.dtype(np.float64): "torch.DoubleTensor", np.dtype(np.float32): "torch.FloatTensor",
    np.dtype(np.float16): "torch.HalfTensor", np.dtype(np.int64): "torch.LongTensor",
    np.dtype(np.int32): "torch.IntTensor", np.dtype(np.int16): "torch.ShortTensor",
    np.dtype(np.int8): "torch.CharTensor", np.dtype(np.uint8): "torch.ByteTensor",
    np.dtype(bool): "torch.BoolTensor", np.dtype(np.uint16): "torch.UInt16Tensor",
    np.dtype(np.uint32): "torch.UInt32Tensor", np.dtype(np.uint64): "torch.UInt64Tensor",
    np.dtype(np.complex64): "torch.ComplexFloatTensor",
    np.dtype(np.complex128): "torch.ComplexDoubleTensor",
}
_TYPE_DTYPES = {name: dtype for dtype, name in _TYPE_NAMES.items()}


class Size(int):
    """``t.size``: NumPy's number of entries, an int, which also answers PyTorch's
    call: ``t.size()`` is the shape (an ``ad.Size``) and ``t.size(d)`` the length of
    axis ``d``.

    >>> t = ad.tensor(np.zeros((2, 3)))
    >>> t.size, t.size(), t.size(-1)
    (6, autodiff.Size([2, 3]), 3)
    """

    def __new__(cls, count, shape):
        size = super().__new__(cls, count)
        size.shape = shape
        return size

    def __call__(self, dim=None):
        if dim is None:
            torch_size = self.__dict__.get("torch_size")
            if torch_size is None:
                from .torch_size import size_from_shape
                torch_size = self.torch_size = size_from_shape(self.shape)
            return torch_size
        ndim = len(self.shape)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"size({dim!r}): dim must be an int")
        if not -ndim <= dim < ndim:
            raise IndexError(f"size({dim}): dim is out of range for a tensor of shape "
                             f"{self.shape}; the dims are {-ndim} ... {ndim - 1}")
        return self.shape[dim]

    def __reduce__(self):
        return int, (int(self),)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # NumPy promotes an int subclass as an int64 array, where the plain int an
        # ndarray's .size is stays weak (NEP 50): x.sum() / x.size keeps float32.
        inputs = tuple(int(x) if x.__class__ is Size else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)


_SIZES: dict[tuple, Size] = {}


def size_of(shape: tuple) -> Size:
    """The ``Size`` of a shape, made once per shape (a new int subclass object costs
    several times a plain ``.size``; the table is emptied past 4096 shapes)."""
    size = _SIZES.get(shape)
    if size is None:
        if len(_SIZES) >= 4096:
            _SIZES.clear()
        count = 1
        for n in shape:
            count *= n
        size = _SIZES[shape] = Size(count, shape)
    return size


def _ad():
    import importlib
    return importlib.import_module(__package__)


def _t(value):
    from .ops.operands import tensor_of
    return tensor_of(value)


def _ints(where: str, values) -> tuple:
    if len(values) == 1 and isinstance(values[0], (tuple, list)):
        values = tuple(values[0])
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
        raise TypeError(f"{where}: sizes must be ints, got {values!r}")
    return tuple(int(v) for v in values)


class TorchShapeMethods:
    """Shape methods, conversions and queries under PyTorch's names (mixed into
    ``Tensor``)."""

    __slots__ = ()

    # ----- shapes -----------------------------------------------------------------------
    def movedim(self, source, destination):
        """Move the dims ``source`` to positions ``destination``, the others keeping
        their order (``np.moveaxis``).

        >>> ad.zeros((2, 3, 4)).movedim(0, -1).shape
        (3, 4, 2)
        """
        from .ops.rearrange import moveaxis
        return moveaxis(self, source, destination)

    moveaxis = movedim

    def reshape_as(self, other):
        """``reshape`` to ``other``'s shape.

        >>> ad.tensor(np.arange(6.0)).reshape_as(ad.zeros((2, 3))).shape
        (2, 3)
        """
        return self.reshape(np.shape(getattr(other, "data", other)))

    view_as = reshape_as

    def unflatten(self, dim: int, sizes):
        """Dim ``dim`` split into dims of ``sizes`` (one may be -1), as PyTorch's.

        >>> ad.zeros((2, 6)).unflatten(1, (3, -1)).shape
        (2, 3, 2)
        """
        if self.ndim == 0:
            raise ValueError("unflatten: a 0-d tensor has no dim to unflatten")
        axis = _axis("unflatten", dim, self.ndim)
        sizes = _ints("unflatten", (sizes,))
        n = self.shape[axis]
        known = int(np.prod([s for s in sizes if s != -1]))
        if not sizes or sizes.count(-1) > 1 or any(s < -1 for s in sizes) or (
                n != known if -1 not in sizes else (known == 0 or n % known)):
            raise ValueError(f"unflatten: sizes {sizes} do not multiply to {n}, the size "
                             f"of dim {axis} (shape {self.shape}); at most one may be -1")
        return self.reshape(self.shape[:axis] + sizes + self.shape[axis + 1:])

    def tensor_split(self, indices_or_sections, dim: int = 0):
        """Pieces along ``dim``: ``n`` nearly equal ones (the first ones one longer), or
        cut at the given indices, as PyTorch's ``tensor_split`` (``np.array_split``).

        >>> [p.shape for p in ad.zeros(5).tensor_split(3)]
        [(2,), (2,), (1,)]
        """
        from .ops.join import array_split
        if self.ndim == 0:
            raise ValueError("tensor_split: a 0-d tensor has no dim to split")
        axis = _axis("tensor_split", dim, self.ndim)
        from .compile.refusals import refuse_traced_values
        refuse_traced_values(indices_or_sections, "tensor_split", "where it cuts (and so "
                             "the shapes of its pieces) is read from the values of "
                             "indices_or_sections", "Pass the indices or the number of "
                             "sections as Python ints.")
        cuts = np.asarray(getattr(indices_or_sections, "data", indices_or_sections))
        if cuts.dtype.kind not in "iu" or cuts.ndim > 1:
            raise TypeError(f"tensor_split: indices_or_sections must be an int or a 1-D "
                            f"sequence of ints, got {indices_or_sections!r}")
        if cuts.ndim == 0:
            if cuts <= 0:
                raise ValueError(f"tensor_split: the number of sections must be positive, "
                                 f"got {int(cuts)}")
            return tuple(array_split(self, int(cuts), axis=axis))
        return tuple(array_split(self, [int(c) for c in cuts], axis=axis))

    def select(self, dim: int, index: int):
        """The slice at ``index`` along ``dim``, without that dim (``t[:, index]`` for
        ``dim=1``), as PyTorch's ``select``.

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).select(1, 0)
        tensor([1., 3.])
        """
        if self.ndim == 0:
            raise ValueError("select: a 0-d tensor has no dim to select along")
        axis = _axis("select", dim, self.ndim)
        n = self.shape[axis]
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                or not -n <= index < n:
            raise IndexError(f"select: index {index!r} is out of range for dim {axis} of "
                             f"size {n} (shape {self.shape})")
        return self[(slice(None),) * axis + (int(index),)]

    def take_along_dim(self, indices, dim=None):
        """The entries at ``indices`` along ``dim`` (of the flattened tensor when None),
        the other dims broadcast, as PyTorch's ``take_along_dim``.

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).take_along_dim(np.array([[1], [0]]), 1)
        tensor([[2.],
                [3.]])
        """
        from .compile.hooks import made     # (views a replay of ad.compile makes again)
        from .ops.ordering import take_along_axis
        from .ops.shape import broadcast_to
        from .selections import _in_range, _index
        indices = _index("take_along_dim", indices)
        if dim is None:
            flat = made("take_along_dim indices", np.reshape, (indices, (-1,)))
            _in_range("take_along_dim", flat, self.size, 0)
            return take_along_axis(self.reshape(-1), flat, axis=0)
        if indices.ndim != self.ndim:
            raise ValueError(f"take_along_dim: the indices have {indices.ndim} dims (shape "
                             f"{indices.shape}) but the tensor has {self.ndim} (shape "
                             f"{self.shape}); they must have the same number")
        axis = _axis("take_along_dim", dim, self.ndim)
        _in_range("take_along_dim", indices, self.shape[axis], axis)
        try:
            shape = list(np.broadcast_shapes(
                self.shape[:axis] + (1,) + self.shape[axis + 1:],
                indices.shape[:axis] + (1,) + indices.shape[axis + 1:]))
        except ValueError:
            raise ValueError(f"take_along_dim: the tensor (shape {self.shape}) and the "
                             f"indices (shape {indices.shape}) do not broadcast outside dim "
                             f"{axis}") from None
        x_shape = tuple(shape[:axis] + [self.shape[axis]] + shape[axis + 1:])
        i_shape = tuple(shape[:axis] + [indices.shape[axis]] + shape[axis + 1:])
        x = self if self.shape == x_shape else broadcast_to(self, x_shape)
        return take_along_axis(x, made("take_along_dim indices", np.broadcast_to,
                                       (indices, i_shape)), axis=axis)

    def unfold(self, dimension: int, size: int, step: int):
        """Every window of ``size`` entries along ``dimension``, ``step`` apart, as a new
        last dim, as PyTorch's ``Tensor.unfold``.

        >>> ad.tensor([1.0, 2.0, 3.0, 4.0]).unfold(0, 2, 2)
        tensor([[1., 2.],
                [3., 4.]])
        """
        from .ops.windows import sliding_window_view
        x = self.reshape(1) if self.ndim == 0 else self
        axis = _axis("unfold", dimension, x.ndim)
        n = x.shape[axis]
        for name, value in (("size", size), ("step", step)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"unfold: {name} must be an int, got {value!r}")
        if not 0 <= size <= n or step <= 0:
            raise ValueError(f"unfold: size={size} must be in [0, {n}] (dim {axis} of shape "
                             f"{self.shape}) and step={step} positive")
        windows = sliding_window_view(x, int(size), axis=axis)
        windows = windows[(slice(None),) * axis + (slice(None, None, int(step)),)]
        return windows.reshape(windows.shape[1:]) if self.ndim == 0 else windows

    def sum_to_size(self, *size):
        """Sums over the dims that broadcasting to this shape would expand, down to
        ``size``, as PyTorch's ``sum_to_size`` (a narrow unsigned tensor summed in int64,
        as ``t.sum()``).

        >>> ad.ones((2, 3)).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
        """
        sum_to = _ad().sum_to
        size = _ints("sum_to_size", size)
        try:
            expandable = np.broadcast_shapes(size, self.shape) == self.shape
        except ValueError:
            expandable = False
        if not expandable:
            raise ValueError(f"sum_to_size: size {size} does not expand to the tensor's "
                             f"shape {self.shape}; each dim must be 1 or the tensor's")
        if size == self.shape:
            return sum_to(self, size)
        from .torch_elementwise_methods import signed_sum_operand
        return sum_to(signed_sum_operand(self), size)

    def diff(self, n: int = 1, dim: int = -1, prepend=None, append=None):
        """The ``n``-th differences along ``dim``, with ``prepend`` / ``append`` joined
        first (``np.diff``).

        >>> ad.tensor([1.0, 4.0, 9.0]).diff()
        tensor([3., 5.])
        """
        extra = {name: value for name, value in (("prepend", prepend), ("append", append))
                 if value is not None}
        if self.ndim == 0:
            raise ValueError("diff: a 0-d tensor has no dim to take differences along")
        return _ad().diff(self, n, axis=_axis("diff", dim, self.ndim), **extra)

    def rot90(self, k: int = 1, dims=(0, 1)):
        """Rotated by 90 degrees ``k`` times in the plane of ``dims``, from the first
        towards the second (``np.rot90``).

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).rot90()
        tensor([[2., 4.],
                [1., 3.]])
        """
        dims = tuple(dims)
        if len(dims) != 2 or self.ndim < 2:
            raise ValueError(f"rot90: needs two dims of a tensor with at least 2, got dims="
                             f"{dims} for shape {self.shape}")
        return named_as(_ad().rot90(self, k, axes=dims).clone(), "rot90")  # (a copy, as PyTorch)

    def fliplr(self):
        """The order of dim 1 reversed (needs at least 2 dims).

        >>> ad.tensor([[1.0, 2.0]]).fliplr()
        tensor([[2., 1.]])
        """
        if self.ndim < 2:
            raise ValueError(f"fliplr: needs at least 2 dims, got shape {self.shape}")
        return named_as(_ad().fliplr(self).clone(), "flip")    # PyTorch's copy, not NumPy's view

    def flipud(self):
        """The order of dim 0 reversed (needs at least 1 dim).

        >>> ad.tensor([[1.0], [2.0]]).flipud()
        tensor([[2.],
                [1.]])
        """
        if self.ndim < 1:
            raise ValueError("flipud: needs at least 1 dim, got a 0-d tensor")
        return named_as(_ad().flipud(self).clone(), "flip")    # PyTorch's copy, not NumPy's view

    # ----- conversions and queries -------------------------------------------------------
    @property
    def grad_fn(self):
        """PyTorch's handle on the op that made this tensor: None for a leaf or a tensor
        that does not require grad, else a ``GradFn`` (``name()``, ``next_functions``;
        autodiff/grad_fn.py).

        >>> x = ad.tensor([1.0], requires_grad=True)
        >>> x.grad_fn is None, (x * 2).grad_fn.name()
        (True, 'MultiplyBackward0')
        """
        from .grad_fn import grad_fn_of
        return grad_fn_of(self)

    def type(self, dtype=None):
        """With no argument, PyTorch's type name of the dtype (``'torch.DoubleTensor'``
        for float64; ``'numpy.<dtype>'`` for a dtype PyTorch does not have); with a
        dtype (or such a name, or a legacy constructor such as ``ad.FloatTensor``), the
        tensor converted to it (``astype``), itself when it has that dtype already.

        >>> ad.tensor([1.0]).type(), ad.tensor([1.0]).type(np.float32).dtype
        ('torch.DoubleTensor', dtype('float32'))
        """
        if dtype is None:
            return _TYPE_NAMES.get(self.dtype, f"numpy.{self.dtype}")
        from .legacy_tensors import LegacyTensorType
        if isinstance(dtype, LegacyTensorType):
            dtype = dtype.values_dtype
        if isinstance(dtype, str) and dtype.startswith("torch."):
            if dtype not in _TYPE_DTYPES:
                raise TypeError(f"type: unknown type name {dtype!r}; pass a dtype or one of "
                                f"{sorted(_TYPE_DTYPES)}")
            dtype = _TYPE_DTYPES[dtype]
        return self._as_dtype(dtype)

    def byte(self):
        """``astype(np.uint8)``, as PyTorch's ``byte()`` (no gradient)."""
        return self._as_dtype(np.uint8)

    def char(self):
        """``astype(np.int8)``, as PyTorch's ``char()`` (no gradient)."""
        return self._as_dtype(np.int8)

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point one.

        >>> ad.tensor([1.0]).is_floating_point(), ad.tensor([1]).is_floating_point()
        (True, False)
        """
        return self.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the data array is C-contiguous (row-major; ``contiguous()`` makes
        a row-major copy when it is not), or laid out as ``memory_format`` asks
        (``ad.channels_last``: channels last in memory).

        >>> ad.zeros((2, 3)).is_contiguous(), ad.zeros((2, 3)).T.is_contiguous()
        (True, False)
        """
        if memory_format is None:
            return bool(self.data.flags.c_contiguous)
        from .memory_formats import _CHANNELS_LAST, check_format, is_in_format
        check_format("is_contiguous", memory_format)
        if memory_format in _CHANNELS_LAST:
            rank, order = _CHANNELS_LAST[memory_format]
            return self.ndim == rank and is_in_format(self.data, order)
        return bool(self.data.flags.c_contiguous)     # (preserve_format too, as PyTorch)

    def stride(self, dim=None):
        """The step between neighbours along each dim, in entries (PyTorch's; NumPy's
        ``strides`` are in bytes); of one dim when ``dim`` is given.

        >>> ad.zeros((2, 3)).stride(), ad.zeros((2, 3)).stride(0)
        ((3, 1), 3)
        """
        strides = tuple(s // self.data.itemsize for s in self.data.strides)
        if dim is None:
            return strides
        return strides[_axis("stride", dim, self.ndim)]

    def element_size(self) -> int:
        """Bytes per entry (``itemsize``).

        >>> ad.tensor([1.0]).element_size()
        8
        """
        return self.data.itemsize

    def nelement(self) -> int:
        """The number of entries (``numel``, NumPy's ``size``).

        >>> ad.zeros((2, 3)).nelement()
        6
        """
        return self.data.size

    def cpu(self, memory_format=None):
        """The tensor itself (arrays live in NumPy, on the CPU).

        >>> t = ad.tensor([1.0]); t.cpu() is t
        True
        """
        return self

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """A new tensor of ``size`` with unset values, this tensor's dtype (or
        ``dtype``), no history.

        >>> ad.tensor([1.0]).new_empty(2, 3).shape
        (2, 3)
        """
        from .array_methods import new_leaf
        from .missing_dtypes import numpy_dtype
        dtype = numpy_dtype("new_empty", dtype or self.dtype)
        return new_leaf("new_empty", np.empty, (_ints("new_empty", size), dtype), device,
                        requires_grad)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None,
                    rng=None):
        """Category indices drawn with probabilities proportional to the weights in
        each row (``ad.multinomial``; ``rng=`` or ``generator=`` a seed or a Generator).

        >>> ad.tensor([0.0, 1.0]).multinomial(2, replacement=True, rng=0)
        tensor([1, 1])
        """
        from .torch_random import multinomial
        return multinomial(self, num_samples, replacement, generator=generator, rng=rng)
