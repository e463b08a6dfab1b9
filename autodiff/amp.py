"""Mixed precision as PyTorch runs it on a machine without a GPU: ``ad.autocast``,
``ad.amp.autocast`` / ``GradScaler`` and ``ad.cuda.amp``'s.

Training templates write ``with torch.autocast("cuda", enabled=use_amp)`` and
``scaler = torch.amp.GradScaler("cuda")`` around an ordinary step.  Without CUDA,
PyTorch warns and disables both: autocast computes in the tensors' own dtypes and the
scaler's ``scale(loss)`` is ``loss``, ``step(opt)`` is ``opt.step()``.  Here that is
all there is, so those lines run and give PyTorch's CPU results.  What would change the
numbers is refused: autocast on the CPU (PyTorch's computes in bfloat16 there) and a
scaler for the CPU.

>>> with ad.autocast("cpu", enabled=False):
...     y = ad.ones(2) * 2
>>> scaler = ad.amp.GradScaler(enabled=False)
>>> scaler.scale(y.sum()).item(), scaler.get_scale()
(4.0, 1.0)
"""

from __future__ import annotations

import types
import warnings

from .devices import cuda

__all__ = ["autocast", "GradScaler", "is_autocast_enabled"]


def _device_kind(where: str, device_type) -> str:
    kind = str(device_type).split(":")[0]
    if kind not in ("cpu", "cuda", "mps", "xpu"):
        raise ValueError(f"{where}: unknown device_type {device_type!r}; use 'cuda' or 'cpu'")
    return kind


class autocast:
    """PyTorch's ``torch.autocast(device_type, dtype=None, enabled=True,
    cache_enabled=None)``: for a GPU device it warns and does nothing (no GPU here, as
    PyTorch without CUDA); with ``enabled=False`` it does nothing; CPU autocast is
    refused (it would compute in bfloat16).  A context manager and a decorator."""

    def __init__(self, device_type="cuda", dtype=None, enabled: bool = True,
                 cache_enabled=None):
        kind = _device_kind("autocast", device_type)
        if enabled and kind == "cpu":
            raise NotImplementedError(
                "autocast('cpu'): CPU autocast computes in bfloat16 (or float16), which is "
                "not supported here; run in float32/float64 (enabled=False), or convert "
                "the model with .half() for float16")
        if enabled:
            warnings.warn(f"autocast: device_type {kind!r} is not available (no GPU; arrays "
                          "live in NumPy, on the CPU). Disabling autocast.", UserWarning,
                          stacklevel=2)
        self.device = kind
        self.fast_dtype = dtype

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def run(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return run


def is_autocast_enabled(device_type=None) -> bool:
    """False: autocast is never on here (see ``autocast``)."""
    return False


class GradScaler:
    """PyTorch's ``GradScaler(device="cuda", init_scale=2.**16, growth_factor=2.0,
    backoff_factor=0.5, growth_interval=2000, enabled=True)`` without a GPU: disabled
    (with PyTorch's warning when ``enabled`` was asked for), so ``scale(x)`` is ``x``,
    ``step(optimizer)`` is ``optimizer.step()``, ``unscale_`` and ``update`` do nothing
    and ``get_scale()`` is 1.0.  A scaler for the CPU is refused."""

    def __init__(self, device="cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        kind = _device_kind("GradScaler", device)
        if enabled and kind == "cpu":
            raise NotImplementedError(
                "GradScaler('cpu'): loss scaling is for float16 gradients, which are not "
                "computed here; leave it out (or pass enabled=False)")
        if enabled:
            warnings.warn("GradScaler is enabled, but CUDA is not available (arrays live in "
                          "NumPy, on the CPU).  Disabling.", UserWarning, stacklevel=2)
        self._device = kind

    def is_enabled(self) -> bool:
        return False

    def scale(self, outputs):
        """``outputs`` unchanged (a disabled scaler's, as PyTorch's)."""
        return outputs

    def unscale_(self, optimizer) -> None:
        """Nothing to undo: the gradients were not scaled."""

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)``, its result returned."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Nothing to update: a disabled scaler keeps no scale."""

    def get_scale(self) -> float:
        return 1.0

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict) -> None:
        """Accepts a disabled scaler's (empty) state."""


def _cuda_amp():
    """``ad.cuda.amp``: PyTorch's older spelling, the same objects for 'cuda'."""
    return types.SimpleNamespace(autocast=lambda enabled=True, dtype=None, cache_enabled=None:
                                 autocast("cuda", dtype, enabled, cache_enabled),
                                 GradScaler=lambda *args, **kwargs: GradScaler("cuda", *args,
                                                                               **kwargs))


cuda.amp = _cuda_amp()      # ad.cuda.amp.autocast / GradScaler (PyTorch's torch.cuda.amp)
