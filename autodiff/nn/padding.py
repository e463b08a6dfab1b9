"""Padding layers over ``F.pad``, with PyTorch's names, arguments and reprs:
``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad`` and ``CircularPad``,
each for 1, 2 and 3 trailing axes.

``padding`` is an int (the same on every side) or PyTorch's tuple of (before, after)
amounts starting from the LAST axis: ``(left, right)`` in 1-d, ``(left, right, top,
bottom)`` in 2-d, ``(left, right, top, bottom, front, back)`` in 3-d.  Negative
amounts crop.  Zero and constant padding take any input with enough axes; the
other modes take the unbatched or batched shape PyTorch takes, (C, *) or (N, C, *)
with 1, 2 or 3 padded axes ``*``.
"""

from __future__ import annotations

import numpy as np

from .functional_conv import _shape_of, pad
from .functional_activation import real_number
from .module import Module


class _PadNd(Module):
    _dims = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = self._amounts(padding)

    def _amounts(self, padding):
        where, count = type(self).__name__, 2 * self._dims
        if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
            return (int(padding),) * count
        amounts = tuple(padding) if isinstance(padding, (tuple, list)) else None
        if amounts is None or len(amounts) != count or not all(
                isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in amounts):
            sides = ("(left, right)", "(left, right, top, bottom)",
                     "(left, right, top, bottom, front, back)")[self._dims - 1]
            raise ValueError(f"{where}: padding must be an int or a tuple of {count} ints "
                             f"{sides}, got {padding!r}")
        return tuple(int(p) for p in amounts)

    def _label(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def forward(self, input):
        shape = _shape_of(input)
        if self._mode == "constant":
            if len(shape) < self._dims:
                raise ValueError(f"{self._label()}: pads the last {self._dims} axes, so the "
                                 f"input needs at least {self._dims}; got shape {shape}")
        elif len(shape) not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"{self._label()}: expected a {self._dims + 1}-D (C, *) or "
                             f"{self._dims + 2}-D (N, C, *) input with {self._dims} padded "
                             f"axes *, got shape {shape}")
        try:
            return pad(input, self.padding, self._mode, self._value())
        except ValueError as error:
            raise ValueError(f"{self._label()}: {error}") from None

    def _value(self):
        return None

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = float(real_number(value, type(self).__name__, "value"))

    def _value(self):
        return self.value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last axis with zeros (``padding``: int or (left, right)).

    >>> ad.nn.ZeroPad1d((1, 2))(ad.tensor([[1.0, 2.0]]))
    tensor([[0., 1., 2., 0., 0.]])
    """

    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two axes with zeros (``padding``: int or (left, right, top, bottom)).

    >>> ad.nn.ZeroPad2d((1, 0, 0, 1))(ad.tensor(np.ones((1, 1, 2, 2))))[0, 0]
    tensor([[0., 1., 1.],
            [0., 1., 1.],
            [0., 0., 0.]])
    """

    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three axes with zeros (``padding``: int or 6 amounts, last axis first).

    >>> ad.nn.ZeroPad3d(1)(ad.tensor(np.ones((1, 1, 2, 2, 2)))).shape
    (1, 1, 4, 4, 4)
    """

    _dims = 3


class ConstantPad1d(_ConstantPadNd):
    """Pad the last axis with ``value`` (``padding``: int or (left, right)).

    >>> ad.nn.ConstantPad1d(1, 3.5)(ad.tensor([[1.0, 2.0]]))
    tensor([[3.5, 1. , 2. , 3.5]])
    """

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two axes with ``value`` (``padding``: int or (left, right, top, bottom)).

    >>> ad.nn.ConstantPad2d((0, 1, 1, 0), -1.0)(ad.tensor(np.ones((1, 2, 2))))[0]
    tensor([[-1., -1., -1.],
            [ 1.,  1., -1.],
            [ 1.,  1., -1.]])
    """

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three axes with ``value`` (``padding``: int or 6 amounts).

    >>> ad.nn.ConstantPad3d((1, 1, 0, 0, 2, 0), 7.0)(ad.tensor(np.ones((1, 2, 2, 2)))).shape
    (1, 4, 2, 4)
    """

    _dims = 3


class ReflectionPad1d(_PadNd):
    """Pad the last axis of (C, W) or (N, C, W) input with its reflection (the edge value
    is not repeated); each amount must be smaller than the axis.

    >>> ad.nn.ReflectionPad1d(2)(ad.tensor([[1.0, 2.0, 3.0]]))
    tensor([[3., 2., 1., 2., 3., 2., 1.]])
    """

    _dims, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two axes of (C, H, W) or (N, C, H, W) input with their reflection.

    >>> ad.nn.ReflectionPad2d(1)(ad.tensor(np.arange(4.0).reshape(1, 2, 2)))[0]
    tensor([[3., 2., 3., 2.],
            [1., 0., 1., 0.],
            [3., 2., 3., 2.],
            [1., 0., 1., 0.]])
    """

    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Pad the last three axes of (C, D, H, W) or (N, C, D, H, W) input with their reflection.

    >>> ad.nn.ReflectionPad3d(1)(ad.tensor(np.ones((1, 1, 2, 2, 2)))).shape
    (1, 1, 4, 4, 4)
    """

    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last axis of (C, W) or (N, C, W) input by repeating its edge values.

    >>> ad.nn.ReplicationPad1d((2, 1))(ad.tensor([[1.0, 2.0, 3.0]]))
    tensor([[1., 1., 1., 2., 3., 3.]])
    """

    _dims, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two axes of (C, H, W) or (N, C, H, W) input by repeating their edges.

    >>> ad.nn.ReplicationPad2d((1, 0, 0, 1))(ad.tensor([[[1.0, 2.0], [3.0, 4.0]]]))[0]
    tensor([[1., 1., 2.],
            [3., 3., 4.],
            [3., 3., 4.]])
    """

    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Pad the last three axes of (C, D, H, W) or (N, C, D, H, W) input by repeating edges.

    >>> ad.nn.ReplicationPad3d(1)(ad.tensor(np.ones((1, 2, 2, 2)))).shape
    (1, 4, 4, 4)
    """

    _dims, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Pad the last axis of (C, W) or (N, C, W) input by wrapping around (periodic).

    >>> ad.nn.CircularPad1d(1)(ad.tensor([[1.0, 2.0, 3.0]]))
    tensor([[3., 1., 2., 3., 1.]])
    """

    _dims, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Pad the last two axes of (C, H, W) or (N, C, H, W) input by wrapping around.

    >>> ad.nn.CircularPad2d((1, 0, 0, 0))(ad.tensor([[[1.0, 2.0], [3.0, 4.0]]]))[0]
    tensor([[2., 1., 2.],
            [4., 3., 4.]])
    """

    _dims, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Pad the last three axes of (C, D, H, W) or (N, C, D, H, W) input by wrapping around.

    >>> ad.nn.CircularPad3d(1)(ad.tensor(np.ones((1, 1, 2, 2, 2)))).shape
    (1, 1, 4, 4, 4)
    """

    _dims, _mode = 3, "circular"
