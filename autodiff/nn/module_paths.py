"""``torch.nn.modules``' submodule paths that PyTorch code names in ``isinstance``
checks, where this library's classes are the same family: ``nn.modules.batchnorm``,
whose ``_BatchNorm`` is the base of every BatchNorm (1d, 2d, 3d, lazy and
``SyncBatchNorm``) and of no InstanceNorm, as in PyTorch.

>>> bn = ad.nn.BatchNorm2d(3)
>>> isinstance(bn, ad.nn.modules.batchnorm._BatchNorm)
True
"""

from __future__ import annotations

import types

from .layers_sixth import SyncBatchNorm
from .lazy_more import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm

batchnorm = types.ModuleType("autodiff.nn.modules.batchnorm",
                             "PyTorch's torch.nn.modules.batchnorm path: the BatchNorm "
                             "layers and their base class _BatchNorm.")
for _cls in (_BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, LazyBatchNorm1d,
             LazyBatchNorm2d, LazyBatchNorm3d, SyncBatchNorm):
    setattr(batchnorm, _cls.__name__, _cls)
