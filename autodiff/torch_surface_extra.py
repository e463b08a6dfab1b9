"""PyTorch's small namespaces and switches that scripts reach for: ``ad.random``
(``manual_seed``, ``fork_rng`` ...), ``ad.cpu`` (the one device), the eager meaning of
``cond`` and ``while_loop``, ``GradScaler``, ``orgqr`` (``linalg.householder_product``),
``set_default_tensor_type`` (float64 only), ``init_num_threads``,
``is_vulkan_available``, and the rarer creations and queries ``empty_permuted``,
``from_file`` (a tensor over a memory-mapped file) and ``hash_tensor``.

>>> with ad.random.fork_rng():
...     _ = ad.rand(2)          # draws inside leave the outer stream where it was
>>> ad.cond(ad.tensor(True), lambda x: x + 1, lambda x: x - 1, (ad.ones(2),))
tensor([2., 2.])
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import numpy as np

from . import signal_windows
from .amp import GradScaler
from .compile.hooks import made
from .devices import CPU
from .generator import (
    Generator, default_generator, get_rng_state, initial_seed, seed, set_rng_state)
from .devices import check_device
from .missing_dtypes import numpy_dtype
from .nn.module import manual_seed
from .ops.operands import tensor_of
from .tensor import Tensor

__all__ = ["random", "thread_safe_generator", "signal", "windows", "cpu", "cond", "while_loop",
           "GradScaler", "orgqr", "set_default_tensor_type", "init_num_threads",
           "is_vulkan_available", "empty_permuted", "from_file", "hash_tensor"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, device_type=None):
    """Draw inside the block from the default generator, then put its state back as
    it was before, as ``torch.random.fork_rng`` (``devices``: there are no GPUs here).

    >>> _ = ad.manual_seed(0)
    >>> with ad.random.fork_rng():
    ...     inside = ad.rand(1).item()
    >>> ad.rand(1).item() == inside
    True
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def thread_safe_generator():
    """PyTorch's ``thread_safe_generator``: the generator of the DataLoader thread worker
    it runs in, else None (the default generator).  Data are loaded in the main process
    here (``ad.data.get_worker_info()`` is None), so it is always None, which every
    ``generator=`` takes.

    >>> ad.thread_safe_generator() is None
    True
    """
    from .data_sets import get_worker_info

    info = get_worker_info()
    if info is not None and getattr(info, "worker_method", None) == "thread":
        return getattr(info, "rng", None)
    return None


#: ``torch.random``: the default generator's functions.
random = SimpleNamespace(
    manual_seed=manual_seed, seed=seed, initial_seed=initial_seed,
    get_rng_state=get_rng_state, set_rng_state=set_rng_state, fork_rng=fork_rng,
    default_generator=default_generator, Generator=Generator,
    thread_safe_generator=thread_safe_generator)

#: ``torch.signal``: its ``windows`` (``ad.windows`` too, as ``torch.windows``).
signal = SimpleNamespace(windows=signal_windows)
windows = signal_windows

#: ``torch.cpu``: the device every tensor lives on.
cpu = SimpleNamespace(is_available=lambda: True, device_count=lambda: 1,
                      current_device=lambda: str(CPU), is_initialized=lambda: True,
                      synchronize=lambda device=None: None,
                      set_device=lambda device: None)


def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``, the eager
    meaning of ``torch.cond`` (``pred`` a bool, a number or a one-value tensor).

    >>> ad.cond(False, lambda: 1, lambda: 2)
    2
    """
    if not isinstance(operands, (tuple, list)):
        raise TypeError(f"cond: operands must be a tuple or list, got "
                        f"{type(operands).__name__}")
    if hasattr(pred, "data") and np.size(pred.data) != 1:
        raise RuntimeError(f"cond: pred must be a one-value tensor, got shape {pred.shape}")
    return true_fn(*operands) if bool(pred) else false_fn(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Apply ``body_fn`` to the carried values while ``cond_fn`` of them holds and
    return them (a tuple), the eager meaning of ``torch.while_loop``.

    >>> ad.while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,))
    (3,)
    """
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"while_loop: carried_inputs must be a tuple or list, got "
                           f"{type(carried_inputs).__name__}")
    carried = tuple(carried_inputs)
    while bool(cond_fn(*carried)):
        result = body_fn(*carried)
        result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(result) != len(carried):
            raise RuntimeError(f"while_loop: body_fn returned {len(result)} values for "
                               f"{len(carried)} carried inputs; it must return as many")
        carried = result
    return carried


def orgqr(input, tau):
    """``ad.linalg.householder_product(input, tau)``, as ``torch.orgqr``."""
    from .linalg import householder_product
    return householder_product(input, tau)


