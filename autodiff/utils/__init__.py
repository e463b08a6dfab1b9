"""``ad.utils``: the path of PyTorch's ``torch.utils.data``, so that
``from torch.utils.data import DataLoader`` reads ``from autodiff.utils.data import
DataLoader``.  ``ad.utils.data`` is ``ad.data`` itself; ``ad.utils.checkpoint`` is
PyTorch's activation checkpointing by its path.

>>> ad.utils.data.DataLoader is ad.data.DataLoader
True
"""

import sys

from .. import data

# ``import autodiff.utils.data`` and ``from autodiff.utils.data import ...`` find the
# module itself rather than a copy of its names.
sys.modules[__name__ + ".data"] = data

from . import checkpoint  # noqa: E402  (torch.utils.checkpoint's path)

__all__ = ["data", "checkpoint"]
