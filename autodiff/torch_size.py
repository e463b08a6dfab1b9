"""PyTorch's ``torch.Size``: the shape a tensor's ``size()`` returns.

>>> ad.zeros((2, 3)).size()
torch.Size([2, 3])
"""

from __future__ import annotations

import math
import operator

__all__ = ["Size", "size_from_shape"]


class Size(tuple):
    """A shape, as ``torch.Size``: a tuple of ints (equal to the plain tuple) with
    ``numel()``; ``t.size()`` returns one, and slicing, ``+`` and ``*`` keep the type.
    (``t.shape`` stays NumPy's plain tuple.)

    >>> s = ad.Size([2, 3, 4]); s, s[1:], s.numel(), s == (2, 3, 4)
    (torch.Size([2, 3, 4]), torch.Size([3, 4]), 24, True)
    """

    __slots__ = ()

    def __new__(cls, sizes=()):
        items = []
        for position, item in enumerate(sizes):
            try:
                value = operator.index(item)
            except TypeError:
                raise TypeError(f"Size() takes an iterable of 'int' (item {position} is "
                                f"'{type(item).__name__}')") from None
            items.append(value)
        return super().__new__(cls, items)

    def numel(self) -> int:
        """The number of entries of a tensor of this shape (1 for ``Size([])``)."""
        return math.prod(self)

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, key):
        item = super().__getitem__(key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__

    def __reduce__(self):
        return Size, (tuple(self),)


def size_from_shape(shape: tuple) -> Size:
    """``Size(shape)`` for a tuple of ints known to be valid (no checks: it is made for
    each ``t.size()`` call)."""
    return tuple.__new__(Size, shape)