def set_default_tensor_type(t) -> None:
    """Accept float64, the library's fixed default (``ad.DoubleTensor``,
    ``"torch.DoubleTensor"``, ``ad.float64``), as the deprecated
    ``torch.set_default_tensor_type``; any other type raises."""
    from .legacy_tensors import LegacyTensorType
    if isinstance(t, LegacyTensorType):
        dtype = t.values_dtype
    elif t == "torch.DoubleTensor":
        dtype = np.dtype(np.float64)
    else:
        try:
            dtype = np.dtype(t)
        except TypeError:
            dtype = None
    if dtype != np.dtype(np.float64):
        raise TypeError(f"set_default_tensor_type: only float64 (ad.DoubleTensor) can be "
                        f"the default here, got {t!r}; convert tensors with .float() or "
                        f"dtype=ad.float32 where float32 is wanted")


def init_num_threads() -> None:
    """Nothing to set up: NumPy's threads start with the process."""


def is_vulkan_available() -> bool:
    """False: no Vulkan device here."""
    return False


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A tensor of shape ``size`` whose dims lie in memory in the order
    ``physical_layout`` (outermost first; values not to be relied on: zeros), as
    ``torch.empty_permuted``.

    >>> ad.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1)).stride()
    (60, 1, 15, 3)
    """
    check_device("empty_permuted", device)
    size, order = tuple(int(n) for n in size), tuple(int(d) for d in physical_layout)
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"empty_permuted: physical_layout {order} must be a permutation "
                           f"of the {len(size)} dims of size {size}")
    from .torch_surface import empty_strided
    stride, step = [0] * len(size), 1
    for d in reversed(order):               # (a dim of size 0 steps as one of size 1)
        stride[d], step = step, step * max(size[d], 1)
    return empty_strided(size, stride, dtype=dtype, requires_grad=requires_grad,
                         where="empty_permuted")


def from_file(filename, shared=None, size: int = 0, *, dtype=None, layout=None, device=None,
              pin_memory: bool = False) -> Tensor:
    """A 1-D tensor of ``size`` entries over the memory-mapped file ``filename``, as
    ``torch.from_file``: with ``shared=True`` writes go to the file (made or grown as
    needed); otherwise they stay in the tensor and the file must hold the entries.

    >>> path = "values.bin"; np.arange(3.0).tofile(path)
    >>> ad.from_file(path, size=3)
    tensor([0., 1., 2.])
    """
    import os
    check_device("from_file", device)
    dtype = np.dtype(np.float64 if dtype is None else numpy_dtype("from_file", dtype))
    if size < 0:
        raise ValueError(f"from_file: size must be non-negative, got {size}")
    needed = size * dtype.itemsize
    if shared:
        with open(filename, "ab") as file:           # (made if missing, never cut)
            if file.tell() < needed:
                file.truncate(needed)
    elif not os.path.exists(filename) or os.path.getsize(filename) < needed:
        found = os.path.getsize(filename) if os.path.exists(filename) else "no"
        raise RuntimeError(f"from_file: unable to read {size} entries of {dtype} "
                           f"({needed} bytes) from {filename!r}, which has {found} bytes; "
                           "pass shared=True to make or grow it")
    if size == 0:
        return Tensor(np.zeros(0, dtype))
    mapped = np.memmap(filename, dtype=dtype, mode="r+" if shared else "c", shape=(size,))
    return Tensor(mapped.view(np.ndarray))


def hash_tensor(input, dim=None, *, keepdim: bool = False, mode: int = 0) -> Tensor:
    """The xor of the entries' 64-bit patterns (floats as float64, integers and bools
    as int64) over ``dim`` (all dims when None), a uint64 tensor, as
    ``torch.hash_tensor``.

    >>> ad.hash_tensor(ad.tensor([[1, 2], [3, 4]]), 1)
    tensor([3, 7], dtype=uint64)
    """
    values = tensor_of(input).data
    if mode != 0:
        raise ValueError(f"hash_tensor: only mode=0 (xor reduction) exists, got {mode}")
    if values.dtype.kind == "c":
        raise TypeError(f"hash_tensor: complex input ({values.dtype}) is not supported")
    if values.size == 0 and dim is None:
        raise RuntimeError("hash_tensor: Expected reduction dim to be specified for "
                           f"input.numel() == 0 (shape {values.shape}); pass dim=")
    axis = None if dim is None else (tuple(dim) if isinstance(dim, (list, tuple)) else dim)
    if values.ndim == 0 and axis is not None:
        if any(d not in (0, -1) for d in np.atleast_1d(axis)):
            raise IndexError(f"hash_tensor: dim {dim} is out of range for a 0-d tensor "
                             "(its dims are 0 and -1)")
        axis = None                     # (PyTorch's dim 0 of a 0-d tensor: its one entry)
    for d in () if axis is None else np.atleast_1d(axis):
        if values.shape[d] == 0:
            raise IndexError(f"hash_tensor: Expected reduction dim {d} to have non-zero "
                             f"size (shape {values.shape})")
    return Tensor(made("hash_tensor", _xor_of_bits, (values, axis, keepdim)))


def _xor_of_bits(values, axis, keepdim):
    if values.dtype == np.uint64:
        bits = values
    else:
        wide = np.float64 if values.dtype.kind == "f" else np.int64
        bits = values.astype(wide).view(np.uint64)
    return np.bitwise_xor.reduce(bits, axis=axis, keepdims=keepdim)
