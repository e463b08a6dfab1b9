"""``ad.Size``: PyTorch's ``torch.Size``, a tuple of dims.  Shapes here are NumPy's
plain tuples, which compare equal to a ``Size`` of the same dims, and
``isinstance(t.shape, ad.Size)`` holds as it does in PyTorch; ``t.size()`` returns a
``Size`` itself (``t.size().numel()``).

>>> ad.zeros(2, 3).shape == ad.Size([2, 3])
True
>>> ad.Size([2, 3]).numel()
6
"""

from __future__ import annotations

import numpy as np


class _SizeType(type):
    def __instancecheck__(cls, value):
        """A shape tuple (non-negative ints) is a Size, as ``t.shape`` is in PyTorch."""
        if type.__instancecheck__(cls, value):
            return True
        return type(value) is tuple and all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0
            for n in value)


class Size(tuple, metaclass=_SizeType):
    """A tuple of dims, as ``torch.Size``: ``ad.Size([2, 3])``, ``ad.Size((2, 3))``.

    >>> ad.Size([2, 3])
    autodiff.Size([2, 3])
    """

    def __new__(cls, sizes=()):
        dims = tuple(sizes)
        for n in dims:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"Size: the dims must be ints, got {type(n).__name__} "
                                f"in {dims!r}")
        return super().__new__(cls, (int(n) for n in dims))

    def numel(self) -> int:
        """The number of entries of a tensor of this shape (the product of the dims)."""
        count = 1
        for n in self:
            count *= n
        return count

    def __getitem__(self, key):
        value = super().__getitem__(key)
        return Size(value) if isinstance(key, slice) else value

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__

    def __repr__(self):
        return f"autodiff.Size({list(self)})"

    def __reduce__(self):
        return Size, (tuple(self),)


def size_from_shape(shape: tuple) -> Size:
    """``Size(shape)`` for a shape known to be valid (no checks: ``t.size()`` makes one
    per shape).

    >>> size_from_shape((2, 3)).numel()
    6
    """
    return tuple.__new__(Size, shape)
