"""PyTorch's top-level names that ordinary scripts use beyond the math: ``asarray``,
``frombuffer``, ``empty_strided``, ``tril_indices`` / ``triu_indices``, ``row_stack``,
the tensor queries (``is_complex``, ``is_signed``, ``is_nonzero``, ``is_same_size``,
``is_inference``, ``typename`` ...), the settings (default device, anomaly mode,
warn-always, denormals, inter-op threads) and the constants ``pi``, ``e``, ``inf``,
``nan``, ``newaxis``.

>>> a = np.zeros(3); ad.asarray(a).data_ptr() == a.ctypes.data
True
>>> ad.tril_indices(3, 3)
tensor([[0, 1, 1, 2, 2, 2],
        [0, 0, 1, 0, 1, 2]])
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .compile.hooks import made
from .devices import CPU, check_device
from .missing_dtypes import numpy_dtype
from .tensor import Tensor, tensor
from .tensor_flags import is_signed_dtype, nonzero_value

__all__ = ["asarray", "frombuffer", "empty_strided", "tril_indices", "triu_indices",
           "row_stack", "is_complex", "is_signed", "is_nonzero", "is_same_size",
           "is_inference", "is_conj", "is_neg", "is_storage", "is_distributed", "get_device",
           "conj_physical", "typename", "is_inference_mode_enabled", "set_default_device",
           "get_default_device", "is_anomaly_enabled", "set_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_warn_always", "is_warn_always_enabled",
           "set_flush_denormal", "get_num_interop_threads", "set_num_interop_threads",
           "pi", "e", "inf", "nan", "newaxis"]

pi, e, inf, nan, newaxis = math.pi, math.e, math.inf, math.nan, None


def asarray(obj, dtype=None, *, device=None, copy=None, requires_grad=None) -> Tensor:
    """``obj`` as a tensor, over the same memory when it can be (a tensor is returned
    itself; an ``np.ndarray`` or buffer is viewed), as ``torch.asarray`` (and
    ``np.asarray``, whose second argument is ``dtype`` too).  ``copy=True`` always
    copies, ``copy=False`` raises where a copy is needed (a dtype change, a list);
    ``requires_grad`` set on a tensor changes the tensor's own flag, as PyTorch.

    >>> a = np.zeros(3); t = ad.asarray(a); t.data_ptr() == a.ctypes.data
    True
    """
    check_device("asarray", device)
    if dtype is not None:
        dtype = numpy_dtype("asarray", dtype)
    if isinstance(obj, Tensor):
        return _tensor_as_tensor(obj, dtype, copy, requires_grad)
    if isinstance(obj, (list, tuple, int, float, complex, bool)):
        if copy is False:
            raise ValueError(f"asarray: can't alias a {type(obj).__name__} into a tensor "
                             "(copy=False); the values must be copied: pass copy=None or "
                             "True")
        result = tensor(obj, dtype=dtype)
    else:
        try:
            array = np.asarray(obj, dtype=dtype, copy=copy)
        except ValueError as error:
            raise ValueError(f"asarray: copy=False, but {type(obj).__name__} data of dtype "
                             f"{np.asarray(obj).dtype} can't be viewed as {dtype} without a "
                             f"copy ({error}); pass copy=None to allow it") from None
        if array.dtype == object or array.dtype.kind in "USV":
            raise TypeError(f"asarray: {type(obj).__name__} data of dtype {array.dtype} "
                            "is not numbers; pass numbers, an ndarray or a buffer")
        result = Tensor(array)
    if requires_grad:
        result.requires_grad_(True)
    return result


def _tensor_as_tensor(obj: Tensor, dtype, copy, requires_grad) -> Tensor:
    if dtype is not None and dtype != obj.dtype:
        if copy is False:
            raise ValueError(f"asarray: can't alias a tensor of dtype {obj.dtype} into dtype "
                             f"{dtype} (copy=False); pass copy=None to convert")
        result = obj.to(dtype)
    elif copy:
        result = obj.clone()
    else:
        result = obj
    if requires_grad is not None and result.requires_grad != requires_grad:
        result.requires_grad_(requires_grad)
    return result


def frombuffer(buffer, dtype=None, count: int = -1, offset: int = 0, *,
               requires_grad: bool = False) -> Tensor:
    """A 1-D tensor over the memory of ``buffer`` (``bytearray``, ``memoryview``,
    ``array.array``, ...), ``count`` entries of ``dtype`` from byte ``offset`` (all that
    remain when -1), as ``torch.frombuffer`` (and ``np.frombuffer``: float64 when no
    ``dtype`` is given); writes through it change the buffer.  A read-only buffer
    (``bytes``) gives a tensor that refuses in-place writes.

    >>> b = bytearray(8); t = ad.frombuffer(b, dtype=ad.int32); t[0] = 7; b[0]
    7
    """
    dtype = np.dtype(np.float64 if dtype is None else numpy_dtype("frombuffer", dtype))
    if isinstance(buffer, Tensor):
        buffer = buffer.data                # (its memory, as NumPy reads an ndarray's)
    length = memoryview(buffer).nbytes
    if length == 0 or count == 0:
        raise ValueError(f"frombuffer: both buffer length ({length}) and count ({count}) "
                         "must not be 0")
    if not 0 <= offset < max(length, 1):
        raise ValueError(f"frombuffer: offset ({offset} bytes) must be non-negative and no "
                         f"greater than buffer length ({length} bytes) minus 1")
    if count < 0 and (length - offset) % dtype.itemsize:
        raise ValueError(f"frombuffer: buffer length ({length - offset} bytes) after offset "
                         f"({offset} bytes) must be a multiple of element size "
                         f"({dtype.itemsize}); pass count= to read fewer entries")
    if count >= 0 and offset + count * dtype.itemsize > length:
        raise ValueError(f"frombuffer: requested buffer length ({count} * {dtype.itemsize} "
                         f"bytes) after offset ({offset} bytes) must not be greater than "
                         f"actual buffer length ({length} bytes)")
    array = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
    return Tensor(array, requires_grad=requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False,
                  where: str = "empty_strided") -> Tensor:
    """A tensor of shape ``size`` whose entries lie ``stride`` entries apart in memory
    (values not to be relied on: they are zeros), as ``torch.empty_strided``.

    >>> t = ad.empty_strided((2, 3), (1, 2)); t.shape, t.stride()
    ((2, 3), (1, 2))
    """
    check_device(where, device)
    from .tensor_flags import strided
    if layout is not None and layout != strided:
        raise ValueError(f"{where}: only layout=ad.strided exists here, got {layout!r}")
    size, stride = tuple(map(operator.index, size)), tuple(map(operator.index, stride))
    if len(size) != len(stride):
        raise RuntimeError(f"{where}: dimensionality of sizes ({len(size)}) must match "
                           f"dimensionality of strides ({len(stride)})")
    if any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise ValueError(f"{where}: sizes {size} and strides {stride} must be non-negative")
    dtype = np.dtype(np.float64 if dtype is None else numpy_dtype(where, dtype))
    return Tensor(made(where, _strided_zeros, (size, stride, dtype)),
                  requires_grad=requires_grad)


def _strided_zeros(size, stride, dtype):
    span = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    return np.lib.stride_tricks.as_strided(np.zeros(span, dtype), size,
                                           tuple(s * dtype.itemsize for s in stride))


def tril_indices(row: int, col: int | None = None, offset: int = 0, *, dtype=np.int64,
                 device=None, layout=None) -> Tensor:
    """The (row, column) indices of the lower triangle of a ``row`` x ``col`` matrix
    (on and below diagonal ``offset``) as a ``2 x N`` tensor, rows then columns in
    order, as ``torch.tril_indices`` (PyTorch's meaning of the name: NumPy's
    ``np.tril_indices(n, k, m)`` returns a tuple; ``col`` is required here).

    >>> ad.tril_indices(2, 3, 1)
    tensor([[0, 0, 1, 1, 1],
            [0, 1, 0, 1, 2]])
    """
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row: int, col: int | None = None, offset: int = 0, *, dtype=np.int64,
                 device=None, layout=None) -> Tensor:
    """The (row, column) indices of the upper triangle of a ``row`` x ``col`` matrix
    (on and above diagonal ``offset``) as a ``2 x N`` tensor, as ``torch.triu_indices``.

    >>> ad.triu_indices(3, 3, 1)
    tensor([[0, 0, 1],
            [1, 2, 2]])
    """
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)


def _triangle_indices(where, numpy_indices, row, col, offset, dtype, device) -> Tensor:
    check_device(where, device)
    if col is None:
        raise TypeError(f"{where}(row, col, offset=0) is PyTorch's, a 2 x N tensor: pass "
                        f"the number of columns too; for NumPy's {where}(n, k, m) (a tuple "
                        f"of index arrays) call np.{where}")
    for name, value in (("row", row), ("col", col), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{where}(): argument {name!r} must be int, not "
                            f"{type(value).__name__}")
    for name, value in (("row", row), ("col", col)):
        if value < 0:
            raise RuntimeError(f"{where}: {name} must be non-negative, got {value}")
    dtype = np.dtype(numpy_dtype(where, dtype))
    if dtype not in (np.dtype(np.int64), np.dtype(np.int32)):
        raise NotImplementedError(f"{where}: not implemented for dtype {dtype}; use "
                                  "ad.int64 (the default) or ad.int32")
    return Tensor(made(where, _stacked_indices, (numpy_indices, row, col, offset, dtype)))


def _stacked_indices(numpy_indices, row, col, offset, dtype):
    return np.stack(numpy_indices(row, offset, col)).astype(dtype, copy=False)


def row_stack(tensors) -> Tensor:
    """``vstack``: the tensors made at least 2-D and joined along dim 0, as
    ``torch.row_stack`` (and NumPy's ``row_stack``, which NumPy 2.0 deprecated).

    >>> ad.row_stack([ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    from .ops.join import vstack
    return vstack(tensors)


def _checked_tensor(where: str, input) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{where}(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    return input


def is_complex(input) -> bool:
    """Whether ``input``'s dtype is complex, as ``torch.is_complex``.

    >>> ad.is_complex(ad.zeros(2))
    False
    """
    return _checked_tensor("is_complex", input).dtype.kind == "c"


def is_signed(input) -> bool:
    """Whether ``input``'s dtype holds negative values, as ``torch.is_signed``.

    >>> ad.is_signed(ad.tensor([1], dtype=np.uint8))
    False
    """
    return is_signed_dtype(_checked_tensor("is_signed", input).dtype)


def is_nonzero(input) -> bool:
    """Whether the one value of ``input`` is not zero, as ``torch.is_nonzero``.

    >>> ad.is_nonzero(ad.tensor([1.5]))
    True
    """
    return nonzero_value(_checked_tensor("is_nonzero", input), "is_nonzero")


def is_same_size(input, other) -> bool:
    """Whether the two tensors have the same shape, as ``torch.is_same_size``."""
    return _checked_tensor("is_same_size", input).is_same_size(other)


def is_inference(input) -> bool:
    """Whether ``input`` was made in an ``inference_mode`` block (``Tensor.is_inference``)."""
    return _checked_tensor("is_inference", input).is_inference()


def is_conj(input) -> bool:
    """False: conjugation is never lazy here."""
    return _checked_tensor("is_conj", input).is_conj()


def is_neg(input) -> bool:
    """False: negation is never lazy here."""
    return _checked_tensor("is_neg", input).is_neg()


def is_distributed(input) -> bool:
    """False: no tensor is split between processes here."""
    return _checked_tensor("is_distributed", input).is_distributed()


def is_storage(obj) -> bool:
    """False: there are no storage objects here (tensors are NumPy arrays)."""
    return False


def get_device(input) -> int:
    """-1, the device index of a CPU tensor, as ``torch.get_device``."""
    return _checked_tensor("get_device", input).get_device()


def conj_physical(input) -> Tensor:
    """The complex conjugate, computed; a real tensor itself, as
    ``torch.conj_physical``."""
    return _checked_tensor("conj_physical", input).conj_physical()


def typename(obj) -> str:
    """The type name of ``obj`` as ``torch.typename`` gives it: a tensor's legacy type
    (``'torch.DoubleTensor'``, as ``t.type()``), else the module and class name.

    >>> ad.typename(ad.zeros(1)), ad.typename(ad.nn.Linear(1, 1)), ad.typename(1.5)
    ('torch.DoubleTensor', 'autodiff.nn.modules.Linear', 'float')
    """
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    if not hasattr(obj, "__qualname__"):
        module = type(obj).__module__
    return name if module in ("", "builtins") else f"{module}.{name}"


def is_inference_mode_enabled() -> bool:
    """Whether an ``ad.inference_mode()`` block is in effect in this thread.

    >>> with ad.inference_mode():
    ...     ad.is_inference_mode_enabled()
    True
    """
    from .grad_mode import inference_mode_enabled
    return inference_mode_enabled()


def set_default_device(device) -> None:
    """Accept the CPU (or None) as the device of new tensors, as
    ``torch.set_default_device``; any other device raises: arrays live on the CPU."""
    if device is not None:
        check_device("set_default_device", device)


def get_default_device():
    """``ad.device('cpu')``, where new tensors are made, as ``torch.get_default_device``.

    >>> ad.get_default_device()
    device(type='cpu')
    """
    return CPU


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on in this thread (``ad.detect_anomaly()`` or
    ``set_anomaly_enabled(True)``), as ``torch.is_anomaly_enabled``."""
    from .autograd import is_anomaly_enabled as enabled
    return enabled()


def set_anomaly_enabled(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection (``ad.detect_anomaly``) on or off in this thread, as
    ``torch.set_anomaly_enabled``; ``check_nan=False`` is refused (the checks are for
    NaN).

    >>> ad.set_anomaly_enabled(True); ad.is_anomaly_enabled()
    True
    >>> ad.set_anomaly_enabled(False); ad.is_anomaly_enabled()
    False
    """
    from .autograd import set_detect_anomaly
    set_detect_anomaly(mode, check_nan)


def is_anomaly_check_nan_enabled() -> bool:
    """True: anomaly detection always checks for NaN (PyTorch's default)."""
    return True


#: The process-wide switches of this module (PyTorch's are process-wide too).
_settings = {"warn_always": False, "interop_threads": 1}


def set_warn_always(b: bool) -> None:
    """Record the warn-always switch, as ``torch.set_warn_always``.  The library's
    warnings go through Python's ``warnings`` module, whose filters decide whether a
    repeat is shown (``warnings.simplefilter("always")`` shows every one); this switch
    is read back by ``is_warn_always_enabled`` and changes nothing else."""
    if not isinstance(b, bool):
        raise TypeError(f"set_warn_always: expected a bool, got {type(b).__name__}")
    _settings["warn_always"] = b


def is_warn_always_enabled() -> bool:
    """The value last given to ``set_warn_always`` (False at first)."""
    return _settings["warn_always"]


def set_flush_denormal(mode: bool) -> bool:
    """False, as ``torch.set_flush_denormal`` answers where flushing denormals is not
    supported: NumPy has no switch for it, so subnormal floats stay as they are."""
    return False


def get_num_interop_threads() -> int:
    """The number given to ``set_num_interop_threads`` (1 at first): ops here run one
    after another in the calling thread; intra-op threads are ``get_num_threads``."""
    return _settings["interop_threads"]


def set_num_interop_threads(num: int) -> None:
    """Record the number of inter-op threads, as ``torch.set_num_interop_threads``
    (a positive int); read back by ``get_num_interop_threads``."""
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num <= 0:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got "
                           f"{num!r}")
    _settings["interop_threads"] = int(num)
