"""``TorchArray``: an ndarray subclass answering the copy and conversion methods PyTorch
code calls on a tensor's values (``clone``, ``detach``, ``cpu``, ``numpy``, ``to``,
``copy_``, ``numel``, ``dim``, ``equal``, ``float``/``double``/``half``/``long``/``int``/
``bool`` and ``size()``), the base of ``StateArray`` (``state_dict()`` values) and
``GradArray`` (``Tensor.grad``).

It is an ``np.ndarray``: ``isinstance`` holds, NumPy functions take it as it is, and
arithmetic on it gives plain arrays (``__array_wrap__``); only the array itself, its
copies (``clone``, ``copy``, ``to``) and its views carry the methods.  The methods
NumPy has under the same names keep NumPy's meaning (``v.view(dtype)``, ``v.sum(axis=)``),
and ``v.dtype`` is a NumPy dtype.

>>> v = np.zeros((2, 3)).view(TorchArray)
>>> v.size, v.size(), v.dim(), type(v * 2).__name__
(6, autodiff.Size([2, 3]), 2, 'ndarray')
"""

from __future__ import annotations

import numpy as np

from .array_methods import DtypeShorthands, to_arguments
from .torch_shape_methods import size_of


class TorchArray(DtypeShorthands, np.ndarray):
    """An ndarray with PyTorch's copy and conversion methods (see the module docstring)."""

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # (what a ufunc or a reduction gives: a plain array or NumPy scalar; the array
        # itself when it was the ufunc's out=, so that ``g += 1`` keeps ``g`` as it is)
        if array is self:
            return self
        array = array.view(np.ndarray) if type(array) is not np.ndarray else array
        return array[()] if return_scalar else array

    @property
    def size(self):
        """NumPy's number of entries, an int which ``size()`` / ``size(d)`` call for
        PyTorch's shape and axis length."""
        return size_of(self.shape)

    def clone(self, *, memory_format=None):
        """A copy (PyTorch's ``clone``), of this class; ``memory_format`` as
        ``np.copy``'s ``order`` is not taken: the copy is row-major."""
        _no_memory_format("clone", memory_format)
        return np.array(self, order="C", subok=True)

    def detach(self):
        """The same values, sharing memory (PyTorch's ``detach``: nothing here is
        recorded)."""
        return self.view(type(self))

    def cpu(self, memory_format=None):
        """Itself: arrays live on the CPU (PyTorch's ``cpu()`` of a CPU tensor)."""
        _no_memory_format("cpu", memory_format)
        return self

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A plain ndarray sharing this memory, as PyTorch's ``Tensor.numpy()``."""
        return self.view(np.ndarray)

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False,
           memory_format=None):
        """Converted to ``dtype`` (a NumPy dtype, a name, a ``torch.dtype`` or an array
        whose dtype to take), itself when nothing changes (a copy with ``copy=True``),
        as PyTorch's; the device must be the CPU (``to("cpu")`` does nothing)."""
        _no_memory_format("to", memory_format)
        dtype = to_arguments("to", args, dtype, device)
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self.clone() if copy else self
        return self.astype(dtype)

    def _as_dtype(self, dtype):
        # (``g.float()`` of a float32 array is the array itself, as PyTorch's: an
        # in-place method on it, ``p.grad.float().mul_(2)``, changes the gradient)
        return self.to(dtype)

    def copy_(self, source, non_blocking: bool = False):
        """Copy ``source`` (an array, a Tensor or a ``torch.Tensor``, broadcast to this
        shape and cast to this dtype, as PyTorch's) into this array; returns it."""
        values = values_of(source)
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
        other = np.asarray(values_of(other))
        return self.shape == other.shape and bool(np.all(self.view(np.ndarray) == other))


def values_of(value):
    """An array's, a Tensor's or a ``torch.Tensor``'s values, for NumPy."""
    if hasattr(value, "detach") and hasattr(value, "numpy") and not isinstance(
            value, np.ndarray):
        if type(value).__module__.startswith("torch"):
            return value.detach().cpu().numpy()
        return value.data               # a Tensor of this library
    return value


def _no_memory_format(where: str, memory_format) -> None:
    if memory_format is not None and "preserve" not in str(memory_format):
        raise ValueError(f"{where}: memory_format={memory_format!r} is not taken for "
                         "NumPy arrays (they are row-major); use "
                         "ad.tensor(v).contiguous(memory_format=...) for another layout")
