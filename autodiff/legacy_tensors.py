"""PyTorch's legacy typed constructors: ``FloatTensor``, ``DoubleTensor``,
``LongTensor``, ``IntTensor`` and ``BoolTensor``.

``ad.FloatTensor([1, 2])`` makes a float32 tensor of that data and
``ad.FloatTensor(2, 3)`` one of that shape.  PyTorch leaves the values of the second
uninitialised; here they are zeros, so nothing depends on leftover memory.  An
``ad.Size`` (``t.size()``) is a shape, as PyTorch's ``torch.Size``; a plain tuple of
ints (``t.shape``, NumPy's tuple here) raises: PyTorch would read it as data.  As in
PyTorch, ``isinstance(t, ad.FloatTensor)`` asks whether ``t`` is a float32 tensor,
and ``t.type(ad.FloatTensor)`` converts to it.
"""

from __future__ import annotations

import numpy as np

from .devices import check_device
from .tensor import Tensor


class LegacyTensorType(type):
    """The type of the legacy constructors: calling one makes a ``Tensor`` of its
    ``values_dtype``, and ``isinstance`` checks that dtype."""

    values_dtype: np.dtype

    def __call__(cls, *args, device=None):
        check_device(cls.__name__, device)
        if not args or all(_is_int(a) for a in args):
            return _of_shape(cls, args)
        if len(args) == 1 and type(args[0]).__name__ == "Size":     # ad.Size, torch.Size
            return _of_shape(cls, tuple(args[0]))
        if len(args) == 1 and type(args[0]) is tuple and all(_is_int(a) for a in args[0]):
            # PyTorch reads a torch.Size as a shape, a plain tuple as data; t.shape is a
            # plain tuple here (t.size() an ad.Size), so either reading could be wrong
            raise TypeError(f"{cls.__name__}: a tuple of ints is ambiguous: PyTorch reads "
                            f"t.size() (a torch.Size) as a shape but a tuple as data, and "
                            f"t.shape is a tuple here. Pass {cls.__name__}(*shape) or "
                            f"t.size() for a shape, or a list for data")
        if len(args) == 1 and not np.isscalar(args[0]):
            return _of_data(cls, args[0])
        raise TypeError(f"{cls.__name__}: takes data (a list, an array or a tensor) or a shape "
                        f"of ints ({cls.__name__}(2, 3)), got "
                        f"({', '.join(type(a).__name__ for a in args)})")

    def __instancecheck__(cls, value) -> bool:
        return isinstance(value, Tensor) and value.dtype == cls.values_dtype

    def __repr__(cls) -> str:
        return f"<class 'autodiff.{cls.__name__}'>"


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _of_shape(cls, shape) -> Tensor:
    if any(n < 0 for n in shape):
        raise ValueError(f"{cls.__name__}: a negative dimension in the shape "
                         f"{tuple(int(n) for n in shape)}")
    from .creation import zeros
    return zeros(*(shape or (0,)), dtype=cls.values_dtype)


def _of_data(cls, data) -> Tensor:
    values = np.asarray(data.data if isinstance(data, Tensor) else data)
    if (values.dtype.kind == "f" and cls.values_dtype.kind in "iu"
            and not np.isfinite(values).all()):
        raise ValueError(f"{cls.__name__}: the data holds NaN or infinity, which no "
                         f"{cls.values_dtype} can hold; replace them first (np.nan_to_num)")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{cls.__name__}: data of dtype {values.dtype} cannot be converted "
                        f"to {cls.values_dtype}")
    return Tensor(values.astype(cls.values_dtype))      # (a copy, as PyTorch's from a list)


class FloatTensor(metaclass=LegacyTensorType):
    """PyTorch's legacy float32 constructor.

    >>> ad.FloatTensor([1, 2]), ad.FloatTensor(2, 3).shape
    (tensor([1., 2.], dtype=float32), (2, 3))
    """

    values_dtype = np.dtype(np.float32)


class DoubleTensor(metaclass=LegacyTensorType):
    """PyTorch's legacy float64 constructor.

    >>> ad.DoubleTensor([0.5])
    tensor([0.5])
    """

    values_dtype = np.dtype(np.float64)


class LongTensor(metaclass=LegacyTensorType):
    """PyTorch's legacy int64 constructor (floats are truncated, as in PyTorch).

    >>> ad.LongTensor(np.array([1.7, 2.0]))
    tensor([1, 2])
    """

    values_dtype = np.dtype(np.int64)


class IntTensor(metaclass=LegacyTensorType):
    """PyTorch's legacy int32 constructor.

    >>> ad.IntTensor([3])
    tensor([3], dtype=int32)
    """

    values_dtype = np.dtype(np.int32)


class BoolTensor(metaclass=LegacyTensorType):
    """PyTorch's legacy bool constructor.

    >>> ad.BoolTensor([0, 2])
    tensor([False,  True])
    """

    values_dtype = np.dtype(bool)


class ByteTensor(metaclass=LegacyTensorType):
    """PyTorch's legacy uint8 constructor.

    >>> ad.ByteTensor([1, 2]).dtype
    dtype('uint8')
    """

    values_dtype = np.dtype(np.uint8)


class CharTensor(metaclass=LegacyTensorType):
    """PyTorch's legacy int8 constructor."""

    values_dtype = np.dtype(np.int8)


class ShortTensor(metaclass=LegacyTensorType):
    """PyTorch's legacy int16 constructor."""

    values_dtype = np.dtype(np.int16)


class HalfTensor(metaclass=LegacyTensorType):
    """PyTorch's legacy float16 constructor."""

    values_dtype = np.dtype(np.float16)
