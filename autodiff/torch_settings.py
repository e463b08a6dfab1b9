"""PyTorch's global switches that seeding and set-up code calls, and ``is_tensor``.

Every op here runs on NumPy on the CPU and gives the same result for the same inputs,
so ``use_deterministic_algorithms(True)`` asks for nothing more and is kept only to be
read back; float32 products are computed at full float32 precision, which every
``set_float32_matmul_precision`` level allows ('high' and 'medium' permit, but do not
require, faster and coarser products).
"""

from __future__ import annotations

from .tensor import Tensor

__all__ = ["is_tensor", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "get_float32_matmul_precision"]

_settings = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a Tensor (PyTorch's ``torch.is_tensor``).

    >>> ad.is_tensor(ad.ones(2)), ad.is_tensor(np.ones(2))
    (True, False)
    """
    return isinstance(obj, Tensor)


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """PyTorch's switch for deterministic kernels; every op here already is, so this
    only records the setting (``are_deterministic_algorithms_enabled`` reads it).

    >>> ad.use_deterministic_algorithms(True); ad.are_deterministic_algorithms_enabled()
    True
    >>> ad.use_deterministic_algorithms(False)
    """
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(f"use_deterministic_algorithms: {name} must be a bool, got "
                            f"{type(value).__name__}")
    _settings["deterministic"], _settings["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """The ``mode`` last given to ``use_deterministic_algorithms`` (False at first)."""
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """The ``warn_only`` last given to ``use_deterministic_algorithms``."""
    return _settings["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's 'highest' | 'high' | 'medium'; products stay at full float32
    precision, which each level allows (see the module).

    >>> ad.set_float32_matmul_precision("high"); ad.get_float32_matmul_precision()
    'high'
    >>> ad.set_float32_matmul_precision("highest")
    """
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: precision must be 'highest', "
                           f"'high' or 'medium', got {precision!r}")
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """The level last given to ``set_float32_matmul_precision`` ('highest' at first)."""
    return _settings["matmul_precision"]
