"""``nn.CrossMapLRN2d``, ``nn.SyncBatchNorm`` and ``nn.DataParallel``, as PyTorch's on
a machine with one process and no GPU, and the deprecated ``nn.Container``.

``CrossMapLRN2d`` gives PyTorch's values, whose channel windows are not those of
``LocalResponseNorm`` (PyTorch's running-sum loop keeps the first channels one step
longer); its gradient is the true one of those values, which PyTorch's hand-written
backward is not (it fails ``torch.autograd.gradcheck``).  ``SyncBatchNorm`` without a
process group is batch normalisation of any ``(N, C, ...)`` input, as PyTorch's on the
CPU.  ``DataParallel`` without GPUs calls its module, as PyTorch's does.

>>> dp = nn.DataParallel(nn.Linear(2, 3))
>>> sorted(dp.state_dict())
['module.bias', 'module.weight']
"""

from __future__ import annotations

import warnings

import numpy as np

from ..ops.linalg import einsum
from ..ops.operands import tensor_of
from ..tensor import Tensor
from .module import Module
from .normalization import _BatchNorm

__all__ = ["CrossMapLRN2d", "SyncBatchNorm", "DataParallel", "Container"]


def _cross_map_windows(channels: int, size: int) -> np.ndarray:
    """``W[c, d] = 1`` where channel ``d``'s square enters channel ``c``'s scale, by the
    running sum of PyTorch's ``CrossMapLRN2d`` (the first ``pre_pad`` channels, then one
    in and one out per step, the first removal one step late)."""
    pre_pad = int((size - 1) / 2 + 1)
    windows = np.zeros((channels, channels))
    window = set(range(min(pre_pad, channels)))
    windows[0, sorted(window)] = 1
    for c in range(1, channels):
        if c < channels - pre_pad + 1:
            window.add(c + pre_pad - 1)
        if c > pre_pad:
            window.discard(c - pre_pad)
        windows[c, sorted(window)] = 1
    return windows


class CrossMapLRN2d(Module):
    """Local response normalisation across the channels of ``(N, C, H, W)`` input:
    ``x / (k + alpha / size * sum of x**2 over a window of channels) ** beta``, with
    PyTorch's windows (see the module's docstring), as ``torch.nn.CrossMapLRN2d``.

    >>> nn.CrossMapLRN2d(3, alpha=1.0, beta=1.0, k=0.0)(ad.ones((1, 1, 1, 1)))
    tensor([[[[3.]]]])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1):
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"CrossMapLRN2d: size must be a positive int, got {size!r}")
        self.size, self.alpha, self.beta, self.k = int(size), alpha, beta, k

    def forward(self, input) -> Tensor:
        x = tensor_of(input)
        if x.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {x.ndim}D instead "
                             f"(shape {x.shape}); use nn.LocalResponseNorm for other shapes")
        windows = _cross_map_windows(x.shape[1], self.size).astype(x.dtype)
        summed = einsum("dc,nchw->ndhw", windows, x * x)
        return x * (summed * (self.alpha / self.size) + self.k) ** (-self.beta)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation of ``(N, C, ...)`` input (2-D or more), per channel C, as
    ``torch.nn.SyncBatchNorm`` in one process: the statistics of this process's batch
    (there are no others to gather from), otherwise as ``BatchNorm1d``.  A
    ``process_group`` is refused: there is no distributed training here.

    >>> nn.SyncBatchNorm(2)(ad.tensor([[1.0, 2.0], [3.0, 6.0]])).shape
    (2, 2)
    """

    _dims = tuple(range(2, 33))
    _layout = "(N, C, ...)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group=None, device=None, dtype=np.float64, *, bias: bool = True):
        from ..devices import check_device
        check_device("SyncBatchNorm", device)
        if process_group is not None:
            raise ValueError("SyncBatchNorm: process_group must be None: there is no "
                             "distributed training here, and in one process SyncBatchNorm "
                             "is BatchNorm over the batch it is given")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias=bias,
                         dtype=dtype)
        self.process_group = None

    def _check_input(self, x):
        if len(np.shape(getattr(x, "data", x))) < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got "
                             f"{len(np.shape(getattr(x, 'data', x)))}D input)")
        return super()._check_input(x)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every ``BatchNorm1d/2d/3d`` in it replaced by a
        ``SyncBatchNorm`` holding the same parameters, buffers and mode (a batch norm
        ``module`` itself is returned converted), as PyTorch's.

        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3)))
        >>> type(model[0]).__name__
        'SyncBatchNorm'
        """
        if process_group is not None:
            raise ValueError("convert_sync_batchnorm: process_group must be None (no "
                             "distributed training here)")
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            return _converted(cls, module)
        pending = [module]
        while pending:              # a walk down the tree of submodules, without recursion
            parent = pending.pop()
            for name, child in list(parent._modules.items()):
                if isinstance(child, _BatchNorm) and not isinstance(child, cls):
                    setattr(parent, name, _converted(cls, child))
                elif child is not None:
                    pending.append(child)
        return module


def _converted(cls, norm: _BatchNorm) -> SyncBatchNorm:
    converted = cls(norm.num_features, norm.eps, norm.momentum, norm.affine,
                    norm.track_running_stats, bias=norm.bias is not None,
                    dtype=(norm.weight.dtype if norm.weight is not None else np.float64))
    for name in ("weight", "bias"):
        if getattr(norm, name, None) is not None:
            setattr(converted, name, getattr(norm, name))     # the same Parameters
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        if norm._buffers.get(name) is not None:
            setattr(converted, name, norm._buffers[name])
    converted.train(norm.training)
    return converted


class DataParallel(Module):
    """``module`` as it is, under ``self.module`` (so ``state_dict`` keys start with
    ``module.``), as ``torch.nn.DataParallel`` on a machine without GPUs, where it calls
    the module; ``device_ids``, ``output_device`` and ``dim`` are accepted and unused.

    >>> dp = nn.DataParallel(nn.Linear(2, 3))
    >>> dp(ad.ones((4, 2))).shape
    (4, 3)
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be an nn.Module, got "
                            f"{type(module).__name__}")
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


class Container(Module):
    """A Module holding the given submodules by name, as PyTorch's deprecated
    ``nn.Container`` (it warns, as there): subclass ``nn.Module`` instead.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     sorted(dict(nn.Container(head=nn.Linear(2, 1)).named_children()))
    ['head']
    """

    def __init__(self, **kwargs):
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now "
                      "implemented in `nn.Module`. Subclass that instead.", FutureWarning,
                      stacklevel=2)
        super().__init__()
        for name, module in kwargs.items():
            self.add_module(name, module)
