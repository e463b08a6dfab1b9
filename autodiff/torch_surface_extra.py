"""PyTorch's small namespaces and switches that scripts reach for: ``ad.random``
(``manual_seed``, ``fork_rng`` ...), ``ad.cpu`` (the one device), the eager meaning of
``cond`` and ``while_loop``, ``GradScaler``, ``orgqr`` (``linalg.householder_product``),
``set_default_tensor_type`` (float64 only), ``init_num_threads`` and
``is_vulkan_available``.

>>> with ad.random.fork_rng():
...     _ = ad.rand(2)          # draws inside leave the outer stream where it was
>>> ad.cond(ad.tensor(True), lambda x: x + 1, lambda x: x - 1, (ad.ones(2),))
tensor([2., 2.])
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import numpy as np

from .amp import GradScaler
from .devices import CPU
from .generator import (
    Generator, default_generator, get_rng_state, initial_seed, seed, set_rng_state)
from .nn.module import manual_seed

__all__ = ["random", "cpu", "cond", "while_loop", "GradScaler", "orgqr",
           "set_default_tensor_type", "init_num_threads", "is_vulkan_available"]


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


#: ``torch.random``: the default generator's functions.
random = SimpleNamespace(
    manual_seed=manual_seed, seed=seed, initial_seed=initial_seed,
    get_rng_state=get_rng_state, set_rng_state=set_rng_state, fork_rng=fork_rng,
    default_generator=default_generator, Generator=Generator)

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
