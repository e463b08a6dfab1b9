"""``StateArray``: the values of ``Module.state_dict()``, NumPy arrays that also answer
the copy and conversion methods PyTorch code calls on a ``state_dict``'s tensors.

A ``state_dict`` here maps names to ndarrays (``np.savez(path, **sd)`` writes it), and
PyTorch code written against ``torch.Tensor`` values, such as
``best = {k: v.clone() for k, v in model.state_dict().items()}`` or
``v.detach().cpu().numpy()``, met NumPy's bare ``AttributeError``.  A ``StateArray`` is
an ``np.ndarray`` (``isinstance`` holds, NumPy functions take it as it is, ``np.savez``
and ``np.load`` give plain arrays back) with these methods added, each as PyTorch's:
``clone``, ``detach``, ``cpu``, ``numpy``, ``to``, ``copy_``, ``numel``, ``dim``,
``equal``, ``float``/``double``/``half``/``long``/``int``/``bool`` and ``size()``
(``v.size`` is still NumPy's count of entries; ``v.size()`` is the shape, as
``Tensor.size``).  The methods NumPy has under the same names keep NumPy's meaning
(``v.view(dtype)``, ``v.max()``, ``v.sum(axis=)``), and ``v.dtype`` is a NumPy dtype.

Arithmetic on a ``StateArray`` gives plain arrays: only the values themselves, their
copies (``clone``, ``copy``, ``to``, pickling) and their views carry the methods.  A
pickled ``state_dict`` therefore needs this library to be unpickled (as a pickled
PyTorch one needs PyTorch); ``np.savez`` and ``ad.save`` files hold plain arrays.  A
subclass rather than plain ndarrays: NumPy's arrays cannot take attributes, so
without it ``v.clone()`` could only fail with NumPy's bare ``AttributeError``.

>>> v = ad.nn.Linear(2, 3).state_dict()["weight"]
>>> isinstance(v, np.ndarray), v.clone().numel(), type(v.detach().cpu().numpy()).__name__
(True, 6, 'ndarray')
>>> type(v * 2).__name__
'ndarray'
"""

from __future__ import annotations

import numpy as np

from ..array_methods import to_arguments
from ..torch_shape_methods import size_of


class StateArray(np.ndarray):
    """An ndarray of a ``state_dict`` with PyTorch's copy and conversion methods (see
    the module docstring).

    >>> v = state_array(np.zeros((2, 3)))
    >>> v.size, v.size(), v.dim(), v.to(np.float32).dtype
    (6, autodiff.Size([2, 3]), 2, dtype('float32'))
    """

    values_only = True      # plain values with methods: stored into a Tensor as a plain view

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # (what a ufunc or a reduction gives: a plain array or NumPy scalar)
        array = array.view(np.ndarray) if type(array) is not np.ndarray else array
        return array[()] if return_scalar else array

    @property
    def size(self):
        """NumPy's number of entries, an int which ``size()`` / ``size(d)`` call for
        PyTorch's shape and axis length."""
        return size_of(self.shape)

    def clone(self, *, memory_format=None) -> StateArray:
        """A copy (PyTorch's ``clone``); ``memory_format`` as ``np.copy``'s ``order``
        is not taken: the copy is row-major."""
        _no_memory_format("clone", memory_format)
        return np.array(self, order="C", subok=True)

    def detach(self) -> StateArray:
        """The same values, sharing memory (PyTorch's ``detach``: nothing here is
        recorded)."""
        return self.view(StateArray)

    def cpu(self, memory_format=None) -> StateArray:
        """Itself: arrays live on the CPU (PyTorch's ``cpu()`` of a CPU tensor)."""
        _no_memory_format("cpu", memory_format)
        return self

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A plain ndarray sharing this memory, as PyTorch's ``Tensor.numpy()``."""
        return self.view(np.ndarray)

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False,
           memory_format=None) -> StateArray:
        """Converted to ``dtype`` (a NumPy dtype, a name, a ``torch.dtype`` or an array
        whose dtype to take), itself when nothing changes (a copy with ``copy=True``),
        as PyTorch's; the device must be the CPU (``to("cpu")`` does nothing)."""
        _no_memory_format("to", memory_format)
        dtype = to_arguments("to", args, dtype, device)
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self.clone() if copy else self
        return self.astype(dtype)

    def copy_(self, source, non_blocking: bool = False) -> StateArray:
        """Copy ``source`` (an array, a Tensor or a ``torch.Tensor``, broadcast to this
        shape and cast to this dtype, as PyTorch's) into this array; returns it."""
        values = _plain(source)
        try:
            np.broadcast_to(values, self.shape)
        except ValueError:
            raise ValueError(f"copy_: the source of shape {np.shape(values)} cannot be "
                             f"broadcast to this array's shape {self.shape}") from None
        np.copyto(self, values, casting="unsafe")
        return self

    def numel(self) -> int:
        """The number of entries (NumPy's ``size``)."""
        return int(np.ndarray.size.__get__(self))

    def dim(self) -> int:
        """The number of axes (NumPy's ``ndim``)."""
        return self.ndim

    def equal(self, other) -> bool:
        """Whether ``other`` has this shape and the same values, a Python bool, as
        ``torch.equal`` (NaN is not equal to itself)."""
        other = np.asarray(_plain(other))
        return self.shape == other.shape and bool(np.all(self.view(np.ndarray) == other))

    def float(self) -> StateArray:
        """``astype(np.float32)``, as PyTorch's ``float()``."""
        return self.astype(np.float32)

    def double(self) -> StateArray:
        """``astype(np.float64)``, as PyTorch's ``double()``."""
        return self.astype(np.float64)

    def half(self) -> StateArray:
        """``astype(np.float16)``, as PyTorch's ``half()``."""
        return self.astype(np.float16)

    def long(self) -> StateArray:
        """``astype(np.int64)``, as PyTorch's ``long()``."""
        return self.astype(np.int64)

    def int(self) -> StateArray:
        """``astype(np.int32)``, as PyTorch's ``int()``."""
        return self.astype(np.int32)

    def bool(self) -> StateArray:
        """``astype(bool)``, as PyTorch's ``bool()``."""
        return self.astype(np.bool_)


def state_array(values: np.ndarray) -> StateArray:
    """``values`` (an array the caller owns) as a ``StateArray``, sharing its memory.

    >>> type(state_array(np.zeros(2))).__name__
    'StateArray'
    """
    return values.view(StateArray)


def _plain(value):
    """An array's, a Tensor's or a ``torch.Tensor``'s values, for NumPy."""
    if hasattr(value, "detach") and hasattr(value, "numpy") and not isinstance(
            value, np.ndarray):
        if type(value).__module__.startswith("torch"):
            return value.detach().cpu().numpy()
        return value.data               # a Tensor of this library
    return value


def _no_memory_format(where: str, memory_format) -> None:
    if memory_format is not None and "preserve" not in str(memory_format):
        raise ValueError(f"{where}: memory_format={memory_format!r} is not taken for a "
                         "state_dict's arrays (they are row-major NumPy arrays); use "
                         "ad.tensor(v).contiguous(memory_format=...) for another layout")
