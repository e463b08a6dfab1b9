"""PyTorch's device names, for the lines every training script starts with:
``device = ad.device("cuda" if ad.cuda.is_available() else "cpu")``,
``ad.backends.mps.is_available()``, ``ad.cuda.manual_seed_all(seed)``, and the newer
``ad.accelerator.current_accelerator().type if ad.accelerator.is_available() else "cpu"``.

Arrays live in NumPy, on the CPU: ``ad.cuda.is_available()`` is False, so such a
script picks the CPU, and ``tensor.to(device)`` / ``module.to(device)`` accept it and
do nothing.  A ``device("cuda")`` can be made, as in PyTorch without a GPU, and moving
a tensor or module to it raises, naming the device.
"""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["device", "cuda", "backends", "accelerator"]


class device:
    """A device name, as ``torch.device``: ``type`` and ``index`` (only ``'cpu'`` holds
    arrays here).

    >>> d = ad.device("cpu"); d.type, d.index, str(d), d == "cpu"
    ('cpu', None, 'cpu', True)
    >>> ad.ones(2).to(d).shape
    (2,)
    """

    def __init__(self, type: str | device, index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a name such as 'cpu' or 'cuda:0', got "
                            f"{type!r}")
        name, _, number = type.partition(":")
        if number:
            if index is not None:
                raise ValueError(f"device: the index is given twice ({type!r} and "
                                 f"index={index!r})")
            if not number.isdigit():
                raise ValueError(f"device: invalid device string {type!r}")
            index = int(number)
        self.type, self.index = name, index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type,
                                                                         other.index)

    def __hash__(self) -> int:
        return hash(str(self))          # as the equal string's: {"cpu": v}[t.device]


#: The device of every tensor (``t.device``).
CPU = device("cpu")


def _no_gpu_count() -> int:
    return 0


def _no_gpu_seed(seed: int) -> None:
    """Nothing to seed: there is no GPU (PyTorch also ignores it then)."""


# ad.cuda.is_available() and friends: no GPU, as PyTorch reports on a CPU-only machine.
cuda = SimpleNamespace(is_available=lambda: False, device_count=_no_gpu_count,
                       manual_seed=_no_gpu_seed, manual_seed_all=_no_gpu_seed,
                       synchronize=lambda device=None: None,
                       empty_cache=lambda: None)

def _no_accelerator(*args, **kwargs):
    raise RuntimeError("accelerator: cannot access an accelerator device when none is "
                       "available (ad.accelerator.is_available() is False: arrays live in "
                       "NumPy, on the CPU); use device 'cpu'")


def _current_accelerator(check_available: bool = False):
    """None: no accelerator, as PyTorch's ``torch.accelerator.current_accelerator()``
    answers on a machine without one."""
    return None


# ad.accelerator: PyTorch's device-generic switches, for a machine without a GPU.
accelerator = SimpleNamespace(
    is_available=lambda: False, current_accelerator=_current_accelerator,
    device_count=_no_gpu_count, current_device_index=_no_accelerator,
    current_device_idx=_no_accelerator, set_device_index=_no_accelerator,
    set_device_idx=_no_accelerator, synchronize=_no_accelerator)

# ad.backends.mps.is_available() is False; cudnn's switches can be set and do nothing.
backends = SimpleNamespace(
    mps=SimpleNamespace(is_available=lambda: False, is_built=lambda: False),
    cuda=SimpleNamespace(is_built=lambda: False),
    cudnn=SimpleNamespace(is_available=lambda: False, enabled=True, benchmark=False,
                          deterministic=False))


def check_device(where: str, device) -> None:
    """Accept ``device=`` of a creation function when it names the CPU (None, ``'cpu'``,
    ``ad.device('cpu')``, a ``torch.device``); raise for any other.

    >>> check_device("zeros", "cpu")
    """
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(f"{where}: device {str(device)!r} is not available; arrays live in "
                         "NumPy, on the CPU (device='cpu' is accepted and does nothing)")
