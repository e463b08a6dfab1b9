"""``ad.nn.parameter``, as ``torch.nn.parameter``: ``Parameter``, ``Buffer`` and the
placeholders of the lazy modules, ``UninitializedParameter`` and
``UninitializedBuffer``, whose shape is not known yet.

An uninitialized parameter or buffer knows its dtype and ``requires_grad`` but has no
shape: reading ``.shape`` raises ``RuntimeError`` and computing with it raises
``ValueError``, with PyTorch's words (call the model once on an example input first).
``materialize(shape)`` gives it an array of zeros of that shape in place and turns the
same object into a ``Parameter`` (a plain ``Tensor`` for a buffer), as PyTorch's does;
the lazy layers (``nn.LazyLinear``, ...) do so at their first call, then fill in their
initial values.

>>> w = ad.nn.UninitializedParameter()
>>> w, ad.nn.parameter.is_lazy(w)
(<UninitializedParameter>, True)
>>> w.materialize((2, 3))
>>> type(w).__name__, w.shape, w.requires_grad
('Parameter', (2, 3), True)
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .buffer import Buffer
from .module import Parameter

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "UninitializedTensorMixin", "is_lazy"]


def _use_error(what: str) -> ValueError:
    return ValueError(
        f"Attempted to use an uninitialized parameter in {what}. This error happens when "
        "you are using a LazyModule (nn.LazyLinear, ...) or explicitly manipulating "
        "nn.parameter.UninitializedParameter objects: its shape is not known until the "
        "module's first call. Call the model once on an example input (a dummy batch) "
        "to initialize the parameters before computing with them")


class _UninitializedArray(np.ndarray):
    """The values of an uninitialized parameter or buffer: an empty array that refuses
    every NumPy computation (a ufunc or a NumPy function)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise _use_error(f"np.{ufunc.__name__}")

    def __array_function__(self, func, types, args, kwargs):
        raise _use_error(f"np.{func.__name__}")

    def __setitem__(self, key, value):
        # (a write into no values would silently be lost: init.constant_, fill_, t[...] =)
        raise _use_error("an in-place write")


def _placeholder(dtype) -> np.ndarray:
    return np.empty((0,), dtype).view(_UninitializedArray)


def _shape_error() -> RuntimeError:
    return RuntimeError(
        "Can't access the shape of an uninitialized parameter or buffer. This error "
        "usually happens in load_state_dict when trying to load an uninitialized parameter "
        "into an initialized one. Call forward (the model once on an example input) to "
        "initialize the parameters before accessing their attributes")


class UninitializedTensorMixin:
    """What an uninitialized parameter and buffer share: no shape until
    ``materialize``."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the object an array of zeros of ``shape`` (in ``dtype``, by default the
        one it was made with), in place, and make it a ``cls_to_become`` (``Parameter``
        or ``Tensor``), as PyTorch's ``materialize``."""
        from ..devices import check_device
        if device is not None:
            check_device("materialize", device)
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        shape = tuple(int(n) for n in shape)
        if any(n < 0 for n in shape):
            raise ValueError(f"materialize: the shape must have sizes >= 0, got {shape}")
        self.data = np.zeros(shape, self.data.dtype if dtype is None else np.dtype(dtype))
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise _shape_error()

    @property
    def ndim(self):
        raise _use_error("ndim")

    @property
    def size(self):
        raise _use_error("size")

    def numel(self):
        raise _use_error("numel")

    def dim(self):
        raise _use_error("dim")

    def __len__(self):
        raise _use_error("len")

    def __iter__(self):
        raise _use_error("iter")

    def __array__(self, dtype=None, copy=None):
        raise _use_error("np.asarray")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return _remade, (type(self), self.requires_grad, self.dtype.str)

    def __deepcopy__(self, memo):
        return _remade(type(self), self.requires_grad, self.dtype.str)


def _remade(cls, requires_grad, dtype):
    return cls(requires_grad=requires_grad, dtype=dtype)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A ``Parameter`` whose shape is not known yet, as
    ``torch.nn.parameter.UninitializedParameter`` (also ``ad.nn.UninitializedParameter``):
    what a lazy layer's weight is until its first call.  ``dtype`` is float64 by
    default, as ``Parameter``'s.

    >>> w = ad.nn.UninitializedParameter(dtype=np.float32)
    >>> w.dtype, isinstance(w, ad.nn.Parameter)
    (dtype('float32'), True)
    >>> w + 1
    Traceback (most recent call last):
    ...
    ValueError: Attempted to use an uninitialized parameter in np...
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        from ..devices import check_device
        if device is not None:
            check_device("UninitializedParameter", device)
        dtype = np.dtype(np.float64 if dtype is None else dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"UninitializedParameter: needs a floating-point or complex "
                            f"dtype, got {dtype}")
        Parameter.__init__(self, np.empty((0,), dtype))
        self.data = _placeholder(dtype)
        self.requires_grad = bool(requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet, as ``torch.nn.parameter.UninitializedBuffer``
    (a lazy norm's ``running_mean`` until its first call); ``materialize`` makes it a
    plain ``Tensor``, which the module keeps as its buffer.

    >>> buf = ad.nn.UninitializedBuffer()
    >>> buf.requires_grad, buf.dtype
    (False, dtype('float64'))
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        from ..devices import check_device
        if device is not None:
            check_device("UninitializedBuffer", device)
        dtype = np.dtype(np.float64 if dtype is None else dtype)
        Tensor.__init__(self, np.empty((0,), dtype), requires_grad=requires_grad)
        self.data = _placeholder(dtype)


def is_lazy(value) -> bool:
    """Whether ``value`` is an uninitialized parameter or buffer, as
    ``torch.nn.parameter.is_lazy``.

    >>> ad.nn.parameter.is_lazy(ad.nn.Parameter([1.0]))
    False
    """
    return isinstance(value, UninitializedTensorMixin)
