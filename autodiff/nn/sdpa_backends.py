"""``torch.nn.attention``'s choice of kernel for ``F.scaled_dot_product_attention``:
``SDPBackend`` and the ``sdpa_kernel`` block (``with sdpa_kernel(SDPBackend.MATH):``).

This library has one way to compute attention, PyTorch's math one (a softmax of
``q @ k^T * scale``).  A block that enables ``MATH`` or ``FLASH_ATTENTION`` (the two
PyTorch has on the CPU, which give the same values) runs it; a block that enables
neither, where PyTorch on the CPU finds no kernel and raises, raises here too.
"""

from __future__ import annotations

import contextlib
import enum
import threading

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.IntEnum):
    """The kernels ``sdpa_kernel`` chooses among, with PyTorch's numbers."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


#: What PyTorch runs on the CPU; this library's computation stands for both.
_RUNNABLE = frozenset({SDPBackend.MATH, SDPBackend.FLASH_ATTENTION})


class _Enabled(threading.local):
    backends = None                     # (outside any sdpa_kernel block)


_enabled = _Enabled()


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Let ``F.scaled_dot_product_attention`` use only ``backends`` (an ``SDPBackend``
    or a list of them) inside the block, as ``torch.nn.attention.sdpa_kernel``; also a
    decorator.  ``set_priority`` (an order among the kernels) changes nothing here.

    >>> from autodiff.nn.attention import SDPBackend, sdpa_kernel
    >>> q = ad.ones((1, 2, 4))
    >>> with sdpa_kernel(SDPBackend.MATH):
    ...     F.scaled_dot_product_attention(q, q, q).shape
    (1, 2, 4)
    """
    if isinstance(backends, SDPBackend):
        backends = [backends]
    if not isinstance(backends, list) or not all(isinstance(b, SDPBackend) for b in backends):
        raise TypeError("sdpa_kernel: backends must be an SDPBackend or a list of SDPBackend "
                        f"members, got {backends!r}")
    previous = _enabled.backends
    _enabled.backends = tuple(dict.fromkeys(backends))
    try:
        yield {}
    finally:
        _enabled.backends = previous


def check_a_kernel_is_enabled(where: str) -> None:
    """Raise as PyTorch on the CPU does inside an ``sdpa_kernel`` block that enables
    neither ``MATH`` nor ``FLASH_ATTENTION``.  A compiled function's plan fits while
    the block around its call enables what it did at the trace (a replay inside
    another block traces again, and raises as an eager call)."""
    from ..compile import hooks
    tracer = hooks.active
    if tracer is not None and tracer.owns_thread():
        tracer.states_read[id(_enabled)] = (_enabled, "backends")
    backends = _enabled.backends
    if backends is None or _RUNNABLE.intersection(backends):
        return
    names = ", ".join(f"SDPBackend.{b.name}" for b in backends) or "none"
    raise RuntimeError(
        f"{where}: no viable kernel: the sdpa_kernel block enables {names}, which PyTorch "
        "has no CPU kernel for; this library computes attention as SDPBackend.MATH does "
        "(FLASH_ATTENTION gives the same values): enable one of those two")
