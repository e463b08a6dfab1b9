"""A ``Module``'s dtype conversions, as in PyTorch: ``to(dtype)``, ``float()``,
``double()``, ``half()`` and ``bfloat16()``.

Each converts the floating-point parameters, their gradients and the floating-point
buffers in place: the ``Parameter`` objects stay (their ``.data`` is replaced), so an
optimizer built before the conversion still holds them, as in PyTorch.  Its state
(momentum, Adam's averages) keeps its dtype, as PyTorch's does.

NumPy has no bfloat16, so ``bfloat16()`` and ``to("bfloat16")`` raise and name what
to use instead.
"""

from __future__ import annotations

import numpy as np

from ..array_methods import to_arguments
from ..missing_dtypes import bfloat16_error
from ..compile.hooks import refused_in_trace
from ..tensor import Tensor


def is_lazy(value) -> bool:
    from .parameter import is_lazy as uninitialized     # (parameter.py imports module.py)
    return uninitialized(value)


_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


class DtypeMethods:
    """The dtype conversions of ``Module`` (a mixin)."""

    @refused_in_trace
    def to(self, *args, dtype=None, device=None, non_blocking=False, memory_format=None):
        """Convert every parameter, its gradient and every floating-point buffer to
        ``dtype`` in place (the ``Parameter`` objects stay, as in PyTorch); returns the
        module.  Takes ``to(dtype)``, ``to("cpu")``, ``to("cpu", dtype)`` and the
        keywords; only the CPU exists here.  ``memory_format=ad.channels_last`` lays
        out the 4-d and 5-d ones so in memory, as PyTorch's (values unchanged).

        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 3)).to(np.float32)
        >>> net[0].weight.dtype
        dtype('float32')
        """
        where = f"{type(self).__name__}.to"
        dtype = to_arguments(where, args, dtype, device, stored="parameters")
        if memory_format is not None:
            self._relaid(where, memory_format)
        if dtype is None:
            return self
        try:
            target = np.dtype(dtype)
        except TypeError:
            target = None
        if target not in _FLOAT_DTYPES:
            raise TypeError(f"{where}: dtype must be np.float16, np.float32 or np.float64, "
                            f"got {dtype!r}; parameters are floating point")
        return self._converted(target)

    def cpu(self):
        """The module itself: its arrays live in NumPy, on the CPU (PyTorch's ``cpu()``)."""
        return self

    @refused_in_trace
    def share_memory(self):
        """Move every parameter, its gradient and every buffer into memory shared between
        processes (``Tensor.share_memory_``), as PyTorch's ``Module.share_memory``, for
        Hogwild-style training: workers started with the ``fork`` start method update the
        same values in place.  Sending the module to a process by pickling (``spawn``, a
        Queue) is refused instead of sharing nothing (see ``autodiff.shared_memory``).
        The Parameter objects, values, shapes and dtypes stay; returns the module.

        >>> net = ad.nn.Linear(2, 3, rng=0)
        >>> net.share_memory() is net, net.weight.is_shared()
        (True, True)
        """
        from ..shared_memory import shared_copy
        from ..tensor_methods_sixth import _refuse_uninitialized
        for _, module in self.named_modules():      # (refused before anything moves)
            for value in (*module._parameters.values(), *module._buffers.values()):
                _refuse_uninitialized(value)
        for param in self.parameters():
            param.share_memory_()
            if param._grad is not None:
                param._grad = shared_copy(np.asarray(param._grad))
        for _, module in self.named_modules():
            for name, array in module._buffers.items():
                if isinstance(array, Tensor):       # (the same tensor object stays)
                    array.share_memory_()
                elif array is not None:
                    module._buffers[name] = shared_copy(array)
                    object.__setattr__(module, name, module._buffers[name])
        return self

    def cuda(self, device=None):
        """Refused, naming the way out: there is no GPU here (``to("cpu")`` works)."""
        return self.to("cuda" if device is None else device)

    def float(self):
        """``to(np.float32)``, as PyTorch's ``float()``."""
        return self.to(np.float32)

    def double(self):
        """``to(np.float64)``, as PyTorch's ``double()``."""
        return self.to(np.float64)

    def half(self):
        """``to(np.float16)``, as PyTorch's ``half()``: parameters, gradients and
        floating-point buffers become float16 in place; returns the module.

        >>> net = ad.nn.Linear(2, 3).half()
        >>> net.weight.dtype, net(ad.tensor(np.ones((1, 2), np.float16))).dtype
        (dtype('float16'), dtype('float16'))
        """
        return self.to(np.float16)

    def bfloat16(self):
        """PyTorch's ``bfloat16()``, which cannot exist here: NumPy has no bfloat16, so
        this raises ``TypeError``; ``half()`` gives 16-bit (float16) parameters."""
        raise bfloat16_error(f"{type(self).__name__}.bfloat16", "parameters")

    def _relaid(self, where, memory_format) -> None:
        from ..memory_formats import axis_order, check_format, laid_out
        check_format(where, memory_format)
        for param in self.parameters():
            if param.data.ndim in (4, 5):
                order = axis_order(where, memory_format, param.data.ndim)
                if order is not None:
                    param.data = laid_out(param.data, order)
                    if param._grad is not None:
                        param._grad = laid_out(np.asarray(param._grad), order)
        for _, module in self.named_modules():
            for name, array in module._buffers.items():
                if array is not None and not is_lazy(array) and array.ndim in (4, 5):
                    order = axis_order(where, memory_format, array.ndim)
                    if order is None:
                        continue
                    if isinstance(array, Tensor):
                        array.data = laid_out(array.data, order)
                    else:
                        module._buffers[name] = laid_out(array, order)
                        object.__setattr__(module, name, module._buffers[name])

    def _converted(self, dtype):
        for param in self.parameters():
            if param.data.dtype != dtype:
                _convert_tensor(param, dtype)
        for _, module in self.named_modules():
            for name, array in module._buffers.items():
                if is_lazy(array):                   # (a lazy layer's: keeps no values)
                    array.data = array.data.astype(dtype)
                elif array is not None and array.dtype.kind == "f" and array.dtype != dtype:
                    if isinstance(array, Tensor):   # (the same tensor object stays)
                        _convert_tensor(array, dtype)
                    else:
                        module._buffers[name] = array.astype(dtype)
                        object.__setattr__(module, name, module._buffers[name])
        return self


def _convert_tensor(tensor, dtype) -> None:
    """A parameter's or a Tensor buffer's values (and gradient) in ``dtype``, in place."""
    grad = tensor._grad
    tensor.data = tensor.data.astype(dtype)
    if grad is not None:
        tensor._grad = grad.astype(dtype)
